"""The billing run writes a chunk at once (invoicing's batched draft service) and falls back to
one savepoint per subscription when the chunk fails; fee lines speak the invoice's language;
the customer page lists the customer's subscriptions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import formats, translation

from invoicing.models import Invoice, InvoiceLine
from subscriptions.models import BillingError, Fee, FeeKind, OneOffFee
from subscriptions.services.billing import billing_run
from tests.factories import CustomerFactory, OneOffFeeFactory, SubscriptionGroupFactory

from .helpers import active_subscription

D = datetime.date
pytestmark = pytest.mark.django_db


def test_a_subscription_refused_while_writing_is_recorded_and_the_chunk_still_bills(tenant_a):
    """The one-off fee's text is refused by invoicing (blank) only when the lines are written:
    the chunk's batch fails as a whole, and the run writes the subscriptions one by one."""
    group = SubscriptionGroupFactory(tenant=tenant_a)
    good = [active_subscription(tenant_a, start=D(2026, 1, 1), group=group) for _ in range(3)]
    bad = active_subscription(tenant_a, start=D(2026, 1, 1), group=group)
    one_off = OneOffFeeFactory(subscription=bad, charge_on=D(2026, 1, 10))
    OneOffFee.objects.filter(pk=one_off.pk).update(description="   ")
    run = billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    assert run.fees_created == 3 and run.subscriptions_failed == 1
    error = BillingError.objects.get(run=run)
    assert error.subscription_id == bad.pk
    assert not Fee.objects.filter(subscription=bad).exists()
    for subscription in good:
        fee = Fee.objects.get(subscription=subscription, kind=FeeKind.REGULAR)
        line = InvoiceLine.objects.get(source="subscription_fee", source_id=fee.pk)
        assert fee.invoice_id == line.invoice_id
        invoice = Invoice.objects.get(pk=line.invoice_id)
        assert invoice.customer_id == subscription.customer_id
        assert invoice.net_total == fee.amount
    bad.refresh_from_db()
    assert bad.next_period_start == D(2026, 1, 1)  # still due: the next run retries it


@pytest.mark.parametrize("size", [3, 30])
def test_a_chunk_takes_the_same_statements_whatever_its_size(
    tenant_a, size, django_assert_max_num_queries
):
    group = SubscriptionGroupFactory(tenant=tenant_a)
    for _ in range(size):
        active_subscription(tenant_a, start=D(2026, 1, 1), group=group)
    # One chunk: its reads, one batch for invoicing, one fee INSERT, one schedule UPDATE (and
    # the run's own bookkeeping): 52 statements at either size when this was written.
    with django_assert_max_num_queries(55):
        run = billing_run(tenant=tenant_a, through=D(2026, 1, 31))
    assert run.fees_created == size
    assert InvoiceLine.objects.count() == size


def test_fee_lines_show_dates_as_the_invoice_language_writes_them(tenant_a):
    polish = CustomerFactory(tenant=tenant_a, language="pl")
    branch = CustomerFactory(tenant=tenant_a, language="en", invoice_account=polish)
    subscription = active_subscription(tenant_a, start=D(2026, 3, 1), customer=polish)
    of_branch = active_subscription(tenant_a, start=D(2026, 3, 1), customer=branch)
    billing_run(tenant=tenant_a, through=D(2026, 3, 1))
    with translation.override("pl"):
        start = formats.date_format(D(2026, 3, 1), "SHORT_DATE_FORMAT")
        end = formats.date_format(D(2026, 3, 31), "SHORT_DATE_FORMAT")
    for billed in (subscription, of_branch):
        fee = Fee.objects.get(subscription=billed)
        text = InvoiceLine.objects.get(source_id=fee.pk).description
        assert start in text and end in text, text
        assert "2026-03-01" not in text


def test_the_customer_page_lists_the_customers_subscriptions(
    tenant_a, tenant_b, manager_a, client_for, django_assert_max_num_queries
):
    customer = CustomerFactory(tenant=tenant_a)
    mine = [
        active_subscription(
            tenant_a, start=D(2026, 1, 1), customer=customer, description=f"Plan {n}"
        )
        for n in range(2)
    ]
    other = active_subscription(tenant_a, start=D(2026, 1, 1), description="Someone else's")
    client = client_for(manager_a)
    url = reverse("customers:customer_detail", args=[customer.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="customer-subscriptions"' in page
    for subscription in mine:
        assert subscription.number in page
    assert other.number not in page
    assert f"{reverse('subscriptions:subscription_create')}?customer={customer.pk}" in page
    # A constant number of queries, whatever the number of subscriptions.
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for _n in range(10):
        active_subscription(tenant_a, start=D(2026, 1, 1), customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    # The form opened from there has the customer chosen.
    form = client.get(reverse("subscriptions:subscription_create") + f"?customer={customer.pk}")
    assert form.context["form"]["customer"].value() == customer.pk
