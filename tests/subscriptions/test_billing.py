"""The billing run: due fees exactly once, caught up, prorated, on the customer's draft."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from invoicing.models import Invoice, InvoiceLine, InvoiceState
from invoicing.services import draft_line_remove, invoice_cancel
from subscriptions.models import (
    BillingError,
    Fee,
    FeeKind,
    PeriodKind,
    RunTrigger,
    Subscription,
    SubscriptionState,
    Timing,
)
from subscriptions.services import subscriptions as services
from subscriptions.services.billing import billing_run
from tests.factories import (
    CustomerFactory,
    OneOffFeeFactory,
    PriceListRowFactory,
    ReductionFactory,
    SubscriptionGroupFactory,
)

from .helpers import active_subscription

D = datetime.date
pytestmark = pytest.mark.django_db


def _regular(subscription):
    return list(
        Fee.objects.filter(subscription=subscription, kind=FeeKind.REGULAR).order_by("period_start")
    )


def test_catch_up_after_three_missed_months_creates_three_fees_then_nothing(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    run = billing_run(tenant=tenant_a, through=D(2026, 3, 15))
    fees = _regular(subscription)
    assert [fee.period_start for fee in fees] == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert run.fees_created == 3 and run.subscriptions_failed == 0
    subscription.refresh_from_db()
    assert subscription.next_period_start == D(2026, 4, 1)
    assert subscription.next_due_on == D(2026, 4, 1)

    again = billing_run(tenant=tenant_a, through=D(2026, 3, 31))
    assert again.fees_created == 0
    assert len(_regular(subscription)) == 3


def test_due_is_on_or_before_the_date_never_only_equal(tenant_a):
    """A run on the 15th bills a period that started on the 1st (the job missed that day)."""
    subscription = active_subscription(tenant_a, start=D(2026, 3, 1))
    billing_run(tenant=tenant_a, through=D(2026, 3, 15))
    assert [f.period_start for f in _regular(subscription)] == [D(2026, 3, 1)]


def test_fees_land_on_the_customers_one_draft_invoice_with_factor_and_source(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    first = active_subscription(tenant_a, start=D(2026, 1, 1), customer=customer)
    second = active_subscription(
        tenant_a, start=D(2026, 1, 16), customer=customer, price=Decimal("310.00")
    )
    billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    drafts = Invoice.objects.filter(customer=customer, state=InvoiceState.DRAFT)
    assert drafts.count() == 1
    lines = {line.source_id: line for line in InvoiceLine.objects.filter(invoice=drafts.get())}
    fee_first, fee_second = _regular(first)[0], _regular(second)[0]
    assert set(lines) == {fee_first.pk, fee_second.pk}
    assert lines[fee_first.pk].amount == Decimal("200.00")
    assert lines[fee_first.pk].source == "subscription_fee"
    # 16–31 January: 16 of 31 days of 310.00 = 160.00.
    assert fee_second.proration_factor == Decimal("0.516129")
    assert lines[fee_second.pk].amount == fee_second.amount == Decimal("160.00")
    assert lines[fee_second.pk].proration_factor == fee_second.proration_factor
    assert drafts.get().net_total == Decimal("360.00")
    assert fee_first.invoice_id == drafts.get().pk


def test_worked_example_two_reduction_days_in_march(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    ReductionFactory(subscription=subscription, start_date=D(2026, 3, 10), end_date=D(2026, 3, 11))
    Subscription.objects.filter(pk=subscription.pk).update(
        next_period_start=D(2026, 3, 1), next_due_on=D(2026, 3, 1)
    )
    billing_run(tenant=tenant_a, through=D(2026, 3, 1))
    fees = {fee.kind: fee for fee in Fee.objects.filter(subscription=subscription)}
    assert fees[FeeKind.REGULAR].amount == Decimal("200.00")
    assert fees[FeeKind.REDUCTION_DAYS].amount == Decimal("-12.90")
    assert fees[FeeKind.REDUCTION_DAYS].proration_factor == Decimal("0.064516")  # 2/31
    draft = Invoice.objects.get(customer=subscription.customer, state=InvoiceState.DRAFT)
    assert draft.net_total == Decimal("187.10")


def test_in_arrears_bills_a_period_the_day_after_it_ends_prorated_to_the_end_date(tenant_a):
    group = SubscriptionGroupFactory(
        tenant=tenant_a, period=PeriodKind.QUARTER, timing=Timing.ARREARS
    )
    subscription = active_subscription(
        tenant_a,
        start=D(2026, 2, 1),
        end=D(2026, 5, 15),
        group=group,
        price=Decimal("900.00"),
    )
    billing_run(tenant=tenant_a, through=D(2026, 3, 31))
    assert _regular(subscription) == []  # the first quarter has not ended yet
    billing_run(tenant=tenant_a, through=D(2026, 4, 1))
    (q1,) = _regular(subscription)
    # 1 February – 31 March: 59 of the quarter's 90 days.
    assert (q1.period_start, q1.period_end) == (D(2026, 1, 1), D(2026, 3, 31))
    assert q1.amount == Decimal("590.00")
    billing_run(tenant=tenant_a, through=D(2026, 12, 31))
    q1, q2 = _regular(subscription)
    # 1 April – 15 May: 45 of 91 days of 900.00 = 445.054… → 445.05
    assert q2.amount == Decimal("445.05")
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ENDED


def test_cancel_at_period_end_bills_through_the_period_then_cancels(tenant_a, monkeypatch):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    monkeypatch.setattr(type(tenant_a), "today", lambda self: D(2026, 2, 10))
    services.subscription_cancel(
        tenant=tenant_a, subscription_id=subscription.pk, by=None, at_period_end=True
    )
    subscription.refresh_from_db()
    assert subscription.end_date == D(2026, 2, 28)
    billing_run(tenant=tenant_a, through=D(2026, 6, 1))
    assert [f.period_start for f in _regular(subscription)] == [D(2026, 1, 1), D(2026, 2, 1)]
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.CANCELLED


def test_price_from_the_most_specific_price_list_row_and_the_index(tenant_a):
    group = SubscriptionGroupFactory(tenant=tenant_a)
    PriceListRowFactory(tenant=tenant_a, price=Decimal("50.00"))  # generic
    PriceListRowFactory(tenant=tenant_a, group=group, price=Decimal("80.00"))
    PriceListRowFactory(
        tenant=tenant_a, group=group, price=Decimal("90.00"), valid_from=D(2026, 2, 1)
    )
    PriceListRowFactory(
        tenant=tenant_a, group=group, price=Decimal("70.00"), currency="EUR"
    )  # other currency
    subscription = active_subscription(
        tenant_a, start=D(2026, 1, 1), price=None, group=group, index=Decimal("110")
    )
    billing_run(tenant=tenant_a, through=D(2026, 2, 1))
    january, february = _regular(subscription)
    assert january.amount == Decimal("88.00")  # 80 × 1.10
    assert february.amount == Decimal("99.00")  # 90 × 1.10, valid from February


def test_a_failing_subscription_is_recorded_and_the_others_are_billed(tenant_a):
    good = active_subscription(tenant_a, start=D(2026, 1, 1))
    no_price = active_subscription(tenant_a, start=D(2026, 1, 1), price=None)
    also_good = active_subscription(tenant_a, start=D(2026, 1, 1))
    run = billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    assert run.fees_created == 2 and run.subscriptions_failed == 1
    assert len(_regular(good)) == len(_regular(also_good)) == 1
    assert _regular(no_price) == []
    error = BillingError.objects.get(run=run)
    assert error.subscription_id == no_price.pk
    assert "No price" in error.message
    no_price.refresh_from_db()
    assert no_price.next_period_start == D(2026, 1, 1)  # still due: the next run retries it


def test_one_off_fees_are_billed_once_on_or_after_their_date(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    OneOffFeeFactory(subscription=subscription, charge_on=D(2026, 1, 20), amount=Decimal("75"))
    billing_run(tenant=tenant_a, through=D(2026, 1, 10))
    assert not Fee.objects.filter(subscription=subscription, kind=FeeKind.ONE_OFF).exists()
    billing_run(tenant=tenant_a, through=D(2026, 1, 25))
    billing_run(tenant=tenant_a, through=D(2026, 1, 26))
    assert Fee.objects.filter(subscription=subscription, kind=FeeKind.ONE_OFF).count() == 1


def test_paused_days_are_not_charged(tenant_a, monkeypatch):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    billing_run(tenant=tenant_a, through=D(2026, 1, 1))
    services.subscription_pause(
        tenant=tenant_a, subscription_id=subscription.pk, by=None, on=D(2026, 1, 20)
    )
    assert billing_run(tenant=tenant_a, through=D(2026, 3, 1)).fees_created == 0
    services.subscription_resume(
        tenant=tenant_a, subscription_id=subscription.pk, by=None, on=D(2026, 2, 15)
    )
    billing_run(tenant=tenant_a, through=D(2026, 2, 28))
    january, february = _regular(subscription)
    assert january.amount == Decimal("200.00")  # billed in advance before the pause
    # February: paused 1–14, charged 15–28 = 14 of 28 days.
    assert february.amount == Decimal("100.00")


def test_a_cancelled_draft_releases_its_fees_and_the_next_run_bills_them_again(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    billing_run(tenant=tenant_a, through=D(2026, 2, 1))
    draft = Invoice.objects.get(customer=subscription.customer, state=InvoiceState.DRAFT)
    invoice_cancel(tenant=tenant_a, by=None, invoice_id=draft.pk)
    assert _regular(subscription) == []
    subscription.refresh_from_db()
    assert subscription.next_due_on == D(2026, 1, 1)
    billing_run(tenant=tenant_a, through=D(2026, 2, 1))
    assert len(_regular(subscription)) == 2
    new_draft = Invoice.objects.get(customer=subscription.customer, state=InvoiceState.DRAFT)
    assert new_draft.net_total == Decimal("400.00")


def test_a_removed_line_is_billed_again_once(tenant_a):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    billing_run(tenant=tenant_a, through=D(2026, 2, 1))
    february = _regular(subscription)[1]
    line = InvoiceLine.objects.get(source="subscription_fee", source_id=february.pk)
    draft_line_remove(tenant=tenant_a, by=None, line_id=line.pk)
    billing_run(tenant=tenant_a, through=D(2026, 2, 1))
    assert [f.period_start for f in _regular(subscription)] == [D(2026, 1, 1), D(2026, 2, 1)]
    draft = Invoice.objects.get(customer=subscription.customer, state=InvoiceState.DRAFT)
    assert draft.net_total == Decimal("400.00")


def test_the_database_refuses_a_second_regular_fee_for_a_period(tenant_a):
    from django.db import IntegrityError, transaction

    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    billing_run(tenant=tenant_a, through=D(2026, 1, 1))
    fee = _regular(subscription)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Fee.objects.create(
            tenant=tenant_a,
            subscription=subscription,
            kind=FeeKind.REGULAR,
            period_start=fee.period_start,
            period_end=fee.period_end,
            description="again",
            unit_price=fee.unit_price,
            proration_factor=1,
            amount=fee.amount,
            currency=fee.currency,
        )


def test_billing_only_touches_its_own_tenant(tenant_a, tenant_b):
    mine = active_subscription(tenant_a, start=D(2026, 1, 1))
    theirs = active_subscription(tenant_b, start=D(2026, 1, 1))
    billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    assert len(_regular(mine)) == 1 and _regular(theirs) == []


def test_run_billing_command_prints_the_counts_last(tenant_a, capsys):
    active_subscription(tenant_a, start=D(2026, 1, 1))
    active_subscription(tenant_a, start=D(2026, 1, 1), price=None)
    call_command("run_billing", "--tenant", tenant_a.slug, "--through", "2026-03-01")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "created=3 skipped=0 failed=1"
    call_command("run_billing", "--tenant", tenant_a.slug, "--through", "2026-03-01")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "created=0 skipped=0 failed=1"
    from subscriptions.models import BillingRun

    assert BillingRun.objects.filter(trigger=RunTrigger.COMMAND).count() == 2
