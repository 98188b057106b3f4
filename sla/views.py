"""Service-level agreements and business calendars with their holidays."""

import datetime
import json

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from web.confirm import (
    Confirmation,
    confirmation_form,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from . import selectors, services
from .capabilities import MANAGE_SERVICE_LEVELS, VIEW_SERVICE_LEVELS
from .forms import (
    CalendarForm,
    ExceptionForm,
    HolidayForm,
    IcalImportForm,
    LevelForm,
    SlaFilterForm,
    SlaForm,
    SlaSettingsForm,
    TargetsForm,
    WindowForm,
)
from .models import BusinessCalendar, ServiceLevelAgreement

WEEKDAY_NAMES = sorted(WEEKDAYS_ABBR.items())
WEEKDAY_LONG_NAMES = sorted(WEEKDAYS.items())


# --- Service-level agreements --------------------------------------------------------------------

SLA_COLUMNS = [
    Column("code", gettext_lazy("Code"), "code", role=FACT, nowrap=True),
    Column("name", gettext_lazy("SLA name"), "name", role=TITLE, truncate=True),
    Column("description", gettext_lazy("Description"), role=FACT, truncate=True, breakpoint="md"),
    Column(
        "is_suspended",
        gettext_lazy("Suspended"),
        "is_suspended",
        role=BADGE,
        template="sla/cells/suspended.html",
    ),
    Column(
        "edit",
        gettext_lazy("Edit"),
        role=ACTION,
        link=link_to("sla:sla_edit"),
        capability=MANAGE_SERVICE_LEVELS,
        export=False,
    ),
]


@capability_required(VIEW_SERVICE_LEVELS)
def sla_list(request):
    filters = SlaFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.sla_list(
        tenant=request.tenant, search=data.get("q", ""), status=data.get("status", "")
    )
    return list_response(
        request,
        qs,
        template="sla/sla_list.html",
        columns=SLA_COLUMNS,
        default_sort="code",
        csv_filename="slas",
        context={"filters": filters},
    )


@capability_required(MANAGE_SERVICE_LEVELS)
def sla_create(request):
    form = SlaForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            sla = services.sla_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(
                request,
                _("SLA %(sla)s created. Now give it its targets and escalation levels.")
                % {"sla": sla},
            )
            return reverse("sla:sla_edit", args=[sla.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "sla/sla_form.html", {"form": form, "sla": None})


def _sla_page(
    request, sla: ServiceLevelAgreement, *, form=None, targets=None, level=None, status: int = 200
):
    """The SLA's page: its record, its targets per priority and its escalation levels, each a
    form of its own (the one just posted comes back bound, with its errors)."""
    tenant = request.tenant
    return render(
        request,
        "sla/sla_form.html",
        {
            "sla": sla,
            "form": form or SlaForm(instance=sla, tenant=tenant),
            "targets_form": targets
            or TargetsForm(targets=selectors.sla_targets(tenant=tenant, sla=sla)),
            "levels": selectors.escalation_levels(tenant=tenant, sla=sla),
            "level_form": level or LevelForm(tenant=tenant),
        },
        status=status,
    )


@capability_required(MANAGE_SERVICE_LEVELS)
def sla_edit(request, pk: int):
    sla = get_or_404(selectors.sla_get, tenant=request.tenant, pk=pk)
    form = SlaForm(request.POST or None, instance=sla, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            sla = services.sla_update(
                tenant=request.tenant, by=request.user, sla_id=sla.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("SLA %(sla)s saved.") % {"sla": sla})
            return redirect("sla:sla_list")
    if request.method == "POST":
        sla = selectors.sla_get(tenant=request.tenant, pk=pk)  # the bound form kept the input
    return _sla_page(request, sla, form=form)


@capability_required(MANAGE_SERVICE_LEVELS)
def sla_targets(request, pk: int):
    sla = get_or_404(selectors.sla_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return _sla_page(request, sla)
    form = TargetsForm(request.POST)
    if form.is_valid():
        try:
            services.targets_save(
                tenant=request.tenant,
                by=request.user,
                sla_id=sla.pk,
                data=form.targets(),
                seen=form.cleaned_data["seen"],
            )
        except services.TargetsChanged:
            # Lost the race: show the targets as they are now, and say so.
            fresh = TargetsForm(targets=selectors.sla_targets(tenant=request.tenant, sla=sla))
            fresh.refusal = _(
                "Someone else changed these targets meanwhile. Here they are as saved now: "
                "enter your changes again."
            )
            return _sla_page(request, sla, targets=fresh, status=409)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Targets of %(sla)s saved.") % {"sla": sla})
            return redirect(f"{reverse('sla:sla_edit', args=[sla.pk])}#targets")
    return _sla_page(request, sla, targets=form)


@capability_required(MANAGE_SERVICE_LEVELS)
def level_add(request, pk: int):
    sla = get_or_404(selectors.sla_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = LevelForm(request.POST, tenant=request.tenant)
    if form.is_valid():

        def create() -> str:
            level = services.level_add(
                tenant=request.tenant, by=request.user, sla_id=sla.pk, data=form.cleaned_data
            )
            messages.success(
                request, _("Escalation level at %(percent)s %% added.") % {"percent": level.percent}
            )
            return f"{reverse('sla:sla_edit', args=[sla.pk])}#levels"

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _sla_page(request, sla, level=form)


@capability_required(MANAGE_SERVICE_LEVELS)
def level_delete(request, pk: int, level_pk: int):
    sla = get_or_404(selectors.sla_get, tenant=request.tenant, pk=pk)
    level = get_or_404(selectors.escalation_level_get, tenant=request.tenant, sla=sla, pk=level_pk)
    back = f"{reverse('sla:sla_edit', args=[sla.pk])}#levels"
    form = confirmation_form(request)
    if not form.is_valid():
        confirmation = Confirmation(
            title=_("Remove the escalation level at %(percent)s %% from %(sla)s?")
            % {"percent": level.percent, "sla": sla},
            consequence=_(
                "Orders that reach this share of their time no longer notify anyone at it; "
                "escalations already sent stay in their history."
            ),
            button=_("Remove"),
            cancel_url=back,
            form=form,
        )
        return confirmation_response(request, confirmation)
    services.level_delete(tenant=request.tenant, by=request.user, sla_id=sla.pk, level_id=level.pk)
    messages.success(
        request, _("Escalation level at %(percent)s %% removed.") % {"percent": level.percent}
    )
    return confirmed_redirect(request, back)


@capability_required(MANAGE_SERVICE_LEVELS)
def sla_settings(request):
    """The tenant's SLA choices: the default SLA, clocks on generated orders, late reasons."""
    current = selectors.sla_settings(tenant=request.tenant)
    form = SlaSettingsForm(request.POST or None, instance=current, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(tenant=request.tenant, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("SLA settings saved."))
            return redirect("sla:settings")
    return render(request, "sla/settings.html", {"form": form})


# --- Business calendars --------------------------------------------------------------------------


def _working_days_label(calendar: BusinessCalendar) -> str:
    return " ".join(str(name) for day, name in WEEKDAY_NAMES if day in calendar.working_days)


CALENDAR_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Calendar name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("sla:calendar_detail"),
    ),
    Column(
        "time_zone",
        gettext_lazy("Time zone"),
        "time_zone",
        role=FACT,
        template="sla/cells/time_zone.html",
    ),
    Column(
        "working_days",
        gettext_lazy("Working days"),
        value=_working_days_label,
        role=FACT,
        breakpoint="md",
    ),
    Column("holiday_count", gettext_lazy("Holidays"), "holiday_count", role=FACT, numeric=True),
    Column(
        "is_default",
        gettext_lazy("Tenant default"),
        "is_default",
        role=BADGE,
        template="sla/cells/default.html",
    ),
]


@capability_required(VIEW_SERVICE_LEVELS)
def calendar_list(request):
    return list_response(
        request,
        selectors.calendar_list(tenant=request.tenant),
        template="sla/calendar_list.html",
        columns=CALENDAR_COLUMNS,
        default_sort="name",
        csv_filename="calendars",
        context={"weekday_names": WEEKDAY_NAMES},
    )


@capability_required(MANAGE_SERVICE_LEVELS)
def calendar_create(request):
    form = CalendarForm(request.POST or None, initial={"working_days": [0, 1, 2, 3, 4]})
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            calendar = services.calendar_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Calendar %(name)s created.") % {"name": calendar})
            return reverse("sla:calendar_detail", args=[calendar.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "sla/calendar_form.html", {"form": form, "calendar": None})


@capability_required(MANAGE_SERVICE_LEVELS)
def calendar_edit(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = services.calendar_update(
                tenant=request.tenant,
                by=request.user,
                calendar_id=calendar.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Calendar %(name)s saved.") % {"name": calendar})
            return redirect("sla:calendar_detail", pk=calendar.pk)
    return render(request, "sla/calendar_form.html", {"form": form, "calendar": calendar})


def _shown_year(request) -> int:
    this_year = request.tenant.today().year
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year
    return year if datetime.MINYEAR < year < datetime.MAXYEAR else this_year


def _calendar_page(
    request,
    calendar: BusinessCalendar,
    year: int,
    *,
    form: HolidayForm | None = None,
    window_form: WindowForm | None = None,
    exception_form: ExceptionForm | None = None,
):
    # One year at a time: a calendar's holidays accumulate, and a page never loads all history.
    tenant = request.tenant
    holidays = selectors.holiday_list(tenant=tenant, calendar=calendar).filter(date__year=year)
    exceptions = selectors.exception_list(tenant=tenant, calendar=calendar).filter(date__year=year)
    windows = selectors.window_list(tenant=tenant, calendar=calendar)
    by_day: dict[int, list] = {}
    for window in windows:
        by_day.setdefault(window.weekday, []).append(window)
    week = [
        {
            "day": day,
            "name": name,
            "windows": by_day.get(day, []),
            "open": day in calendar.working_days,
        }
        for day, name in WEEKDAY_LONG_NAMES
    ]
    return render(
        request,
        "sla/calendar_detail.html",
        {
            "calendar": calendar,
            "holidays": holidays,
            "exceptions": exceptions,
            "week": week,
            "has_windows": bool(by_day),
            "form": form or HolidayForm(),
            "window_form": window_form
            or WindowForm(
                initial={"weekday": calendar.working_days[0] if calendar.working_days else 0}
            ),
            "exception_form": exception_form or ExceptionForm(),
            "year": year,
            "working_days": _working_days_label(calendar),
        },
    )


@capability_required(VIEW_SERVICE_LEVELS)
def calendar_detail(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    return _calendar_page(request, calendar, _shown_year(request))


@capability_required(MANAGE_SERVICE_LEVELS)
def holiday_add(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = HolidayForm(request.POST)
    if form.is_valid():

        def create() -> str:
            holiday = services.holiday_add(
                tenant=request.tenant,
                by=request.user,
                calendar_id=calendar.pk,
                data=form.cleaned_data,
            )
            messages.success(request, _("Holiday %(holiday)s added.") % {"holiday": holiday})
            return f"{reverse('sla:calendar_detail', args=[calendar.pk])}?year={holiday.date.year}"

        if url := create_once_url(request, form, create):
            return redirect(url)
    year = form.cleaned_data["date"].year if form.cleaned_data.get("date") else _shown_year(request)
    return _calendar_page(request, calendar, year, form=form)


@capability_required(MANAGE_SERVICE_LEVELS)
def holiday_delete(request, pk: int, holiday_pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    holiday = get_or_404(
        selectors.holiday_get, tenant=request.tenant, calendar=calendar, pk=holiday_pk
    )
    back = f"{reverse('sla:calendar_detail', args=[calendar.pk])}?year={holiday.date.year}"
    form = confirmation_form(request)
    if not form.is_valid():  # after the lookup: another tenant's id is a 404 either way
        confirmation = Confirmation(
            title=_("Remove the holiday %(holiday)s from %(calendar)s?")
            % {"holiday": holiday, "calendar": calendar},
            consequence=_(
                "The day counts as a working day again: SLA times and generated orders may "
                "fall on it."
            ),
            button=_("Remove"),
            cancel_url=back,
            form=form,
        )
        return confirmation_response(request, confirmation)
    services.holiday_delete(
        tenant=request.tenant, by=request.user, calendar_id=calendar.pk, holiday_id=holiday.pk
    )
    messages.success(request, _("Holiday %(holiday)s removed.") % {"holiday": holiday})
    return confirmed_redirect(request, back)


def _calendar_back(calendar: BusinessCalendar, anchor: str, year: int | None = None) -> str:
    query = f"?year={year}" if year else ""
    return f"{reverse('sla:calendar_detail', args=[calendar.pk])}{query}#{anchor}"


@capability_required(MANAGE_SERVICE_LEVELS)
def window_add(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = WindowForm(request.POST)
    if form.is_valid():

        def create() -> str:
            window = services.window_add(
                tenant=request.tenant,
                by=request.user,
                calendar_id=calendar.pk,
                data=form.cleaned_data,
            )
            messages.success(request, _("Working window %(window)s added.") % {"window": window})
            return _calendar_back(calendar, "hours")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _calendar_page(request, calendar, _shown_year(request), window_form=form)


@capability_required(MANAGE_SERVICE_LEVELS)
def window_delete(request, pk: int, window_pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    window = get_or_404(
        selectors.window_get, tenant=request.tenant, calendar=calendar, pk=window_pk
    )
    back = _calendar_back(calendar, "hours")
    form = confirmation_form(request)
    if not form.is_valid():
        confirmation = Confirmation(
            title=_("Remove the working window %(window)s from %(calendar)s?")
            % {"window": window, "calendar": calendar},
            consequence=_(
                "SLA time no longer runs in these hours: the due times of open orders on this "
                "calendar are recalculated."
            ),
            button=_("Remove"),
            cancel_url=back,
            form=form,
        )
        return confirmation_response(request, confirmation)
    services.window_delete(
        tenant=request.tenant, by=request.user, calendar_id=calendar.pk, window_id=window.pk
    )
    messages.success(request, _("Working window %(window)s removed.") % {"window": window})
    return confirmed_redirect(request, back)


@capability_required(MANAGE_SERVICE_LEVELS)
def exception_add(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ExceptionForm(request.POST)
    if form.is_valid():

        def create() -> str:
            exception = services.exception_add(
                tenant=request.tenant,
                by=request.user,
                calendar_id=calendar.pk,
                data=form.cleaned_data,
            )
            messages.success(
                request, _("Exception on %(date)s added.") % {"date": _day(exception.date)}
            )
            return _calendar_back(calendar, "exceptions", exception.date.year)

        if url := create_once_url(request, form, create):
            return redirect(url)
    day = form.cleaned_data.get("date") if hasattr(form, "cleaned_data") else None
    year = day.year if day else _shown_year(request)
    return _calendar_page(request, calendar, year, exception_form=form)


def _day(value: datetime.date) -> str:
    from django.utils.formats import date_format

    return date_format(value, "SHORT_DATE_FORMAT")


@capability_required(MANAGE_SERVICE_LEVELS)
def exception_delete(request, pk: int, exception_pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    exception = get_or_404(
        selectors.exception_get, tenant=request.tenant, calendar=calendar, pk=exception_pk
    )
    back = _calendar_back(calendar, "exceptions", exception.date.year)
    form = confirmation_form(request)
    if not form.is_valid():
        confirmation = Confirmation(
            title=_("Remove the exception on %(date)s (%(reason)s) from %(calendar)s?")
            % {"date": _day(exception.date), "reason": exception.name, "calendar": calendar},
            consequence=_("The day keeps its usual working hours again."),
            button=_("Remove"),
            cancel_url=back,
            form=form,
        )
        return confirmation_response(request, confirmation)
    services.exception_delete(
        tenant=request.tenant,
        by=request.user,
        calendar_id=calendar.pk,
        exception_id=exception.pk,
    )
    messages.success(request, _("Exception on %(date)s removed.") % {"date": _day(exception.date)})
    return confirmed_redirect(request, back)


def _import_years(request) -> range:
    this_year = request.tenant.today().year
    return range(this_year, this_year + 2)


@capability_required(MANAGE_SERVICE_LEVELS)
def holiday_import(request, pk: int):
    """Upload an iCal file, see what it holds and which dates are new, then import: the file's
    holidays travel to the confirming step in a signed field, so the second step needs no
    upload and a changed file cannot slip in between."""
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    years = _import_years(request)
    signer = signing.Signer(salt=f"sla.holiday_import:{request.tenant.pk}:{calendar.pk}")
    context = {"calendar": calendar, "years": years}
    if request.method == "POST" and "preview" in request.POST:
        try:
            pairs = json.loads(signer.unsign(request.POST["preview"]))
            holidays = [(datetime.date.fromisoformat(day), name) for day, name in pairs]
        except (signing.BadSignature, ValueError, TypeError):
            messages.error(request, _("The preview expired or was changed: upload the file again."))
            return redirect("sla:holiday_import", pk=calendar.pk)
        added = services.holidays_import(
            tenant=request.tenant, by=request.user, calendar_id=calendar.pk, holidays=holidays
        )
        messages.success(
            request,
            ngettext("%(count)s holiday imported.", "%(count)s holidays imported.", added)
            % {"count": added}
            if added
            else _("Nothing new: the calendar already has every date of the file."),
        )
        return redirect(
            _calendar_back(calendar, "holidays", holidays[0][0].year if holidays else None)
        )
    form = IcalImportForm(request.POST or None, request.FILES or None, years=years)
    if request.method == "POST" and form.is_valid():
        known = selectors.holiday_dates(
            tenant=request.tenant,
            calendar=calendar,
            start=form.holidays[0][0],
            end=form.holidays[-1][0],
        )
        rows = [(day, name, day in known) for day, name in form.holidays]
        payload = json.dumps([(day.isoformat(), name) for day, name in form.holidays])
        context.update(
            {
                "rows": rows,
                "new_count": sum(1 for _day, _name, seen in rows if not seen),
                "preview": signer.sign(payload),
            }
        )
    context["form"] = form
    return render(request, "sla/holiday_import.html", context)
