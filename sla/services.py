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
from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot

from .models import BusinessCalendar, Holiday, ServiceLevelAgreement
from .signals import timing_changed

SLA_FIELDS = ("code", "name", "description", "is_suspended", "warning_percent")
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
