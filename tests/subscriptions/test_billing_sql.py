"""The billing run's raw multi-row INSERTs (tenancy.bulk): fees and invoice lines written
without model instances keep every column Django would write, the unique keys skip a fee that
exists already (counted, not doubled), and every statement is routed by tenant_id."""

import datetime
from decimal import Decimal

import pytest

from invoicing.models import InvoiceLine
from subscriptions.models import Fee, FeeKind
from subscriptions.services.billing import billing_run
from tenancy.bulk import insert_rows
from tests.tenancy.querylog import assert_tenant_routed, capture_statements

from .helpers import active_subscription

D = datetime.date
pytestmark = pytest.mark.django_db


def test_the_billing_run_routes_every_statement(tenant_a, tenant_b):
    for tenant in (tenant_b, tenant_a):
        active_subscription(tenant, start=D(2026, 1, 1))
    with capture_statements() as log:
        run = billing_run(tenant=tenant_a, through=D(2026, 3, 15))
    assert run.fees_created == 3
    assert_tenant_routed(log)
    assert not Fee.objects.filter(tenant=tenant_b).exists()


def test_fee_rows_and_lines_carry_every_column(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 16), price=Decimal("310.00"))
    run = billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    fee = Fee.objects.get(subscription=subscription)
    assert fee.tenant_id == tenant_a.pk and fee.run_id == run.pk and fee.created_at is not None
    assert (fee.period_start, fee.period_end) == (D(2026, 1, 1), D(2026, 1, 31))
    assert fee.proration_factor == Decimal("0.516129")  # 16/31
    assert fee.amount == Decimal("160.00")  # 310 × 16/31
    line = InvoiceLine.objects.get(source="subscription_fee", source_id=fee.pk)
    assert line.tenant_id == tenant_a.pk and line.invoice_id == fee.invoice_id
    assert line.amount == fee.amount and line.proration_factor == fee.proration_factor
    assert line.item_id == subscription.item_id
    assert (line.period_start, line.period_end) == (fee.period_start, fee.period_end)


def test_a_fee_that_exists_already_is_skipped_and_counted(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    row = {
        "tenant_id": tenant_a.pk,
        "subscription_id": subscription.pk,
        "kind": FeeKind.REGULAR,
        "period_start": D(2026, 1, 1),
        "period_end": D(2026, 1, 31),
        "description": 'A "quoted" fee, with a comma \\ and a backslash',
        "unit_price": Decimal("200.00"),
        "proration_factor": Decimal("1"),
        "amount": Decimal("200.00"),
        "currency": "PLN",
    }
    february = {**row, "period_start": D(2026, 2, 1), "period_end": D(2026, 2, 28)}
    first = insert_rows(Fee, [row], ignore_conflicts=True, returning=("id",))
    again = insert_rows(Fee, [row, february], ignore_conflicts=True, returning=("id",))
    assert len(first) == 1 and len(again) == 1
    assert Fee.objects.filter(subscription=subscription).count() == 2
    stored = Fee.objects.get(pk=first[0][0])
    assert stored.description == row["description"]
    # The run finds both periods billed and bills neither again.
    run = billing_run(tenant=tenant_a, through=D(2026, 2, 28))
    assert run.fees_created == 0
    assert Fee.objects.filter(subscription=subscription).count() == 2
