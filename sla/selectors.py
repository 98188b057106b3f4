"""Reads for service levels and business calendars. Every function takes the tenant.

The calendar functions are what agreement generation needs: the tenant's default calendar, its
holidays in a bounded range (never "all history"), and whether a day is open.
"""

import datetime

from django.db.models import Count, Q, QuerySet

from tenancy.models import Tenant

from .models import BusinessCalendar, Holiday, ServiceLevelAgreement, default_working_days


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
