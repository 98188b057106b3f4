"""An agreement's commercial data: the customer contact and the customer's PO reference, set on
its form, shown on its page and on its service orders; a contact of another customer is refused
beside the field."""

import pytest
from django.urls import reverse

from agreements.models import Agreement, AgreementState
from tests.factories import CustomerContactFactory, CustomerFactory, ServiceOrderFactory

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db


def _form(agreement, **changes) -> dict:
    data = {
        "customer": agreement.customer_id,
        "description": agreement.description,
        "start_date": agreement.start_date.isoformat(),
        "currency": agreement.currency,
        "combine_rule": agreement.combine_rule,
    }
    data.update(changes)
    return data


def test_manager_sets_the_contact_and_po_reference(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    contact = CustomerContactFactory(customer=agreement.customer, name="Ewa Zielińska")
    client.force_login(manager_a)
    edit = reverse("agreements:agreement_edit", args=[agreement.pk])
    assert f'value="{contact.pk}"' in client.get(edit).content.decode()
    response = client.post(
        edit, _form(agreement, contact=contact.pk, customer_reference="  PO-4411 ")
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (agreement.contact, agreement.customer_reference) == (contact, "PO-4411")
    page = client.get(reverse("agreements:agreement_detail", args=[agreement.pk]))
    assert "Ewa Zielińska" in page.content.decode() and "PO-4411" in page.content.decode()
    order = ServiceOrderFactory(customer=agreement.customer, agreement=agreement)
    order_page = client.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert 'data-testid="customer-reference">PO-4411<' in order_page.content.decode()


def test_a_contact_of_another_customer_is_refused_beside_the_field(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    stranger = CustomerContactFactory(customer=CustomerFactory(tenant=tenant_a))
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_edit", args=[agreement.pk]),
        _form(agreement, contact=stranger.pk, customer_reference="PO-1"),
    )
    assert response.status_code == 200
    assert "contact" in response.context["form"].errors
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (agreement.contact_id, agreement.customer_reference) == (None, "")
