"""The manager creates a subscription, runs billing and watches its progress bar, then issues
the customer's invoice and opens its PDF."""

import contextlib
import io
import re
import threading
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from playwright.sync_api import expect
from pypdf import PdfReader

from customers.models import Customer
from invoicing.models import Invoice, InvoiceState
from subscriptions.models import Fee, FeeKind, Subscription, SubscriptionState
from tenancy.context import tenant_scope
from tenancy.models import Tenant
from tests.browser.layout import PHONE, WIDE, assert_no_sideways_scroll
from tests.browser.pickers import pick
from tests.factories import CustomerFactory, InvoicingSettingsFactory, SubscriptionGroupFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def acme(demo):
    tenant = Tenant.objects.get(slug="acme")
    InvoicingSettingsFactory(
        tenant=tenant, default_tax_rate=Decimal("23"), legal_name="Acme Serwis Sp. z o.o."
    )
    CustomerFactory(tenant=tenant, name="Hotel Wawel", language="pl")
    group = SubscriptionGroupFactory(tenant=tenant, code="MONTHLY", name="Abonament miesięczny")
    # Other customers' subscriptions, due as well: the run takes long enough to be watched.
    customers = Customer.objects.bulk_create(
        Customer(tenant=tenant, number=f"C-BULK-{n}", name=f"Klient {n}") for n in range(300)
    )
    start = tenant.today().replace(day=1)
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            tenant=tenant,
            number=f"SUB-BULK-{n}",
            customer=customer,
            group=group,
            description="Opłata serwisowa",
            base_price=Decimal("100.00"),
            currency="PLN",
            start_date=start,
            next_period_start=start,
            next_due_on=start,
        )
        for n, customer in enumerate(customers)
    )
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
        state=SubscriptionState.ACTIVE
    )
    return tenant


@contextlib.contextmanager
def _row_locked(tenant, subscription):
    """Another transaction holds the subscription's row (as a second billing run or an edit
    would), so the run stops at its chunk and the page shows the run in progress whatever
    the machine's speed; leaving the block lets it finish."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with tenant_scope(tenant):
                Subscription.objects.select_for_update().get(pk=subscription.pk)
                locked.set()
                release.wait(120)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_manager_creates_a_subscription_runs_billing_and_opens_the_invoice_pdf(
    acme, sign_in, page, live_server, background_worker
):
    sign_in("manager@acme.test")
    start = acme.today().replace(day=1) - relativedelta(months=2)
    page.goto(f"{live_server.url}/subscriptions/new/")
    form = page.locator("main form")
    pick(page, "customer", "Hotel Wawel", within=form)
    form.locator("select[name=group]").select_option(label="Abonament miesięczny")
    form.locator("input[name=description]").fill("Utrzymanie kotłowni")
    form.locator("input[name=base_price]").fill("200.00")
    form.locator("input[name=start_date]").fill(start.isoformat())
    form.locator("button[type=submit]").first.click()

    subscription = Subscription.objects.get(customer__name="Hotel Wawel")
    expect(page).to_have_url(re.compile(rf"/subscriptions/{subscription.pk}/$"))
    page.get_by_test_id("transition-activate").get_by_role("button").click()
    expect(page.get_by_test_id("subscription-state")).to_have_attribute(
        "class", re.compile("success")
    )
    page.set_viewport_size(PHONE)  # the subscription's page on a phone: nothing scrolls sideways
    page.reload()
    assert_no_sideways_scroll(page)
    page.set_viewport_size(WIDE)

    page.goto(f"{live_server.url}/subscriptions/billing/")
    page.locator("input[name=through]").fill(acme.today().isoformat())
    # The run's page follows the background worker: the progress bar, then the result.
    with _row_locked(acme, subscription):
        page.get_by_test_id("run-billing").click()
        expect(page.get_by_test_id("run-progress")).to_be_visible(timeout=60_000)
    status = page.get_by_test_id("run-status")
    expect(status).to_have_attribute("data-status", "finished", timeout=120_000)
    expect(page.get_by_test_id("fees-created")).to_have_text("303")  # 300 + three months
    assert Fee.objects.filter(subscription=subscription, kind=FeeKind.REGULAR).count() == 3

    page.goto(f"{live_server.url}/subscriptions/{subscription.pk}/")
    page.get_by_test_id("fee-table").get_by_role("link").first.click()
    invoice = Invoice.objects.get(customer=subscription.customer)
    expect(page.get_by_test_id("invoice-state")).to_be_visible()
    page.get_by_test_id("issue").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("invoice-title")).to_contain_text("INV-")
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED
    assert invoice.net_total == Decimal("600.00") and invoice.gross_total == Decimal("738.00")

    link = page.get_by_test_id("invoice-pdf")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    text = re.sub(r"[\u00a0\u202f]", " ", text)
    assert invoice.number in text and "Utrzymanie kotłowni" in text
    assert "738,00 zł" in text
