"""The invoicing demo: settings, commercial data and an invoice history in every state, once."""

import pytest

from invoicing import demo
from invoicing.models import Invoice, InvoiceKind, InvoiceState, InvoicingSettings
from tenancy.roles import Role
from tests.factories import CustomerFactory, CustomerSiteFactory

pytestmark = pytest.mark.django_db


def test_the_demo_lays_an_invoice_history_once(tenant_a, make_member):
    tenant_a.default_language, tenant_a.currency, tenant_a.country = "pl", "PLN", "PL"
    tenant_a.save()
    for _ in range(5):
        CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a), is_default=True)
    people = {"manager": make_member(tenant_a, Role.SERVICE_MANAGER)}

    demo.seed(tenant=tenant_a, people=people)

    assert InvoicingSettings.objects.get(tenant=tenant_a).legal_name
    invoices = Invoice.objects.filter(tenant=tenant_a, kind=InvoiceKind.INVOICE)
    states = set(invoices.values_list("state", flat=True))
    assert states == {
        InvoiceState.DRAFT,
        InvoiceState.ISSUED,
        InvoiceState.PAID,
        InvoiceState.CREDITED,
    }
    today = tenant_a.today()
    assert any(invoice.is_overdue(today) for invoice in invoices)
    assert Invoice.objects.filter(tenant=tenant_a, kind=InvoiceKind.CREDIT_NOTE).count() == 2
    sequences = sorted(invoices.exclude(sequence=None).values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    count = Invoice.objects.filter(tenant=tenant_a).count()
    demo.seed(tenant=tenant_a, people=people)
    assert Invoice.objects.filter(tenant=tenant_a).count() == count
