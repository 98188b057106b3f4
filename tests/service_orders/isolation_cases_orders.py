"""Isolation cases for the service order and generation pages (see tests/isolation.py)."""

from tests.factories import CustomerFactory, GenerationRunFactory, ServiceOrderFactory


def _order(tenant) -> dict:
    return {"pk": ServiceOrderFactory(customer=CustomerFactory(tenant=tenant)).pk}


CASES = {
    "service_orders:order_detail": _order,
    "service_orders:order_cancel": _order,
    "service_orders:generation_run_detail": lambda tenant: {
        "pk": GenerationRunFactory(tenant=tenant).pk
    },
}
