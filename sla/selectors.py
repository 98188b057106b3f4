"""Reads for service levels and business calendars. Every function takes the tenant.

The calendar functions are what agreement generation needs: the tenant's default calendar, its
holidays in a bounded range (never "all history"), and whether a day is open.
"""

import datetime

from django.db.models import Count, Q, QuerySet

from tenancy.models import Tenant

from . import clock
from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationLevel,
    Holiday,
    ServiceLevelAgreement,
    SlaSettings,
    SlaTarget,
    WorkingWindow,
    default_working_days,
)


def sla_list(*, tenant: Tenant, search: str = "", status: str = "") -> QuerySet:
    qs = ServiceLevelAgreement.objects.for_tenant(tenant)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if status:
        qs = qs.filter(is_suspended=status == "suspended")
    return qs


def sla_get(*, tenant: Tenant, pk: int) -> ServiceLevelAgreement:
    return ServiceLevelAgreement.objects.for_tenant(tenant).get(pk=pk)


def calendar_list(*, tenant: Tenant) -> QuerySet:
    return BusinessCalendar.objects.for_tenant(tenant).annotate(holiday_count=Count("holidays"))


def calendar_get(*, tenant: Tenant, pk: int) -> BusinessCalendar:
    return BusinessCalendar.objects.for_tenant(tenant).get(pk=pk)


def calendar_default(*, tenant: Tenant) -> BusinessCalendar | None:
    """The tenant's default business calendar, or None when it has not set one up."""
    return BusinessCalendar.objects.for_tenant(tenant).filter(is_default=True).first()


def holiday_list(*, tenant: Tenant, calendar: BusinessCalendar) -> QuerySet:
    return Holiday.objects.for_tenant(tenant).filter(calendar=calendar).order_by("date")


def holiday_get(*, tenant: Tenant, calendar: BusinessCalendar, pk: int) -> Holiday:
    return Holiday.objects.for_tenant(tenant).get(calendar=calendar, pk=pk)


def holiday_dates(
    *,
    tenant: Tenant,
    calendar: BusinessCalendar | None,
    start: datetime.date,
    end: datetime.date,
) -> set[datetime.date]:
    """The calendar's holidays from ``start`` to ``end`` inclusive (none without a calendar)."""
    if calendar is None:
        return set()
    return set(
        Holiday.objects.for_tenant(tenant)
        .filter(calendar=calendar, date__range=(start, end))
        .values_list("date", flat=True)
    )


def calendar_is_open(
    calendar: BusinessCalendar | None, day: datetime.date, holidays: set[datetime.date]
) -> bool:
    """Whether the business works on ``day``: a working weekday that is not a holiday. The one
    definition of an open day; everything that asks (order generation, the SLA clock) calls it.

    Without a calendar the default working week (Monday to Friday) applies, so that a tenant who
    has not set one up still sees weekend visits flagged.
    """
    working_days = calendar.working_days if calendar is not None else default_working_days()
    return day.weekday() in working_days and day not in holidays


# -- the SLA clock ---------------------------------------------------------------------------

# A calendar that has no working windows yet is open all day on its working days, so that an SLA
# on a tenant that has not described its hours still keeps (calendar-day) time.
_WHOLE_DAY = (clock.Window(datetime.time(0), datetime.time(0)),)


def clock_calendar(*, tenant: Tenant, calendar: BusinessCalendar | None) -> clock.Calendar:
    """The business calendar as the clock arithmetic's value object (three queries).

    Holidays and exceptions are read in full: a calendar holds a few dozen a year. Without a
    calendar: the tenant's time zone, Monday to Friday, all day.
    """
    if calendar is None:
        return clock.Calendar(tenant.time_zone, dict.fromkeys(default_working_days(), _WHOLE_DAY))
    weekly: dict[int, list[clock.Window]] = {}
    for weekday, start, end in (
        WorkingWindow.objects.for_tenant(tenant)
        .filter(calendar=calendar)
        .values_list("weekday", "start_time", "end_time")
    ):
        weekly.setdefault(weekday, []).append(clock.Window(start, end))
    if not weekly:
        weekly = {day: list(_WHOLE_DAY) for day in calendar.working_days}
    exceptions: dict[datetime.date, list[clock.Window]] = {}
    for day, start, end in (
        CalendarException.objects.for_tenant(tenant)
        .filter(calendar=calendar)
        .values_list("date", "start_time", "end_time")
    ):
        windows = exceptions.setdefault(day, [])
        if start is not None:
            windows.append(clock.Window(start, end))
    holidays = Holiday.objects.for_tenant(tenant).filter(calendar=calendar)
    return clock.Calendar(
        calendar.time_zone or tenant.time_zone,
        {day: tuple(windows) for day, windows in weekly.items()},
        frozenset(holidays.values_list("date", flat=True)),
        {day: tuple(windows) for day, windows in exceptions.items()},
    )


def sla_settings(*, tenant: Tenant) -> SlaSettings:
    """The tenant's SLA settings (defaults when it has never saved them; not stored by this)."""
    found = SlaSettings.objects.for_tenant(tenant).select_related("default_sla").first()
    return found if found is not None else SlaSettings(tenant=tenant)


def sla_target(*, tenant: Tenant, sla: ServiceLevelAgreement, priority: str) -> SlaTarget | None:
    return SlaTarget.objects.for_tenant(tenant).filter(sla=sla, priority=priority).first()


def escalation_percents(*, tenant: Tenant, sla: ServiceLevelAgreement) -> list[int]:
    """The SLA's escalation levels' percentages, ascending."""
    return list(
        EscalationLevel.objects.for_tenant(tenant)
        .filter(sla=sla)
        .order_by("percent")
        .values_list("percent", flat=True)
    )


def escalation_levels(*, tenant: Tenant, sla: ServiceLevelAgreement) -> QuerySet:
    return (
        EscalationLevel.objects.for_tenant(tenant)
        .filter(sla=sla)
        .select_related("user")
        .order_by("percent")
    )


def window_list(*, tenant: Tenant, calendar: BusinessCalendar) -> QuerySet:
    return WorkingWindow.objects.for_tenant(tenant).filter(calendar=calendar)


def window_get(*, tenant: Tenant, calendar: BusinessCalendar, pk: int) -> WorkingWindow:
    return WorkingWindow.objects.for_tenant(tenant).get(calendar=calendar, pk=pk)


def exception_list(*, tenant: Tenant, calendar: BusinessCalendar) -> QuerySet:
    return CalendarException.objects.for_tenant(tenant).filter(calendar=calendar)


def exception_get(*, tenant: Tenant, calendar: BusinessCalendar, pk: int) -> CalendarException:
    return CalendarException.objects.for_tenant(tenant).get(calendar=calendar, pk=pk)


def sla_targets(*, tenant: Tenant, sla: ServiceLevelAgreement) -> list[SlaTarget]:
    return list(SlaTarget.objects.for_tenant(tenant).filter(sla=sla))


def escalation_level_get(*, tenant: Tenant, sla: ServiceLevelAgreement, pk: int) -> EscalationLevel:
    return EscalationLevel.objects.for_tenant(tenant).get(sla=sla, pk=pk)
