"""Posting service orders to invoices: one order, an agreement's orders, a date range, by line
kind; the stage and the sign-off rule; a failing order rolls back alone; a cancelled draft
releases the lines."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.models import LineKind
from invoicing.models import Invoice, InvoiceLine, InvoiceState
from invoicing.services import invoice_cancel
from service_orders.models import LineStatus, OrderState, ServiceOrderLine
from service_orders.selectors import Progress, progress_of
from service_orders.services.posting import order_post, orders_post, postable_orders
from tests.factories import (
    AgreementFactory,
    CustomerFactory,
    InvoicingSettingsFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
)

pytestmark = pytest.mark.django_db


def _completed(tenant, customer=None, **fields):
    customer = customer or CustomerFactory(tenant=tenant)
    order = ServiceOrderFactory(customer=customer, state=OrderState.COMPLETED, **fields)
    ServiceOrderLineFactory(
        order=order,
        kind=LineKind.HOUR,
        quantity=Decimal("2"),
        unit_price=Decimal("80.00"),
        description="Labour",
    )
    ServiceOrderLineFactory(
        order=order,
        kind=LineKind.ITEM,
        quantity=Decimal("1"),
        unit_price=Decimal("35.50"),
        description="Filter",
    )
    return order


def _statuses(order):
    return list(ServiceOrderLine.objects.filter(order=order).values_list("status", flat=True))


def test_posting_puts_the_lines_on_the_customers_draft_and_marks_them_posted(tenant_a):
    order = _completed(tenant_a)
    invoice_id = order_post(tenant=tenant_a, by=None, order_id=order.pk)
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.state == InvoiceState.DRAFT and invoice.customer_id == order.customer_id
    lines = InvoiceLine.objects.filter(invoice=invoice)
    expected = sum(
        (line.amount for line in ServiceOrderLine.objects.filter(order=order)), Decimal("0")
    )
    assert sum(line.amount for line in lines) == expected
    assert {line.source for line in lines} == {"service_order_line"}
    assert progress_of(_statuses(order)) == Progress.POSTED
    with pytest.raises(ValidationError):  # nothing left to post
        order_post(tenant=tenant_a, by=None, order_id=order.pk)


def test_posting_by_line_kind_leaves_the_other_kinds(tenant_a):
    order = _completed(tenant_a)
    order_post(tenant=tenant_a, by=None, order_id=order.pk, kinds=[LineKind.HOUR])
    posted = dict(ServiceOrderLine.objects.filter(order=order).values_list("kind", "status"))
    assert posted == {LineKind.HOUR: LineStatus.POSTED, LineKind.ITEM: LineStatus.CREATED}


def test_a_stage_that_does_not_allow_posting_is_refused(tenant_a):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), state=OrderState.NEW)
    ServiceOrderLineFactory(order=order)
    with pytest.raises(ValidationError) as err:
        order_post(tenant=tenant_a, by=None, order_id=order.pk)
    assert "cannot be posted" in " ".join(err.value.messages)
    assert not Invoice.objects.filter(tenant=tenant_a).exists()
    assert _statuses(order) == [LineStatus.CREATED]


def test_the_tenants_sign_off_rule(tenant_a):
    InvoicingSettingsFactory(tenant=tenant_a, posting_requires_signoff=True)
    order = _completed(tenant_a)
    with pytest.raises(ValidationError):
        order_post(tenant=tenant_a, by=None, order_id=order.pk)
    assert not Invoice.objects.filter(tenant=tenant_a).exists()
    order.signed_off_at = timezone.now()
    order.save(update_fields=["signed_off_at"])
    order_post(tenant=tenant_a, by=None, order_id=order.pk)
    assert progress_of(_statuses(order)) == Progress.POSTED


def test_a_refused_order_is_reported_and_the_others_post(tenant_a):
    good = _completed(tenant_a)
    refused = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), state=OrderState.NEW)
    ServiceOrderLineFactory(order=refused)
    result = orders_post(tenant=tenant_a, by=None, order_ids=[refused.pk, good.pk])
    assert [order.pk for order, _ in result.posted] == [good.pk]
    assert [order.pk for order, _ in result.failed] == [refused.pk]
    assert "cannot be posted" in result.failed[0][1]
    assert progress_of(_statuses(good)) == Progress.POSTED


def test_an_order_failing_after_its_lines_reached_the_draft_rolls_back_alone(tenant_a, monkeypatch):
    """Fault injection: the audit write of the second order fails after its lines were put on
    the draft and marked posted; its savepoint takes all of that back, the first stays."""
    from service_orders.services import posting

    customer = CustomerFactory(tenant=tenant_a)
    good, bad = _completed(tenant_a, customer), _completed(tenant_a, customer)
    real_audit = posting.audit_record

    def audit(**kwargs):
        if kwargs["target"].pk == bad.pk:
            raise ValidationError("the database refused the audit row")
        return real_audit(**kwargs)

    monkeypatch.setattr(posting, "audit_record", audit)
    result = orders_post(tenant=tenant_a, by=None, order_ids=[good.pk, bad.pk])
    assert [o.pk for o, _ in result.posted] == [good.pk]
    assert [o.pk for o, _ in result.failed] == [bad.pk]
    assert set(_statuses(bad)) == {LineStatus.CREATED}
    bad_line_ids = list(ServiceOrderLine.objects.filter(order=bad).values_list("pk", flat=True))
    assert not InvoiceLine.objects.filter(source_id__in=bad_line_ids).exists()
    draft = Invoice.objects.get(tenant=tenant_a, customer=customer, state=InvoiceState.DRAFT)
    good_total = sum(
        (line.amount for line in ServiceOrderLine.objects.filter(order=good)), Decimal("0")
    )
    assert draft.net_total == good_total


def test_postable_orders_of_an_agreement_and_of_a_date_range(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    agreement = AgreementFactory(customer=customer)
    in_agreement = _completed(tenant_a, customer, agreement=agreement)
    in_range = _completed(tenant_a, customer, preferred_date=datetime.date(2026, 3, 10))
    _completed(tenant_a, customer, preferred_date=datetime.date(2026, 5, 10))
    not_done = ServiceOrderFactory(customer=customer, state=OrderState.IN_PROGRESS)
    ServiceOrderLineFactory(order=not_done)
    by_agreement = postable_orders(tenant=tenant_a, agreement_id=agreement.pk)
    assert [o.pk for o in by_agreement] == [in_agreement.pk]
    by_range = postable_orders(
        tenant=tenant_a, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
    )
    assert [o.pk for o in by_range] == [in_range.pk]


def test_cancelling_the_draft_makes_the_lines_postable_again(tenant_a):
    order = _completed(tenant_a)
    invoice_id = order_post(tenant=tenant_a, by=None, order_id=order.pk)
    invoice_cancel(tenant=tenant_a, by=None, invoice_id=invoice_id)
    assert set(_statuses(order)) == {LineStatus.CREATED}
    assert [o.pk for o in postable_orders(tenant=tenant_a)] == [order.pk]


def test_the_post_button_and_the_posting_page(client_for, manager_a, tenant_a):
    order = _completed(tenant_a)
    client = client_for(manager_a)
    page = client.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert b'data-testid="post-order"' in page.content
    response = client.post(reverse("service_orders:order_post", args=[order.pk]))
    assert response.status_code == 302
    assert progress_of(_statuses(order)) == Progress.POSTED
    again = client.post(reverse("service_orders:order_post", args=[order.pk]))
    assert again.status_code == 409

    second = _completed(tenant_a)
    listing = client.get(reverse("service_orders:posting"), {"kinds": [LineKind.HOUR]})
    assert second.number.encode() in listing.content
    posted = client.post(reverse("service_orders:posting") + "?", {"kinds": [LineKind.HOUR]})
    assert posted.status_code == 200 and b'data-testid="posting-result"' in posted.content
    assert dict(ServiceOrderLine.objects.filter(order=second).values_list("kind", "status")) == {
        LineKind.HOUR: LineStatus.POSTED,
        LineKind.ITEM: LineStatus.CREATED,
    }


def test_dispatchers_post_only_where_the_tenant_allows(client_for, dispatcher_a, tenant_a):
    order = _completed(tenant_a)
    client = client_for(dispatcher_a)
    assert client.post(reverse("service_orders:order_post", args=[order.pk])).status_code == 403
    InvoicingSettingsFactory(tenant=tenant_a, dispatchers_may_post=True)
    assert client.post(reverse("service_orders:order_post", args=[order.pk])).status_code == 302
    assert progress_of(_statuses(order)) == Progress.POSTED
