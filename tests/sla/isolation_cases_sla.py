"""Isolation cases for the SLA and business calendar pages (see tests/isolation.py)."""

from tests.factories import (
    BusinessCalendarFactory,
    CalendarExceptionFactory,
    EscalationLevelFactory,
    HolidayFactory,
    ServiceLevelAgreementFactory,
    WorkingWindowFactory,
)


def _calendar(tenant) -> dict:
    return {"pk": BusinessCalendarFactory(tenant=tenant).pk}


def _holiday(tenant) -> dict:
    holiday = HolidayFactory(calendar=BusinessCalendarFactory(tenant=tenant))
    return {"pk": holiday.calendar_id, "holiday_pk": holiday.pk}


def _window(tenant) -> dict:
    window = WorkingWindowFactory(calendar=BusinessCalendarFactory(tenant=tenant))
    return {"pk": window.calendar_id, "window_pk": window.pk}


def _exception(tenant) -> dict:
    exception = CalendarExceptionFactory(calendar=BusinessCalendarFactory(tenant=tenant))
    return {"pk": exception.calendar_id, "exception_pk": exception.pk}


def _sla(tenant) -> dict:
    return {"pk": ServiceLevelAgreementFactory(tenant=tenant).pk}


def _level(tenant) -> dict:
    level = EscalationLevelFactory(sla=ServiceLevelAgreementFactory(tenant=tenant))
    return {"pk": level.sla_id, "level_pk": level.pk}


CASES = {
    "sla:sla_edit": lambda tenant: {"pk": ServiceLevelAgreementFactory(tenant=tenant).pk},
    "sla:calendar_detail": _calendar,
    "sla:calendar_edit": _calendar,
    "sla:holiday_add": _calendar,
    "sla:holiday_delete": _holiday,
    "sla:holiday_import": _calendar,
    "sla:window_add": _calendar,
    "sla:window_delete": _window,
    "sla:exception_add": _calendar,
    "sla:exception_delete": _exception,
    "sla:sla_targets": _sla,
    "sla:level_add": _sla,
    "sla:level_delete": _level,
}
