"""The returns demo: reasons in the tenant's language, an open return and a closed one with a
credit note, once."""

import pytest

from invoicing import demo as invoicing_demo
from returns import demo
from returns.models import ReturnCredit, ReturnOrder, ReturnReason, ReturnState
from tenancy.roles import Role
from tests.factories import CustomerFactory, CustomerSiteFactory, ItemFactory

pytestmark = pytest.mark.django_db


def test_the_demo_lays_an_open_and_a_closed_return_once(tenant_a, make_member):
    tenant_a.default_language, tenant_a.currency, tenant_a.country = "pl", "PLN", "PL"
    tenant_a.save()
    ItemFactory(tenant=tenant_a, name="Filtr powietrza")
    for _ in range(5):
        CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a), is_default=True)
    people = {"manager": make_member(tenant_a, Role.SERVICE_MANAGER)}
    invoicing_demo.seed(tenant=tenant_a, people=people)

    demo.seed(tenant=tenant_a, people=people)

    assert set(ReturnReason.objects.filter(tenant=tenant_a).values_list("code", flat=True)) == {
        code for code, _name in demo.REASONS["PL"]
    }
    returns = ReturnOrder.objects.filter(tenant=tenant_a)
    assert set(returns.values_list("state", flat=True)) == {ReturnState.OPEN, ReturnState.CLOSED}
    closed = returns.get(state=ReturnState.CLOSED)
    credit = ReturnCredit.objects.get(line__return_order=closed)
    assert credit.credit_note.credited_invoice_id == credit.line.invoice_id
    opened = returns.get(state=ReturnState.OPEN)
    line = opened.lines.get()
    assert 0 < line.received_quantity <= line.quantity
    demo.seed(tenant=tenant_a, people=people)
    assert ReturnOrder.objects.filter(tenant=tenant_a).count() == 2
    assert ReturnReason.objects.filter(tenant=tenant_a).count() == len(demo.REASONS["PL"])
