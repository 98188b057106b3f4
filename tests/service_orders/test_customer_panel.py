"""The service orders panel on a customer's page: the orders load into it, and whoever may
create orders starts a new one for this customer from there."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_new_order_from_the_customer_page_preselects_the_customer(tenant_a, manager_a, client_for):
    customer = CustomerFactory(tenant=tenant_a)
    client = client_for(manager_a)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    new_order = reverse("service_orders:order_create") + f"?customer={customer.pk}"
    assert f'href="{new_order}"' in page
    form = client.get(new_order).context["form"]
    assert str(form["customer"].value()) == str(customer.pk)


def test_readers_without_the_order_capability_get_no_new_order_button(
    tenant_a, make_member, client_for, monkeypatch
):
    from service_orders import registrations

    customer = CustomerFactory(tenant=tenant_a)
    monkeypatch.setattr(registrations, "request_can", lambda request, capability: False)
    client = client_for(make_member(tenant_a, "service_manager"))
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="new-order"' not in page
