"""Isolation cases for the service order and generation pages (see tests/isolation.py)."""

from agreements.models import AgreementState
from service_orders.models import OrderStage
from service_orders.services.stages import stage_tree_ensure
from tests.agreements.isolation_cases_agreements import agreement_with_line
from tests.factories import (
    CustomerFactory,
    GenerationRunFactory,
    ReasonCodeFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
)


def _order(tenant) -> dict:
    return {"pk": ServiceOrderFactory(customer=CustomerFactory(tenant=tenant)).pk}


def _line(tenant) -> dict:
    line = ServiceOrderLineFactory(
        order=ServiceOrderFactory(customer=CustomerFactory(tenant=tenant))
    )
    return {"pk": line.order_id, "line_pk": line.pk}


def _agreement_order(tenant) -> dict:
    agreement = agreement_with_line(tenant, state=AgreementState.ACTIVE)
    return {"pk": ServiceOrderFactory(customer=agreement.customer, agreement=agreement).pk}


def _stage(tenant) -> dict:
    stage_tree_ensure(tenant=tenant)
    return {"pk": OrderStage.objects.filter(tenant=tenant, is_initial=False).first().pk}


def _reason(tenant) -> dict:
    stage_tree_ensure(tenant=tenant)
    stage = OrderStage.objects.filter(tenant=tenant, code="hold").first()
    return {"pk": ReasonCodeFactory(stage=stage).pk}


CASES = {
    "service_orders:order_stage_move": _order,
    "service_orders:order_revoke_cancel": _order,
    "service_orders:order_clock": _order,
    "service_orders:order_delete": _order,
    "service_orders:order_assign": _order,
    "service_orders:lines_move": _order,
    "service_orders:lines_from_agreement": _agreement_order,
    "service_orders:line_cancel": _line,
    "service_orders:line_revoke_cancel": _line,
    "service_orders:stage_edit": _stage,
    "service_orders:stage_delete": _stage,
    "service_orders:reason_create": _stage,
    "service_orders:reason_edit": _reason,
    "service_orders:reason_delete": _reason,
    "service_orders:order_detail": _order,
    "service_orders:order_cancel": _order,
    "service_orders:generation_run_detail": lambda tenant: {
        "pk": GenerationRunFactory(tenant=tenant).pk
    },
}
