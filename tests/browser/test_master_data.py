"""A service manager on a phone creates a customer with a service site, then a service object
with a serial number for it, and finds the object on the customer's page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.browser.pickers import pick

pytestmark = pytest.mark.browser


def test_manager_creates_customer_site_and_object_on_a_phone(demo, sign_in, page, live_server):
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")

    page.goto(f"{live_server.url}/customers/add/")
    page.fill("input[name=name]", "Hotel Wawel Sp. z o.o.")
    page.fill("input[name=phone]", "+48 12 421 10 20")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("customer-heading")).to_contain_text("Hotel Wawel Sp. z o.o.")
    expect(page.get_by_test_id("customer-heading")).to_contain_text("C-000001")
    assert_no_sideways_scroll(page)

    # The site form opens inside the customer page and the saved site replaces the section.
    page.get_by_test_id("add-site").click()
    site_form = page.get_by_test_id("site-form")
    site_form.locator("input[name=name]").fill("Hotel")
    site_form.locator("input[name=street]").fill("ul. Grodzka 12")
    site_form.locator("input[name=postal_code]").fill("31-006")
    site_form.locator("input[name=city]").fill("Kraków")
    site_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("sites")).to_contain_text("ul. Grodzka 12")
    expect(site_form).to_have_count(0)
    assert_no_sideways_scroll(page)

    page.get_by_test_id("add-object").click()
    expect(page).to_have_url(re.compile(r"/objects/add/\?customer=\d+"))
    page.fill("input[name=name]", "Gas boiler, boiler room")
    page.select_option("select[name=site]", label="Hotel, ul. Grodzka 12, Kraków")
    page.fill("input[name=serial_number]", "VC25-2021-004512")
    page.fill("input[name=install_date]", "2021-09-14")
    assert_no_sideways_scroll(page)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("object-heading")).to_contain_text("Gas boiler, boiler room")
    expect(page.get_by_test_id("object-fields")).to_contain_text("VC25-2021-004512")
    assert_no_sideways_scroll(page)

    page.locator(".breadcrumb a", has_text="Hotel Wawel").click()  # the object's customer
    tree = page.get_by_test_id("object-tree")
    expect(tree).to_contain_text("Gas boiler, boiler room")
    expect(tree).to_contain_text("VC25-2021-004512")
    assert_no_sideways_scroll(page)

    # Choosing a customer on a blank object form offers that customer's sites.
    page.goto(f"{live_server.url}/objects/add/")
    pick(page, "customer", "Hotel Wawel")
    expect(page.locator("select[name=site] option")).to_contain_text(
        ["", "Hotel, ul. Grodzka 12, Kraków"]
    )
