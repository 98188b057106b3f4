"""Writes for service levels and business calendars.

Every function validates what the database would refuse anyway (unique codes, names and dates)
so that the message lands beside the field, and still turns a lost race on those constraints
into the same message.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.integrity import save_unique as _save
from tenancy.models import Membership, Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot

from . import clock
from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationLevel,
    Holiday,
    ServiceLevelAgreement,
    SlaPriority,
    SlaSettings,
    SlaTarget,
    Weekday,
    WorkingWindow,
)
from .signals import timing_changed

SLA_FIELDS = ("code", "name", "description", "is_suspended", "calendar", "warning_percent")
CALENDAR_FIELDS = ("name", "time_zone", "working_days", "is_default")
HOLIDAY_FIELDS = ("date", "name")


# --- Service-level agreements --------------------------------------------------------------------


def _sla_code_message() -> str:
    return _("An SLA with this code already exists.")


def _sla_apply(sla: ServiceLevelAgreement, *, tenant: Tenant, data: dict) -> None:
    for field in SLA_FIELDS:
        if field in data and not (field == "warning_percent" and data[field] is None):
            setattr(sla, field, data[field])
    sla.code = sla.code.strip()
    if sla.calendar_id is not None and sla.calendar.tenant_id != tenant.pk:
        raise ValidationError({"calendar": _("Choose a calendar from the list.")})
    taken = ServiceLevelAgreement.objects.for_tenant(tenant).filter(code__iexact=sla.code)
    if taken.exclude(pk=sla.pk).exists():
        raise ValidationError({"code": _sla_code_message()})
    sla.full_clean(validate_unique=False, validate_constraints=False)
    _save(sla, {"sla_sla_unique_code": ("code", _sla_code_message())})


@transaction.atomic
def sla_create(*, tenant: Tenant, by: User | None, data: dict) -> ServiceLevelAgreement:
    sla = ServiceLevelAgreement(tenant=tenant)
    _sla_apply(sla, tenant=tenant, data=data)
    audit_record(
        tenant=tenant,
        actor=by,
        action="sla.create",
        target=sla,
        params={"record": str(sla)},
    )
    return sla


@transaction.atomic
def sla_update(
    *, tenant: Tenant, by: User | None, sla_id: int, data: dict
) -> ServiceLevelAgreement:
    sla = ServiceLevelAgreement.objects.for_tenant(tenant).select_for_update().get(pk=sla_id)
    before = audit_snapshot(sla, SLA_FIELDS)
    _sla_apply(sla, tenant=tenant, data=data)
    changes = audit_changes(before, audit_snapshot(sla, SLA_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="sla.update",
            target=sla,
            params={"record": str(sla), "fields": sorted(changes)},
            changes=changes,
        )
        timing_changed(tenant_id=tenant.pk, sla_id=sla.pk)
    return sla


# --- Business calendars --------------------------------------------------------------------------


def _calendar_name_message() -> str:
    return _("A calendar with this name already exists.")


def _calendar_apply(calendar: BusinessCalendar, *, tenant: Tenant, data: dict) -> None:
    for field in CALENDAR_FIELDS:
        if field in data:
            setattr(calendar, field, data[field])
    calendar.name = calendar.name.strip()
    calendar.working_days = sorted({int(day) for day in calendar.working_days or []})
    errors = {}
    if not calendar.working_days:
        errors["working_days"] = _("Choose at least one working day.")
    elif any(day < 0 or day > 6 for day in calendar.working_days):
        errors["working_days"] = _("Weekdays are numbered 0 to 6.")
    elif calendar.pk is not None:
        dropped = (
            WorkingWindow.objects.for_tenant(tenant)
            .filter(calendar=calendar)
            .exclude(weekday__in=calendar.working_days)
            .order_by("weekday")
            .values_list("weekday", flat=True)
            .first()
        )
        if dropped is not None:
            errors["working_days"] = _(
                "%(day)s has working windows: remove them before unticking the day."
            ) % {"day": Weekday(dropped).label}
    if calendar.time_zone and calendar.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    others = BusinessCalendar.objects.for_tenant(tenant).exclude(pk=calendar.pk)
    if others.filter(name__iexact=calendar.name).exists():
        errors["name"] = _calendar_name_message()
    if errors:
        raise ValidationError(errors)
    if not others.exists():
        calendar.is_default = True  # a tenant's only calendar is its default
    if calendar.is_default:
        # One default per tenant: choosing a new one unsets the previous default.
        others.filter(is_default=True).update(is_default=False)
    calendar.full_clean(validate_unique=False, validate_constraints=False)
    _save(
        calendar,
        {
            "sla_calendar_unique_name": ("name", _calendar_name_message()),
            "sla_calendar_one_default": (
                "is_default",
                _("Another calendar became the default at the same time. Try again."),
            ),
        },
    )


@transaction.atomic
def calendar_create(*, tenant: Tenant, by: User | None, data: dict) -> BusinessCalendar:
    calendar = BusinessCalendar(tenant=tenant)
    _calendar_apply(calendar, tenant=tenant, data=data)
    audit_record(
        tenant=tenant,
        actor=by,
        action="calendar.create",
        target=calendar,
        params={"record": str(calendar)},
    )
    return calendar


@transaction.atomic
def calendar_update(
    *, tenant: Tenant, by: User | None, calendar_id: int, data: dict
) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.for_tenant(tenant).select_for_update().get(pk=calendar_id)
    before = audit_snapshot(calendar, CALENDAR_FIELDS)
    if calendar.is_default and data.get("is_default") is False:
        raise ValidationError(
            {"is_default": _("Make another calendar the default instead of unticking this one.")}
        )
    _calendar_apply(calendar, tenant=tenant, data=data)
    changes = audit_changes(before, audit_snapshot(calendar, CALENDAR_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="calendar.update",
            target=calendar,
            params={"record": str(calendar), "fields": sorted(changes)},
            changes=changes,
        )
        timing_changed(tenant_id=tenant.pk, calendar_id=calendar.pk)
    return calendar


def _holiday_params(holiday: Holiday) -> dict:
    return {
        "calendar": str(holiday.calendar),
        "holiday": holiday.name,
        "date": holiday.date.isoformat(),
    }


def _holiday_date_message() -> str:
    return _("This date is already a holiday in this calendar.")


@transaction.atomic
def holiday_add(*, tenant: Tenant, by: User | None, calendar_id: int, data: dict) -> Holiday:
    calendar = BusinessCalendar.objects.for_tenant(tenant).get(pk=calendar_id)
    holiday = Holiday(tenant=tenant, calendar=calendar, date=data["date"], name=data["name"])
    holiday.name = holiday.name.strip()
    if Holiday.objects.for_tenant(tenant).filter(calendar=calendar, date=holiday.date).exists():
        raise ValidationError({"date": _holiday_date_message()})
    holiday.full_clean(validate_unique=False, validate_constraints=False)
    _save(holiday, {"sla_holiday_unique_date": ("date", _holiday_date_message())})
    audit_record(
        tenant=tenant,
        actor=by,
        action="holiday.add",
        target=calendar,
        params=_holiday_params(holiday),
    )
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar.pk)
    return holiday


@transaction.atomic
def holiday_delete(*, tenant: Tenant, by: User | None, calendar_id: int, holiday_id: int) -> None:
    holiday = (
        Holiday.objects.for_tenant(tenant)
        .select_related("calendar")
        .get(calendar_id=calendar_id, pk=holiday_id)
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="holiday.delete",
        target=holiday.calendar,
        params=_holiday_params(holiday),
    )
    holiday.delete()
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar_id)


# --- Working windows and exceptions --------------------------------------------------------------


def _window_label(weekday_label: str, start, end) -> str:
    return f"{weekday_label} {start:%H:%M}–{end:%H:%M}"


def _windows_check(new: clock.Window, existing, field: str = "start_time") -> None:
    """Refuse a window that overlaps one already there (touching, 12:00 then 12:00, is fine)."""
    for start, end in existing:
        other = clock.Window(start, end)
        if new.overlaps(other):
            raise ValidationError(
                {
                    field: _("This overlaps the window %(start)s–%(end)s of the same day.")
                    % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
                }
            )


def _new_window(start, end) -> clock.Window:
    if start is None or end is None:
        raise ValidationError({"end_time": _("Give both the opening and the closing time.")})
    try:
        return clock.Window(start, end)
    except ValueError:
        raise ValidationError(
            {"end_time": _("A working window must end after it starts (00:00 means midnight).")}
        ) from None


@transaction.atomic
def window_add(*, tenant: Tenant, by: User | None, calendar_id: int, data: dict) -> WorkingWindow:
    """Add an opening period to a weekday of a calendar; overlapping windows are refused. The
    calendar row is locked so that two managers adding windows at once cannot both overlap."""
    calendar = BusinessCalendar.objects.for_tenant(tenant).select_for_update().get(pk=calendar_id)
    weekday = int(data["weekday"])
    if weekday not in calendar.working_days:
        raise ValidationError(
            {
                "weekday": _(
                    "%(day)s is not a working day of this calendar: tick it in the calendar's "
                    "working days first."
                )
                % {"day": Weekday(weekday).label}
            }
        )
    new = _new_window(data.get("start_time"), data.get("end_time"))
    same_day = WorkingWindow.objects.for_tenant(tenant).filter(calendar=calendar, weekday=weekday)
    _windows_check(new, same_day.values_list("start_time", "end_time"))
    window = WorkingWindow.objects.create(
        tenant=tenant, calendar=calendar, weekday=weekday, start_time=new.start, end_time=new.end
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="window.add",
        target=calendar,
        params={"calendar": str(calendar), "window": str(window)},
    )
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar.pk)
    return window


@transaction.atomic
def window_delete(*, tenant: Tenant, by: User | None, calendar_id: int, window_id: int) -> None:
    window = (
        WorkingWindow.objects.for_tenant(tenant)
        .select_related("calendar")
        .get(calendar_id=calendar_id, pk=window_id)
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="window.delete",
        target=window.calendar,
        params={"calendar": str(window.calendar), "window": str(window)},
    )
    window.delete()
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar_id)


@transaction.atomic
def exception_add(
    *, tenant: Tenant, by: User | None, calendar_id: int, data: dict
) -> CalendarException:
    """A one-off date: closed all day (no hours), or open with other hours (one window per
    call; a date can get several). A closed date and open hours on the same date exclude each
    other."""
    calendar = BusinessCalendar.objects.for_tenant(tenant).select_for_update().get(pk=calendar_id)
    day = data["date"]
    name = (data.get("name") or "").strip()
    start, end = data.get("start_time"), data.get("end_time")
    same_day = CalendarException.objects.for_tenant(tenant).filter(calendar=calendar, date=day)
    if start is None and end is None:
        if same_day.exists():
            raise ValidationError(
                {"date": _("This date already has an exception: remove it first.")}
            )
    else:
        new = _new_window(start, end)
        if same_day.filter(start_time__isnull=True).exists():
            raise ValidationError({"date": _("This date is already closed all day.")})
        _windows_check(new, same_day.values_list("start_time", "end_time"))
        start, end = new.start, new.end
    exception = CalendarException(
        tenant=tenant, calendar=calendar, date=day, name=name, start_time=start, end_time=end
    )
    exception.full_clean(validate_unique=False, validate_constraints=False)
    _save(
        exception,
        {
            "sla_exception_unique_start": (
                "date",
                _("This date already has an exception: remove it first."),
            )
        },
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="exception.add",
        target=calendar,
        params={"calendar": str(calendar), "exception": _exception_label(exception)},
    )
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar.pk)
    return exception


def _exception_label(exception: CalendarException) -> str:
    hours = (
        f" {exception.start_time:%H:%M}–{exception.end_time:%H:%M}"
        if exception.start_time is not None
        else ""
    )
    return f"{exception.date.isoformat()}{hours} {exception.name}"


@transaction.atomic
def exception_delete(
    *, tenant: Tenant, by: User | None, calendar_id: int, exception_id: int
) -> None:
    exception = (
        CalendarException.objects.for_tenant(tenant)
        .select_related("calendar")
        .get(calendar_id=calendar_id, pk=exception_id)
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="exception.delete",
        target=exception.calendar,
        params={"calendar": str(exception.calendar), "exception": _exception_label(exception)},
    )
    exception.delete()
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar_id)


# --- Holidays from an iCal file ------------------------------------------------------------------


@transaction.atomic
def holidays_import(
    *, tenant: Tenant, by: User | None, calendar_id: int, holidays: list[tuple]
) -> int:
    """Add the (date, name) pairs the calendar does not have yet; dates it has are left alone,
    so importing the same file twice adds nothing the second time. Returns the number added."""
    calendar = BusinessCalendar.objects.for_tenant(tenant).select_for_update().get(pk=calendar_id)
    known = set(
        Holiday.objects.for_tenant(tenant)
        .filter(calendar=calendar, date__in=[day for day, _name in holidays])
        .values_list("date", flat=True)
    )
    new = {day: name for day, name in holidays if day not in known}
    if not new:
        return 0
    Holiday.objects.bulk_create(
        [
            Holiday(tenant=tenant, calendar=calendar, date=day, name=name.strip()[:120])
            for day, name in sorted(new.items())
        ],
        ignore_conflicts=True,  # the unique (tenant, calendar, date) has the last word
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="holiday.import",
        target=calendar,
        params={"calendar": str(calendar), "count": len(new)},
    )
    timing_changed(tenant_id=tenant.pk, calendar_id=calendar.pk)
    return len(new)


# --- Targets, escalation levels, settings --------------------------------------------------------


class TargetsChanged(Exception):
    """Someone saved the SLA's targets after the form was shown (a lost race)."""


def targets_version(targets) -> str:
    """The targets as the form showed them, to tell on saving whether they changed meanwhile."""
    return ";".join(
        f"{t.priority}:{t.response_minutes or ''}/{t.resolution_minutes}"
        for t in sorted(targets, key=lambda t: t.priority)
    )


@transaction.atomic
def targets_save(
    *, tenant: Tenant, by: User | None, sla_id: int, data: dict, seen: str | None = None
) -> list[SlaTarget]:
    """Set the SLA's targets: ``data`` maps each priority to (response, resolution) minutes;
    a priority without a resolution target has none (its orders get no clock). Zero or negative
    targets are refused beside their field (``<priority>_response`` / ``<priority>_resolution``).
    ``seen``: the :func:`targets_version` the form was made from; TargetsChanged if the targets
    are no longer those (another manager saved first).
    """
    sla = ServiceLevelAgreement.objects.for_tenant(tenant).select_for_update().get(pk=sla_id)
    if seen is not None and seen != targets_version(
        SlaTarget.objects.for_tenant(tenant).filter(sla=sla)
    ):
        raise TargetsChanged
    errors = {}
    wanted: dict[str, tuple[int | None, int]] = {}
    for priority in SlaPriority.values:
        response, resolution = data.get(priority, (None, None))
        for kind, value in (("response", response), ("resolution", resolution)):
            if value is not None and value <= 0:
                errors[f"{priority}_{kind}"] = _("A target must be more than zero.")
        if response is not None and resolution is None:
            errors[f"{priority}_resolution"] = _(
                "Give a resolution target too (or clear the response target)."
            )
        elif response is not None and resolution is not None and response > resolution:
            errors[f"{priority}_response"] = _(
                "The response target cannot be longer than the resolution target."
            )
        if resolution is not None:
            wanted[priority] = (response, resolution)
    if errors:
        raise ValidationError(errors)
    current = {t.priority: t for t in SlaTarget.objects.for_tenant(tenant).filter(sla=sla)}
    before = {p: [t.response_minutes, t.resolution_minutes] for p, t in current.items()}
    for priority, target in current.items():
        if priority not in wanted:
            target.delete()
    kept = []
    for priority, (response, resolution) in wanted.items():
        target = current.get(priority) or SlaTarget(tenant=tenant, sla=sla, priority=priority)
        target.response_minutes, target.resolution_minutes = response, resolution
        target.save()
        kept.append(target)
    after = {p: [r, t] for p, (r, t) in wanted.items()}
    if before != after:
        audit_record(
            tenant=tenant,
            actor=by,
            action="sla.targets",
            target=sla,
            params={"record": str(sla)},
            changes={p: [before.get(p), after.get(p)] for p in set(before) | set(after)},
        )
        timing_changed(tenant_id=tenant.pk, sla_id=sla.pk)
    return kept


def _level_percent_message() -> str:
    return _("This SLA already has a level at this percentage.")


@transaction.atomic
def level_add(*, tenant: Tenant, by: User | None, sla_id: int, data: dict) -> EscalationLevel:
    """A level: at ``percent`` of the resolution target, notify a role of the tenant or one
    named member of it (a person of another tenant, or a former member, is refused)."""
    sla = ServiceLevelAgreement.objects.for_tenant(tenant).select_for_update().get(pk=sla_id)
    percent, role, user = data.get("percent"), data.get("role") or "", data.get("user")
    errors = {}
    if percent is None or percent <= 0:
        errors["percent"] = _("A level must be more than 0 %.")
    elif percent > 1000:
        errors["percent"] = _("A level is at most %(max)s %% of the resolution target.") % {
            "max": 1000
        }
    if bool(role) == (user is not None):
        errors["role"] = _("Choose either a role or a person to notify.")
    elif (
        user is not None
        and not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists()
    ):
        errors["user"] = _("Choose a member of this company.")
    if "percent" not in errors and (
        EscalationLevel.objects.for_tenant(tenant).filter(sla=sla, percent=percent).exists()
    ):
        errors["percent"] = _level_percent_message()
    if errors:
        raise ValidationError(errors)
    level = EscalationLevel(tenant=tenant, sla=sla, percent=percent, role=role, user=user)
    _save(level, {"sla_escalation_unique_percent": ("percent", _level_percent_message())})
    audit_record(
        tenant=tenant,
        actor=by,
        action="escalation_level.add",
        target=sla,
        params={"sla": str(sla), "percent": percent, "who": str(user or level.get_role_display())},
    )
    timing_changed(tenant_id=tenant.pk, sla_id=sla.pk)
    return level


@transaction.atomic
def level_delete(*, tenant: Tenant, by: User | None, sla_id: int, level_id: int) -> None:
    level = (
        EscalationLevel.objects.for_tenant(tenant)
        .select_related("sla", "user")
        .get(sla_id=sla_id, pk=level_id)
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="escalation_level.delete",
        target=level.sla,
        params={
            "sla": str(level.sla),
            "percent": level.percent,
            "who": str(level.user or level.get_role_display()),
        },
    )
    level.delete()
    timing_changed(tenant_id=tenant.pk, sla_id=sla_id)


SETTINGS_FIELDS = ("default_sla", "clock_on_generated", "require_late_reason")


@transaction.atomic
def settings_update(*, tenant: Tenant, by: User | None, data: dict) -> SlaSettings:
    """Save the tenant's SLA settings (its row is made on the first save), audited."""
    SlaSettings.objects.get_or_create(tenant=tenant)
    found = SlaSettings.objects.for_tenant(tenant).select_for_update().get()
    before = audit_snapshot(found, SETTINGS_FIELDS)
    for field in SETTINGS_FIELDS:
        if field in data:
            setattr(found, field, data[field])
    if found.default_sla is not None and found.default_sla.tenant_id != tenant.pk:
        raise ValidationError({"default_sla": _("Choose an SLA from the list.")})
    found.save()
    changes = audit_changes(before, audit_snapshot(found, SETTINGS_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="sla.settings",
            target=found,
            params={"fields": sorted(changes)},
            changes=changes,
        )
    return found
