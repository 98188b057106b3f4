"""Isolation cases for agreement, group and line URLs, and the record builders the agreement
tests share (an agreement with a covered object, a related task and one line)."""

import datetime

from agreements.models import Agreement, AgreementLine, AgreementState, IntervalUnit
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementRateFactory,
    AgreementTaskFactory,
    CustomerFactory,
    TemplateGroupFactory,
)


def with_state(agreement: Agreement, state: str | None) -> Agreement:
    """The agreement put into ``state`` behind the FSM's back (for arranging tests only).
    (AgreementFactory(state=...) cannot re-read a protected FSM field with refresh_from_db.)"""
    if state:
        Agreement.objects.filter(pk=agreement.pk).update(state=state)
    return Agreement.objects.get(pk=agreement.pk)


def agreement_with_line(tenant, *, state=None, **fields):
    """An agreement of a fresh customer, covering one object and one task, with one monthly
    line on them."""
    agreement = AgreementFactory(
        customer=CustomerFactory(tenant=tenant),
        start_date=fields.pop("start_date", datetime.date(2026, 1, 1)),
        **fields,
    )
    link = AgreementObjectFactory(agreement=agreement)
    task_link = AgreementTaskFactory(agreement=agreement)
    AgreementLineFactory(
        agreement=agreement,
        service_object=link.service_object,
        task=task_link.task,
        interval_unit=IntervalUnit.MONTH,
    )
    return with_state(agreement, state)


def _line(tenant) -> AgreementLine:
    return agreement_with_line(tenant).lines.get()


def _agreement(tenant, state=AgreementState.ACTIVE):
    return {"pk": agreement_with_line(tenant, state=state).pk}


def _object_link(tenant):
    agreement = agreement_with_line(tenant)
    return {"pk": agreement.pk, "link_pk": agreement.object_links.get().pk}


def _task_link(tenant):
    agreement = agreement_with_line(tenant)
    return {"pk": agreement.pk, "link_pk": agreement.task_links.get().pk}


def _rate(tenant):
    return AgreementRateFactory(agreement=agreement_with_line(tenant, state=AgreementState.ACTIVE))


CASES = {
    "agreements:agreement_detail": _agreement,
    "agreements:agreement_edit": _agreement,
    "agreements:agreement_activate": lambda t: _agreement(t, AgreementState.DRAFT),
    "agreements:agreement_suspend": _agreement,
    "agreements:agreement_resume": lambda t: _agreement(t, AgreementState.SUSPENDED),
    "agreements:agreement_expire": _agreement,
    "agreements:agreement_cancel": _agreement,
    "agreements:agreement_mark_template": lambda t: _agreement(t, AgreementState.DRAFT),
    "agreements:agreement_renew": lambda t: {
        "pk": agreement_with_line(
            t, state=AgreementState.ACTIVE, end_date=datetime.date(2026, 12, 31)
        ).pk
    },
    "agreements:agreement_object_add": _agreement,
    "agreements:agreement_object_remove": _object_link,
    "agreements:agreement_task_add": _agreement,
    "agreements:agreement_task_remove": _task_link,
    "agreements:line_create": _agreement,
    "agreements:line_edit": lambda t: {"pk": _line(t).pk},
    "agreements:line_delete": lambda t: {"pk": _line(t).pk},
    "agreements:line_stop": lambda t: {"pk": _line(t).pk},
    "agreements:line_unstop": lambda t: {"pk": _line(t).pk},
    "customers:agreement_group_edit": lambda t: {"pk": AgreementGroupFactory(tenant=t).pk},
    "agreements:objects_bulk": _agreement,
    "agreements:lines_copy": _agreement,
    "agreements:lines_bulk": _agreement,
    "agreements:rate_create": _agreement,
    "agreements:group_rates": lambda t: {"pk": AgreementGroupFactory(tenant=t).pk},
    "agreements:group_rate_create": lambda t: {"pk": AgreementGroupFactory(tenant=t).pk},
    "agreements:rate_edit": lambda t: {"pk": _rate(t).pk},
    "agreements:rate_delete": lambda t: {"pk": _rate(t).pk},
    "agreements:template_group_edit": lambda t: {"pk": TemplateGroupFactory(tenant=t).pk},
}
