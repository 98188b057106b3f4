"""Accruals: an issued fee of an accruing group is recognised over its period; the monthly job
posts it; a credit note reverses what was not yet recognised; the deferred-revenue report."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice, InvoiceLine, InvoiceState
from invoicing.services import credit_note_create, invoice_issue
from subscriptions.models import AccrualEntry, PeriodKind
from subscriptions.services.accruals import accruals_post, deferred_revenue
from subscriptions.services.billing import billing_run
from tests.factories import SubscriptionGroupFactory

from .helpers import active_subscription

D = datetime.date
pytestmark = pytest.mark.django_db


def _yearly(tenant, price="1000.00", accrue=True):
    group = SubscriptionGroupFactory(tenant=tenant, period=PeriodKind.YEAR, accrue=accrue)
    subscription = active_subscription(
        tenant, start=D(2026, 1, 1), group=group, price=Decimal(price)
    )
    billing_run(tenant=tenant, through=D(2026, 1, 1))
    draft = Invoice.objects.get(customer=subscription.customer, state=InvoiceState.DRAFT)
    return subscription, draft


def test_issuing_schedules_a_yearly_fee_in_12_monthly_amounts_summing_to_it(tenant_a):
    _subscription, draft = _yearly(tenant_a)
    assert not AccrualEntry.objects.exists()  # a draft recognises nothing
    invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    entries = list(AccrualEntry.objects.order_by("month"))
    assert len(entries) == 12
    assert [e.month for e in entries] == [D(2026, m, 1) for m in range(1, 13)]
    assert sum(e.amount for e in entries) == Decimal("1000.00")
    assert entries[-1].amount == Decimal("1000.00") - 11 * entries[0].amount


def test_a_group_without_accrual_schedules_nothing(tenant_a):
    _subscription, draft = _yearly(tenant_a, accrue=False)
    invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    assert not AccrualEntry.objects.exists()


def test_the_monthly_job_posts_ended_months_once(tenant_a):
    _subscription, draft = _yearly(tenant_a)
    invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    assert accruals_post(tenant=tenant_a, through=D(2026, 4, 1)) == 3
    assert accruals_post(tenant=tenant_a, through=D(2026, 4, 15)) == 0
    posted = AccrualEntry.objects.filter(posted_at__isnull=False)
    assert sorted(posted.values_list("month", flat=True)) == [D(2026, m, 1) for m in (1, 2, 3)]


def test_crediting_reverses_what_was_not_yet_recognised(tenant_a):
    _subscription, draft = _yearly(tenant_a, price="1200.00")
    invoice = invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    accruals_post(tenant=tenant_a, through=D(2026, 4, 1))  # January–March recognised
    line = InvoiceLine.objects.get(invoice=invoice)
    credit_note_create(
        tenant=tenant_a, by=None, invoice_id=invoice.pk, amounts={line.pk: line.amount}
    )
    live = AccrualEntry.objects.filter(reversed_at__isnull=True)
    assert sum(e.amount for e in live) == Decimal("300.00")  # three months of 100.00 stay
    assert live.filter(posted_at__isnull=True).count() == 0


def test_a_partial_credit_comes_off_the_open_months(tenant_a):
    _subscription, draft = _yearly(tenant_a, price="1200.00")
    invoice = invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    accruals_post(tenant=tenant_a, through=D(2026, 7, 1))  # six months recognised: 600.00
    line = InvoiceLine.objects.get(invoice=invoice)
    credit_note_create(
        tenant=tenant_a, by=None, invoice_id=invoice.pk, amounts={line.pk: Decimal("300.00")}
    )
    live = AccrualEntry.objects.filter(reversed_at__isnull=True)
    assert sum(e.amount for e in live) == Decimal("900.00")
    assert sum(e.amount for e in live.filter(posted_at__isnull=True)) == Decimal("300.00")


def test_deferred_revenue_report_by_month_and_its_csv(tenant_a, manager_a, client_for):
    _subscription, draft = _yearly(tenant_a, price="1200.00")
    invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    issued_on = Invoice.objects.get(pk=draft.pk).issue_date
    accruals_post(tenant=tenant_a, through=D(2026, 3, 1))
    rows = {
        row.month: row
        for row in deferred_revenue(tenant=tenant_a, start=D(2026, 1, 1), end=D(2026, 12, 1))
    }
    assert rows[D(2026, 1, 1)].to_recognise == Decimal("100.00")
    assert rows[D(2026, 1, 1)].recognised == Decimal("100.00")
    assert rows[D(2026, 3, 1)].recognised == Decimal("0")
    if issued_on <= D(2026, 1, 31):
        assert rows[D(2026, 1, 1)].deferred == Decimal("1100.00")
    assert sum(row.to_recognise for row in rows.values()) == Decimal("1200.00")
    response = client_for(manager_a).get(
        reverse("subscriptions:deferred_revenue") + "?from=2026-01&to=2026-12&format=csv"
    )
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("Month,Currency")
    assert lines[1].startswith("2026-01,PLN,100.00,100.00,")
    assert len(lines) == 13
