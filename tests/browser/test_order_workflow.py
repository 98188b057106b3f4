"""A dispatcher creates a service order by hand and moves it through its stages, one with a
reason (the acme tenant's Polish stage tree)."""

import pytest
from playwright.sync_api import expect

from service_orders import demo as order_demo
from service_orders.models import OrderState, ServiceOrder, StageLog
from tenancy.context import tenant_scope
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.browser.pickers import pick
from tests.factories import CustomerFactory, CustomerSiteFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def acme(demo):
    tenant = Tenant.objects.get(slug="acme")
    with tenant_scope(tenant):
        order_demo._seed_tree(tenant, "pl")
    customer = CustomerFactory(tenant=tenant, name="Kowalski Heating")
    CustomerSiteFactory(customer=customer, is_default=True)
    return customer


def test_dispatcher_creates_an_order_and_advances_it(acme, sign_in, page, live_server):
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    page.get_by_test_id("new-order").click()
    # The customer and the technician are searchable pickers: typed, then Enter.
    pick(page, "customer", "Kowalski")
    # Its sites only (the demo's other customers have theirs): the default one and its own.
    expect(page.locator("select[name=site] option")).to_have_count(2)
    page.fill("input[name=description]", "Boiler makes noise")
    pick(page, "assigned_technician", "Tomasz Lewandowski")
    page.get_by_test_id("create-order").click()

    expect(page.get_by_test_id("order-stage")).to_have_text("Nowe")
    page.get_by_test_id("stage-scheduled").click()
    expect(page.get_by_test_id("order-stage")).to_have_text("Zaplanowane")
    page.get_by_test_id("stage-travel").click()
    page.get_by_test_id("stage-work").click()
    expect(page.get_by_test_id("order-stage")).to_have_text("W realizacji")

    # Holding asks for a reason: without one the dialog says so beside the field.
    page.get_by_test_id("stage-hold").click()
    page.get_by_test_id("confirm-stage-hold").click()
    error = page.locator("[data-field=reason_code] .invalid-feedback")
    expect(error).to_be_visible()  # in the dispatcher's language, naming the stage
    expect(error).to_contain_text("Wstrzymane")
    page.select_option("select[name=reason_code]", label="Oczekiwanie na części")
    page.get_by_test_id("confirm-stage-hold").click()
    expect(page.get_by_test_id("order-stage")).to_have_text("Wstrzymane")
    expect(page.get_by_test_id("order-timeline")).to_contain_text("Oczekiwanie na części")

    page.set_viewport_size(PHONE)
    page.reload()
    assert_no_sideways_scroll(page)

    order = ServiceOrder.objects.get(description="Boiler makes noise")
    assert order.state == OrderState.ON_HOLD
    assert StageLog.objects.filter(order=order).count() == 5  # created + four moves
