"""order_cancel: open orders only, audited, within the tenant."""

import pytest

from service_orders.models import OrderState, ServiceOrder
from service_orders.services.orders import OrderTransitionRefused, order_cancel
from tenancy.models import AuditEvent
from tests.factories import CustomerFactory, ServiceOrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [OrderState.NEW, OrderState.IN_PROGRESS, OrderState.ON_HOLD])
def test_an_open_order_is_cancelled_and_audited(tenant_a, manager_a, state):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), state=state)
    cancelled = order_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk, reason="Duplicate")
    assert cancelled.state == OrderState.CANCELLED
    event = AuditEvent.objects.get(target_type="service_orders.serviceorder", target_id=order.pk)
    assert event.changes == {"state": [state, OrderState.CANCELLED]}


@pytest.mark.parametrize("state", [OrderState.COMPLETED, OrderState.POSTED, OrderState.CANCELLED])
def test_a_closed_order_is_refused_with_its_state(tenant_a, manager_a, state):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), state=state)
    with pytest.raises(OrderTransitionRefused) as refused:
        order_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk)
    assert refused.value.order.state == state
    assert not AuditEvent.objects.filter(action="order.cancel").exists()


def test_another_tenants_order_is_not_found(tenant_a, tenant_b, manager_b):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a))
    with pytest.raises(ServiceOrder.DoesNotExist):
        order_cancel(tenant=tenant_b, by=manager_b, order_id=order.pk)
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.NEW
