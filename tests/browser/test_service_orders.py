"""A service manager generates the orders of an agreement on a phone and opens one."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementState
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import AgreementFactory, AgreementLineFactory, CustomerFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def active_agreement(demo):
    """An active agreement of Acme with a monthly line anchored on 15 January 2026."""
    tenant = Tenant.objects.get(slug="acme")
    agreement = AgreementFactory(
        customer=CustomerFactory(tenant=tenant, name="Kowalski Heating"),
        description="Heating care",
        start_date=datetime.date(2026, 1, 15),
    )
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    AgreementLineFactory(
        agreement=agreement, description="Boiler check", unit_price=Decimal("120.00")
    )
    return agreement


def test_manager_previews_generates_and_opens_an_order_on_a_phone(
    active_agreement, sign_in, page, live_server, background_worker
):
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/orders/generate/?agreement={active_agreement.pk}")
    expect(page.locator("select[name=agreement]")).to_have_value(str(active_agreement.pk))
    page.fill("input[name=period_start]", "2026-02-01")
    page.fill("input[name=period_end]", "2026-04-30")

    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("planned-order")).to_have_count(3)
    expect(page.get_by_test_id("planned-order").first).to_contain_text("Boiler check")
    expect(page.get_by_test_id("conflict-badge")).to_have_count(2)  # two Sundays
    assert_no_sideways_scroll(page)

    # A background worker generates the run; its page follows it (htmx polling) to the result.
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "finished")
    expect(page.get_by_test_id("orders-created")).to_have_text("3")
    run_orders = page.get_by_test_id("run-orders").locator("tbody a")
    expect(run_orders).to_have_count(3)
    assert_no_sideways_scroll(page)

    run_orders.first.click()
    expect(page.get_by_test_id("order-lines")).to_contain_text("Boiler check")
    expect(page.get_by_test_id("conflict-warning")).to_be_visible()  # 15 February, a Sunday
    assert_no_sideways_scroll(page)
