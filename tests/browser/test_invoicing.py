"""The manager posts a signed-off order to its customer's draft invoice, issues the invoice in
the confirmation dialog and opens its PDF."""

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from customers.models import LineKind
from invoicing.models import Invoice, InvoiceState
from service_orders.models import OrderState
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import (
    CustomerFactory,
    InvoicingSettingsFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_off_order(demo):
    tenant = Tenant.objects.get(slug="acme")
    InvoicingSettingsFactory(
        tenant=tenant,
        posting_requires_signoff=True,
        default_tax_rate=Decimal("23"),
        legal_name="Acme Serwis Sp. z o.o.",
    )
    customer = CustomerFactory(tenant=tenant, name="Hotel Wawel", language="pl")
    order = ServiceOrderFactory(
        customer=customer,
        state=OrderState.COMPLETED,
        description="Przegląd kotła",
        signed_off_at=timezone.now(),
    )
    ServiceOrderLineFactory(
        order=order,
        kind=LineKind.HOUR,
        description="Roboczogodzina",
        quantity=Decimal("2"),
        unit_price=Decimal("120.00"),
    )
    return order


def test_manager_posts_a_signed_off_order_issues_the_invoice_and_opens_the_pdf(
    signed_off_order, sign_in, page, live_server
):
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/orders/{signed_off_order.pk}/")
    page.get_by_test_id("post-order").get_by_role("button").click()

    # Posted: the customer's draft invoice opens with the order's line on it.
    expect(page.get_by_test_id("invoice-lines")).to_contain_text("Roboczogodzina")
    expect(page.get_by_test_id("invoice-state")).to_have_attribute("data-state", "draft")
    invoice = Invoice.objects.get(customer=signed_off_order.customer)
    assert_no_sideways_scroll(page)

    page.get_by_test_id("issue").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("invoice-state")).to_have_attribute("data-state", "issued")
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED and invoice.number
    expect(page.get_by_test_id("invoice-title")).to_contain_text(invoice.number)

    # The PDF, as the link opens it: the invoice in the customer's language with its totals.
    link = page.get_by_test_id("invoice-pdf")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    text = re.sub(r"[\u00a0\u202f]", " ", text)
    assert invoice.number in text and "Faktura" in text
    assert invoice.gross_total == Decimal("295.20")  # 2 × 120.00 + 23 %
    assert "295,20 zł" in text


def test_manager_issues_the_drafts_of_the_list_at_once_on_a_phone(demo, sign_in, page, live_server):
    from invoicing.services import DraftLine, add_to_draft_invoice

    tenant = Tenant.objects.get(slug="acme")
    drafts = [
        add_to_draft_invoice(
            tenant=tenant,
            customer=CustomerFactory(tenant=tenant, name=f"Bulk customer {n}", email=""),
            currency="PLN",
            lines=[DraftLine(description="Maintenance", unit_price=Decimal("100.00"))],
        )
        for n in range(3)
    ]
    waiting = Invoice.objects.filter(tenant=tenant, state=InvoiceState.DRAFT).count()
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/invoices/?state=draft")
    page.get_by_test_id("issue-drafts").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirmation")).to_contain_text(str(waiting))
    assert_no_sideways_scroll(page)
    dialog.get_by_test_id("confirm").click()
    expect(page.locator(".alert-success")).to_contain_text("INV-")
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.state == InvoiceState.ISSUED and draft.number
    numbers = sorted(
        Invoice.objects.filter(
            tenant=tenant, kind="invoice", year=tenant.today().year, sequence__isnull=False
        ).values_list("sequence", flat=True)
    )
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
