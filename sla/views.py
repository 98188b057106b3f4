"""Service-level agreements and business calendars with their holidays."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
from .forms import CalendarForm, HolidayForm, SlaFilterForm, SlaForm
from .models import BusinessCalendar

WEEKDAY_NAMES = sorted(WEEKDAYS_ABBR.items())


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
    form = SlaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            sla = services.sla_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("SLA %(sla)s created.") % {"sla": sla})
            return reverse("sla:sla_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "sla/sla_form.html", {"form": form, "sla": None})


@capability_required(MANAGE_SERVICE_LEVELS)
def sla_edit(request, pk: int):
    sla = get_or_404(selectors.sla_get, tenant=request.tenant, pk=pk)
    form = SlaForm(request.POST or None, instance=sla)
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
    return render(request, "sla/sla_form.html", {"form": form, "sla": sla})


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


def _calendar_page(request, calendar: BusinessCalendar, form: HolidayForm, year: int):
    # One year at a time: a calendar's holidays accumulate, and a page never loads all history.
    holidays = selectors.holiday_list(tenant=request.tenant, calendar=calendar).filter(
        date__year=year
    )
    return render(
        request,
        "sla/calendar_detail.html",
        {
            "calendar": calendar,
            "holidays": holidays,
            "form": form,
            "year": year,
            "working_days": _working_days_label(calendar),
        },
    )


@capability_required(VIEW_SERVICE_LEVELS)
def calendar_detail(request, pk: int):
    calendar = get_or_404(selectors.calendar_get, tenant=request.tenant, pk=pk)
    return _calendar_page(request, calendar, HolidayForm(), _shown_year(request))


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
    return _calendar_page(request, calendar, form, year)


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
