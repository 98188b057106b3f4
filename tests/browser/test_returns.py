"""The manager takes a return to a credit note on a phone: a new return for the customer, goods
picked from the customer's invoice, the return opened in the confirmation dialog, the arrival
registered, the disposition "credit" for part of it (the line splits), the credit note opened,
the rest scrapped and the return closed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoicing.models import Invoice, InvoiceKind
from invoicing.money import round_money
from returns.models import ReturnOrder, ReturnState
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.browser.pickers import pick
from tests.factories import CustomerFactory, ItemFactory, ReturnReasonFactory
from tests.returns.isolation_cases_returns import goods_line, issued_goods

pytestmark = pytest.mark.browser


@pytest.fixture
def invoiced_goods(demo):
    tenant = Tenant.objects.get(slug="acme")
    ReturnReasonFactory(tenant=tenant, code="wada", name="Wada fabryczna")
    customer = CustomerFactory(tenant=tenant, name="Hotel Wawel", language="pl")
    item = ItemFactory(tenant=tenant, number="FILTR-01", name="Filtr powietrza")
    return issued_goods(
        tenant,
        customer=customer,
        item=item,
        quantity="3",
        unit_price="85.50",
        tax_rate=Decimal("23"),
    )


def test_manager_takes_a_return_to_a_credit_note(invoiced_goods, sign_in, page, live_server):
    invoice = invoiced_goods
    customer = invoice.customer
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")

    # From the customer's page: a new return for this customer.
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_test_id("customer-new-return").click()
    form = page.get_by_test_id("return-form")
    form.locator("select[name=reason]").select_option(label="Wada fabryczna")
    assert_no_sideways_scroll(page)
    form.get_by_role("button").first.click()
    expect(page.get_by_test_id("return-state")).to_have_attribute("data-state", "created")
    order = ReturnOrder.objects.get(customer=customer)
    expect(page.get_by_test_id("return-title")).to_contain_text(order.number)

    # Goods from the invoice: more than invoiced is refused beside the quantity.
    lines_form = page.get_by_test_id("line-form")
    pick(page, "invoice_line", invoice.number, within=lines_form)
    lines_form.locator("input[name=quantity]").fill("4")
    lines_form.get_by_role("button").click()
    expect(page.locator("#id_quantity_error")).to_contain_text("3")
    assert not order.lines.exists()
    lines_form = page.get_by_test_id("line-form")
    pick(page, "invoice_line", invoice.number, within=lines_form)
    lines_form.locator("input[name=quantity]").fill("3")
    lines_form.get_by_role("button").click()
    expect(page.get_by_test_id("return-line")).to_have_count(1)
    assert_no_sideways_scroll(page)

    # Open it in the confirmation dialog.
    page.get_by_test_id("open").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("return-state")).to_have_attribute("data-state", "open")

    # The goods arrive.
    arrival = page.get_by_test_id("arrival-form")
    arrival.locator("input[type=text], input[type=number]").first.fill("3")
    arrival.get_by_role("button").click()
    expect(page.get_by_test_id("arrived")).to_have_text("3")
    assert_no_sideways_scroll(page)

    # Credit two of the three: the line splits and a credit note is issued.
    page.get_by_test_id("disposition-link").click()
    disposition = page.get_by_test_id("disposition-form")
    disposition.locator("select[name=disposition]").select_option("credit")
    disposition.locator("input[name=quantity]").fill("2")
    assert_no_sideways_scroll(page)
    page.get_by_test_id("disposition-submit").click()
    expect(page.get_by_test_id("return-line")).to_have_count(2)
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE, credited_invoice=invoice)
    source = goods_line(invoice)
    assert note.net_total == round_money(source.amount * Decimal(2) / Decimal(3), "PLN")
    credit_link = page.get_by_test_id("credit-note")
    expect(credit_link).to_contain_text(note.number)

    # The rest is scrapped; then the return can be closed.
    page.get_by_test_id("disposition-link").click()
    page.get_by_test_id("disposition-form").locator("select[name=disposition]").select_option(
        "scrap"
    )
    page.get_by_test_id("disposition-submit").click()
    page.get_by_test_id("close").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("return-state")).to_have_attribute("data-state", "closed")
    order.refresh_from_db()
    assert order.state == ReturnState.CLOSED

    # The credit note itself, crediting the invoice.
    page.get_by_test_id("credit-note").click()
    expect(page.get_by_test_id("invoice-title")).to_contain_text(note.number)
    expect(page.get_by_test_id("gross-total")).to_contain_text(
        f"{note.gross_total:.2f}".replace(".", ",")
    )
    assert_no_sideways_scroll(page)
