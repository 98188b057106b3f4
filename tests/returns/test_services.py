"""Returns: the quantity cap, arrival, partial splits, each disposition's effect (credit note
amounts, replacement order, repair order), credits never twice, and the state machine."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invoicing.models import Invoice, InvoiceKind, InvoiceState
from invoicing.money import round_money
from returns import services
from returns.models import Disposition, ReturnCredit, ReturnLine, ReturnState
from service_orders.models import Origin, ServiceOrder, ServiceOrderLine
from tests.factories import ItemFactory, ServiceObjectFactory

from .isolation_cases_returns import goods_line, issued_goods, new_return, open_return_with_line

pytestmark = pytest.mark.django_db


def _add(tenant, order, invoice_line, quantity, serial=""):
    return services.line_add(
        tenant=tenant,
        by=None,
        return_id=order.pk,
        invoice_line_id=invoice_line.pk,
        quantity=Decimal(quantity),
        serial_number=serial,
    )


def _dispose(tenant, order, line, disposition, quantity=None, **kwargs):
    return services.disposition_set(
        tenant=tenant,
        by=None,
        return_id=order.pk,
        line_id=line.pk,
        disposition=disposition,
        quantity=None if quantity is None else Decimal(quantity),
        **kwargs,
    )


# --- The cap -------------------------------------------------------------------------------------


def test_quantity_is_capped_at_invoiced_less_already_returned(tenant_a):
    invoice = issued_goods(tenant_a, quantity="3")
    source = goods_line(invoice)
    first = new_return(tenant_a, invoice.customer)
    _add(tenant_a, first, source, "2")
    second = new_return(tenant_a, invoice.customer)
    with pytest.raises(ValidationError) as refused:
        _add(tenant_a, second, source, "2")
    assert "quantity" in refused.value.message_dict
    assert "1" in refused.value.message_dict["quantity"][0]
    assert not ReturnLine.objects.filter(return_order=second).exists()
    _add(tenant_a, second, source, "1")
    third = new_return(tenant_a, invoice.customer)
    with pytest.raises(ValidationError, match="already being returned"):
        _add(tenant_a, third, source, "1")


def test_a_cancelled_return_gives_its_quantity_back(tenant_a):
    invoice = issued_goods(tenant_a, quantity="2")
    source = goods_line(invoice)
    first = new_return(tenant_a, invoice.customer)
    _add(tenant_a, first, source, "2")
    services.return_cancel(tenant=tenant_a, by=None, return_id=first.pk, reason="wrong")
    second = new_return(tenant_a, invoice.customer)
    assert _add(tenant_a, second, source, "2").quantity == Decimal("2")


def test_lines_come_only_from_this_customers_issued_invoices(tenant_a, tenant_b):
    invoice = issued_goods(tenant_a)
    other_customer = issued_goods(tenant_a)
    order = new_return(tenant_a, invoice.customer)
    with pytest.raises(ValidationError) as refused:
        _add(tenant_a, order, goods_line(other_customer), "1")
    assert "invoice_line" in refused.value.message_dict
    foreign = issued_goods(tenant_b)
    with pytest.raises(ValidationError):
        _add(tenant_a, order, goods_line(foreign), "1")
    with pytest.raises(ValidationError) as zero:
        _add(tenant_a, order, goods_line(invoice), "0")
    assert "quantity" in zero.value.message_dict


def test_serial_tracked_items_come_back_one_serial_per_line(tenant_a):
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=True)
    invoice = issued_goods(tenant_a, quantity="2", item=item)
    obj = ServiceObjectFactory(
        tenant=tenant_a, customer=invoice.customer, item=item, serial_number="SN-42"
    )
    order = new_return(tenant_a, invoice.customer)
    with pytest.raises(ValidationError) as no_serial:
        _add(tenant_a, order, goods_line(invoice), "1")
    assert "serial_number" in no_serial.value.message_dict
    with pytest.raises(ValidationError) as two:
        _add(tenant_a, order, goods_line(invoice), "2", serial="SN-42")
    assert "quantity" in two.value.message_dict
    line = _add(tenant_a, order, goods_line(invoice), "1", serial="SN-42")
    assert line.service_object == obj


def test_lines_change_only_before_the_return_is_opened(tenant_a):
    order, line, invoice = open_return_with_line(tenant_a)
    with pytest.raises(services.ReturnConflict):
        _add(tenant_a, order, goods_line(invoice), "1")
    with pytest.raises(services.ReturnConflict):
        services.line_remove(tenant=tenant_a, by=None, return_id=order.pk, line_id=line.pk)
    with pytest.raises(services.ReturnConflict):
        services.return_cancel(tenant=tenant_a, by=None, return_id=order.pk)


def test_an_empty_return_cannot_be_opened(tenant_a):
    invoice = issued_goods(tenant_a)
    order = new_return(tenant_a, invoice.customer)
    with pytest.raises(ValidationError):
        services.return_open(tenant=tenant_a, by=None, return_id=order.pk)
    order.refresh_from_db()
    assert order.state == ReturnState.CREATED


# --- Arrival and dispositions --------------------------------------------------------------------


def test_arrival_is_capped_at_what_is_expected(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, quantity="2")
    services.arrival_register(
        tenant=tenant_a, by=None, return_id=order.pk, line_id=line.pk, quantity=Decimal("1")
    )
    with pytest.raises(ValidationError) as refused:
        services.arrival_register(
            tenant=tenant_a, by=None, return_id=order.pk, line_id=line.pk, quantity=Decimal("2")
        )
    assert "quantity" in refused.value.message_dict
    line.refresh_from_db()
    assert line.received_quantity == Decimal("1")


def test_a_disposition_needs_the_goods_to_have_arrived(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a)
    with pytest.raises(ValidationError) as refused:
        _dispose(tenant_a, order, line, Disposition.CREDIT)
    assert "disposition" in refused.value.message_dict
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    line.refresh_from_db()
    assert line.disposition == ""


def test_a_partial_quantity_splits_the_line(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, quantity="3", invoiced="3", arrived="2")
    result = _dispose(tenant_a, order, line, Disposition.SCRAP, quantity="1")
    line.refresh_from_db()
    rest = result.rest
    rest.refresh_from_db()
    assert (line.quantity, line.received_quantity, line.disposition) == (
        Decimal("1"),
        Decimal("1"),
        Disposition.SCRAP,
    )
    assert (rest.quantity, rest.received_quantity, rest.disposition) == (
        Decimal("2"),
        Decimal("1"),
        "",
    )
    assert rest.split_from == line
    assert rest.invoice_line_id == line.invoice_line_id
    # The split keeps the total returned of the invoice line.
    total = sum(ReturnLine.objects.filter(return_order=order).values_list("quantity", flat=True))
    assert total == Decimal("3")
    with pytest.raises(ValidationError) as more:
        _dispose(tenant_a, order, rest, Disposition.SCRAP, quantity="2")
    assert "quantity" in more.value.message_dict


def test_credit_issues_a_credit_note_for_the_share_of_the_invoice_line(tenant_a):
    order, line, invoice = open_return_with_line(
        tenant_a,
        quantity="2",
        invoiced="3",
        arrived="2",
        unit_price="33.33",
        tax_rate=Decimal("23"),
    )
    result = _dispose(tenant_a, order, line, Disposition.CREDIT)
    note = result.credit_note
    source = goods_line(invoice)
    expected_net = round_money(source.amount * 2 / 3, "EUR")
    expected_tax = round_money(expected_net * Decimal("0.23"), "EUR")
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.credited_invoice_id == invoice.pk
    assert note.state == InvoiceState.ISSUED
    assert note.net_total == expected_net
    assert note.tax_total == expected_tax
    assert note.gross_total == expected_net + expected_tax
    assert note.lines.get().credited_line_id == source.pk
    invoice.refresh_from_db()
    assert invoice.credited_total == note.gross_total
    credit = ReturnCredit.objects.get(line=line)
    assert credit.credit_note == note and credit.amount == expected_net
    assert result.order is None


def test_credit_only_credits_and_a_partial_credit_splits(tenant_a):
    order, line, invoice = open_return_with_line(
        tenant_a, quantity="3", invoiced="3", arrived="3", unit_price="10.00"
    )
    result = _dispose(tenant_a, order, line, Disposition.CREDIT_ONLY, quantity="1")
    assert result.credit_note.net_total == Decimal("10.00")
    rest = result.rest
    second = _dispose(tenant_a, order, rest, Disposition.CREDIT)
    assert second.credit_note.net_total == Decimal("20.00")
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.CREDITED


def test_a_line_is_never_credited_twice(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    result = _dispose(tenant_a, order, line, Disposition.CREDIT)
    # The service refuses a second disposition…
    with pytest.raises(services.ReturnConflict):
        _dispose(tenant_a, order, line, Disposition.CREDIT)
    # …and the database refuses a second credit of the same line whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnCredit.objects.create(
            tenant=tenant_a, line=line, credit_note=result.credit_note, amount=Decimal("1")
        )
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_credit_of_an_invoice_credited_by_hand_is_refused_and_nothing_saved(tenant_a):
    from invoicing.services import credit_note_create

    order, line, invoice = open_return_with_line(tenant_a, arrived="2")
    source = goods_line(invoice)
    credit_note_create(
        tenant=tenant_a, by=None, invoice_id=invoice.pk, amounts={source.pk: source.amount}
    )
    with pytest.raises(ValidationError) as refused:
        _dispose(tenant_a, order, line, Disposition.CREDIT)
    assert "disposition" in refused.value.message_dict
    line.refresh_from_db()
    assert line.disposition == ""
    assert not ReturnCredit.objects.exists()


def test_replace_and_credit_creates_a_replacement_order_and_a_credit_note(tenant_a):
    order, line, invoice = open_return_with_line(tenant_a, quantity="1", arrived="1")
    result = _dispose(tenant_a, order, line, Disposition.REPLACE_CREDIT)
    replacement = ServiceOrder.objects.get(pk=result.order.pk)
    assert replacement.origin == Origin.RETURN
    assert replacement.customer_id == invoice.customer_id
    assert order.number in replacement.description and line.description in replacement.description
    line.refresh_from_db()
    assert line.replacement_order_id == replacement.pk
    assert result.credit_note.net_total == goods_line(invoice).unit_price


def test_replace_and_scrap_creates_a_replacement_order_without_a_credit(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, quantity="1", arrived="1")
    result = _dispose(tenant_a, order, line, Disposition.REPLACE_SCRAP)
    assert result.credit_note is None
    assert result.order.origin == Origin.RETURN
    assert not ReturnCredit.objects.exists()


def test_repair_creates_a_repair_order_for_the_object_with_the_serial(tenant_a):
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=True)
    invoice = issued_goods(tenant_a, quantity="1", item=item)
    obj = ServiceObjectFactory(
        tenant=tenant_a, customer=invoice.customer, item=item, serial_number="SN-7"
    )
    order = new_return(tenant_a, invoice.customer)
    line = _add(tenant_a, order, goods_line(invoice), "1", serial="SN-7")
    services.return_open(tenant=tenant_a, by=None, return_id=order.pk)
    services.arrival_register(
        tenant=tenant_a, by=None, return_id=order.pk, line_id=line.pk, quantity=Decimal("1")
    )
    result = _dispose(tenant_a, order, line, Disposition.REPAIR)
    repair = result.order
    assert repair.origin == Origin.RETURN
    assert repair.customer_id == invoice.customer_id
    assert ServiceOrderLine.objects.filter(order=repair, service_object=obj).exists()
    line.refresh_from_db()
    assert line.repair_order_id == repair.pk
    assert result.credit_note is None


def test_repair_without_a_known_object_is_refused(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, quantity="1", arrived="1")
    with pytest.raises(ValidationError) as refused:
        _dispose(tenant_a, order, line, Disposition.REPAIR)
    assert "disposition" in refused.value.message_dict
    assert not ServiceOrder.objects.filter(origin=Origin.RETURN).exists()


@pytest.mark.parametrize("disposition", [Disposition.SCRAP, Disposition.RETURN])
def test_scrap_and_return_to_customer_neither_credit_nor_order(tenant_a, disposition):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    result = _dispose(tenant_a, order, line, disposition)
    assert result.credit_note is None and result.order is None
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    assert not ServiceOrder.objects.filter(origin=Origin.RETURN).exists()


def test_who_may_not_credit_cannot_choose_a_credit(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    with pytest.raises(ValidationError):
        _dispose(tenant_a, order, line, Disposition.CREDIT, may_credit=False)
    assert not ReturnCredit.objects.exists()


# --- Closing -------------------------------------------------------------------------------------


def test_close_needs_every_line_disposed(tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, quantity="2", arrived="2")
    result = _dispose(tenant_a, order, line, Disposition.SCRAP, quantity="1")
    with pytest.raises(ValidationError):
        services.return_close(tenant=tenant_a, by=None, return_id=order.pk)
    _dispose(tenant_a, order, result.rest, Disposition.RETURN)
    closed = services.return_close(tenant=tenant_a, by=None, return_id=order.pk)
    assert closed.state == ReturnState.CLOSED and closed.closed_at
    with pytest.raises(services.ReturnConflict):
        services.return_close(tenant=tenant_a, by=None, return_id=order.pk)


def test_numbers_come_from_the_registered_sequence(tenant_a):
    invoice = issued_goods(tenant_a)
    first = new_return(tenant_a, invoice.customer)
    second = new_return(tenant_a, invoice.customer)
    assert first.number.startswith("RMA-") and second.number.startswith("RMA-")
    assert first.number != second.number
