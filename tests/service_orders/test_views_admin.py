"""The platform admin's view of service orders in Django admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from service_orders.models import ServiceOrderLine
from tests.factories import (
    CustomerFactory,
    ItemFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _inline_form(order, **line) -> dict:
    data = {
        "customer": order.customer_id,
        "number": order.number,
        "description": order.description,
        "priority": order.priority,
        "origin": order.origin,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    defaults = {"kind": "item", "quantity": "2", "unit_price": "15.00", "cost_price": "9"}
    data.update({f"lines-0-{key}": value for key, value in {**defaults, **line}.items()})
    data["lines-0-status"] = "created"
    return data


def test_admin_lists_and_shows_orders_with_their_lines(root, tenant_a, tenant_b):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), number="SO-ADM-1")
    ServiceOrderLineFactory(order=order, description="Inspection visit")
    ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_b), number="SO-ADM-2")
    changelist = root.get(reverse("admin:service_orders_serviceorder_changelist"))
    assert "SO-ADM-1" in changelist.content.decode() and "SO-ADM-2" in changelist.content.decode()
    change = root.get(reverse("admin:service_orders_serviceorder_change", args=[order.pk]))
    assert "Inspection visit" in change.content.decode()


def test_a_line_added_in_admin_takes_its_orders_tenant(root, tenant_a):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a))
    item = ItemFactory(tenant=tenant_a)
    url = reverse("admin:service_orders_serviceorder_change", args=[order.pk])
    response = root.post(url, _inline_form(order, item=item.pk))
    assert response.status_code == 302
    line = ServiceOrderLine.objects.get(order=order)
    assert line.tenant_id == tenant_a.pk and line.unit_price == Decimal("15.00")


def test_admin_refuses_a_line_with_another_tenants_item(root, tenant_a, tenant_b):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a))
    foreign_item = ItemFactory(tenant=tenant_b)
    url = reverse("admin:service_orders_serviceorder_change", args=[order.pk])
    response = root.post(url, _inline_form(order, item=foreign_item.pk))
    assert response.status_code == 200
    assert "Belongs to another tenant." in response.content.decode()
    assert not ServiceOrderLine.objects.filter(order=order).exists()
