"""Isolation case for posting one order (see tests/isolation.py)."""

from service_orders.models import OrderState
from tests.factories import CustomerFactory, ServiceOrderFactory, ServiceOrderLineFactory


def _completed_order(tenant) -> dict:
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant), state=OrderState.COMPLETED)
    ServiceOrderLineFactory(order=order)
    return {"pk": order.pk}


CASES = {"service_orders:order_post": _completed_order}
