"""Isolation cases for the SLA and business calendar pages (see tests/isolation.py)."""

from tests.factories import BusinessCalendarFactory, HolidayFactory, ServiceLevelAgreementFactory


def _calendar(tenant) -> dict:
    return {"pk": BusinessCalendarFactory(tenant=tenant).pk}


def _holiday(tenant) -> dict:
    holiday = HolidayFactory(calendar=BusinessCalendarFactory(tenant=tenant))
    return {"pk": holiday.calendar_id, "holiday_pk": holiday.pk}


CASES = {
    "sla:sla_edit": lambda tenant: {"pk": ServiceLevelAgreementFactory(tenant=tenant).pk},
    "sla:calendar_detail": _calendar,
    "sla:calendar_edit": _calendar,
    "sla:holiday_add": _calendar,
    "sla:holiday_delete": _holiday,
}
