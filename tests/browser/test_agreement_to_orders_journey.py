"""The service manager's whole journey of issue 3, in the browser, on the full demo data:
create a customer → a service object → an agreement from the demo template → cover the object
and plan a weekly visit → activate → generate service orders → see them."""

import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from agreements.models import Agreement
from customers.models import Customer, ServiceObject
from service_orders.models import ServiceOrder
from tenancy.models import User
from tests.browser.pickers import pick

pytestmark = pytest.mark.browser


@pytest.fixture
def full_demo(transactional_db):
    call_command("seed_demo", verbosity=0)
    User.objects.filter(email="manager@acme.test").update(language="en")


def test_customer_object_agreement_from_template_activate_generate_see_orders(
    full_demo, sign_in, page, live_server, background_worker
):
    sign_in("manager@acme.test")

    # A new customer…
    page.goto(f"{live_server.url}/customers/add/")
    page.fill("input[name=name]", "Browar Tyski S.A.")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("customer-heading")).to_contain_text("Browar Tyski S.A.")

    # …with a service object.
    page.get_by_test_id("add-object").click()
    page.fill("input[name=name]", "Steam boiler 3")
    page.fill("input[name=serial_number]", "SB-3-2019-77")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("object-heading")).to_contain_text("Steam boiler 3")

    # An agreement from the demo template, starting today.
    page.goto(f"{live_server.url}/agreements/")
    page.get_by_role("link", name="New agreement from template").click()
    template = Agreement.objects.get(
        tenant__slug="acme", is_template=True, description="Roczna konserwacja kotła"
    )
    customer = Customer.objects.get(name="Browar Tyski S.A.")
    boiler = ServiceObject.objects.get(serial_number="SB-3-2019-77")
    pick(page, "template", template.description)
    pick(page, "customer", customer.name)
    today = datetime.date.today()
    page.fill("input[name=start_date]", today.isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Draft")
    agreement = Agreement.objects.get(customer__name="Browar Tyski S.A.")

    # Cover the object and plan a weekly inspection of it.
    add_object = page.get_by_test_id("object-add")
    pick(page, "service_object", boiler.name, within=add_object)
    add_object.locator("button[type=submit]").click()
    expect(page.get_by_test_id("object-list")).to_contain_text("Steam boiler 3")
    page.get_by_role("link", name="Add line").click()
    page.fill("input[name=description]", "Weekly steam boiler check")
    pick(page, "service_object", boiler.name)
    page.select_option("select[name=interval_unit]", "week")
    page.fill("input[name=interval_count]", "1")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("line-table")).to_contain_text("Weekly steam boiler check")

    page.get_by_test_id("transition-activate").locator("button").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Active")

    # Generate service orders for the next four weeks, this agreement only.
    page.goto(f"{live_server.url}/orders/generate/?agreement={agreement.pk}")
    page.fill("input[name=period_start]", today.isoformat())
    page.fill("input[name=period_end]", (today + datetime.timedelta(days=27)).isoformat())
    page.get_by_test_id("preview").click()
    planned = page.get_by_test_id("planned-order")
    # The weekly check falls on four dates in four weeks; the template's own lines may add
    # visits of their own on other dates.
    expect(planned.filter(has_text="Weekly steam boiler check")).to_have_count(4)
    planned_count = planned.count()
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("orders-created")).to_have_text(str(planned_count))

    # The orders are there, on the agreement's page and in the order list.
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
    expect(page.get_by_text("Weekly steam boiler check").first).to_be_visible()
    page.goto(f"{live_server.url}/orders/?agreement={agreement.pk}")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(planned_count)
    expect(rows.first).to_contain_text("Browar Tyski S.A.")
    assert ServiceOrder.objects.filter(agreement=agreement).count() == planned_count
