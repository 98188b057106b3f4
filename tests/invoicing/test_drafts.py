"""add_to_draft_invoice: the one open draft per invoice account and currency."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoicing.models import Invoice, InvoiceLine, InvoiceState
from invoicing.services import DraftLine, add_to_draft_invoice
from tests.factories import CustomerFactory, InvoicingSettingsFactory, ItemFactory

pytestmark = pytest.mark.django_db


def _fee(amount="200.00", **kw):
    return DraftLine(
        description=kw.pop("description", "Monthly maintenance fee"),
        quantity=Decimal("1"),
        unit="mo",
        unit_price=Decimal(amount),
        amount=Decimal(amount),
        source=kw.pop("source", "subscription_fee"),
        source_id=kw.pop("source_id", 1),
        **kw,
    )


def test_lines_gather_on_one_draft_per_customer_and_currency(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    first = add_to_draft_invoice(tenant=tenant_a, customer=customer, currency="EUR", lines=[_fee()])
    second = add_to_draft_invoice(
        tenant=tenant_a, customer=customer, currency="EUR", lines=[_fee("50.00", source_id=2)]
    )
    other_currency = add_to_draft_invoice(
        tenant=tenant_a, customer=customer, currency="PLN", lines=[_fee("10.00", source_id=3)]
    )
    assert first.pk == second.pk != other_currency.pk
    draft = Invoice.objects.get(pk=first.pk)
    assert draft.state == InvoiceState.DRAFT and draft.number == ""
    assert draft.net_total == Decimal("200.00") + Decimal("50.00")
    assert InvoiceLine.objects.filter(invoice=draft).count() == 2


def test_the_invoice_account_is_billed(tenant_a):
    payer = CustomerFactory(tenant=tenant_a)
    served = CustomerFactory(tenant=tenant_a, invoice_account=payer)
    draft = add_to_draft_invoice(tenant=tenant_a, customer=served, currency="EUR", lines=[_fee()])
    assert draft.customer_id == payer.pk


def test_proration_period_item_and_tax_are_kept(tenant_a):
    InvoicingSettingsFactory(tenant=tenant_a, default_tax_rate=Decimal("23"))
    item = ItemFactory(tenant=tenant_a)
    customer = CustomerFactory(tenant=tenant_a)
    line = _fee(
        "187.10",
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        proration_factor=Decimal("0.935484"),
        item=item,
    )
    draft = add_to_draft_invoice(tenant=tenant_a, customer=customer, currency="EUR", lines=[line])
    stored = InvoiceLine.objects.get(invoice=draft)
    assert stored.period_start == line.period_start and stored.period_end == line.period_end
    assert stored.proration_factor == line.proration_factor
    assert stored.item_id == item.pk and stored.tax_rate == Decimal("23")
    expected_tax = (Decimal("187.10") * Decimal("0.23")).quantize(Decimal("0.01"))
    draft.refresh_from_db()
    assert draft.tax_total == expected_tax
    assert draft.gross_total == Decimal("187.10") + expected_tax


def test_a_negative_reduction_line_is_allowed(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    draft = add_to_draft_invoice(
        tenant=tenant_a,
        customer=customer,
        currency="EUR",
        lines=[_fee("200.00"), _fee("-12.90", source="subscription_reduction")],
    )
    draft.refresh_from_db()
    assert draft.net_total == Decimal("187.10")


def test_amount_defaults_to_quantity_times_price_rounded_half_up(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    line = DraftLine(
        description="Hours", quantity=Decimal("1.5"), unit="h", unit_price=Decimal("10.01")
    )
    draft = add_to_draft_invoice(tenant=tenant_a, customer=customer, currency="EUR", lines=[line])
    assert InvoiceLine.objects.get(invoice=draft).amount == Decimal("15.02")  # 15.015 → half up


@pytest.mark.parametrize(
    "line",
    [
        DraftLine(description="", unit_price=Decimal("1")),
        DraftLine(description="x", quantity=Decimal("-1"), unit_price=Decimal("1")),
        DraftLine(description="x", unit_price=1.5),
    ],
)
def test_bad_lines_save_nothing(tenant_a, line):
    customer = CustomerFactory(tenant=tenant_a)
    with pytest.raises(ValidationError):
        add_to_draft_invoice(tenant=tenant_a, customer=customer, currency="EUR", lines=[line])
    assert not Invoice.objects.filter(tenant=tenant_a).exists()


def test_another_tenants_customer_or_item_is_refused(tenant_a, tenant_b):
    with pytest.raises(ValidationError):
        add_to_draft_invoice(
            tenant=tenant_a,
            customer=CustomerFactory(tenant=tenant_b),
            currency="EUR",
            lines=[_fee()],
        )
    with pytest.raises(ValidationError):
        add_to_draft_invoice(
            tenant=tenant_a,
            customer=CustomerFactory(tenant=tenant_a),
            currency="EUR",
            lines=[_fee(item=ItemFactory(tenant=tenant_b))],
        )
    assert not InvoiceLine.objects.exists()
