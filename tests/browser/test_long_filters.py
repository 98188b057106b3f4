"""The order list of a tenant with more customers and agreements than a filter lists
(web.pickers.LONG_LIST, made small here; the live server runs in this process): the dispatcher
types part of a name into the customer or agreement filter, picks the record from the server's
answer, and the list shows that record's orders, the filter still naming it after the reload.
On a phone the filter bar fits the screen."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from service_orders.models import ServiceOrder
from tenancy.models import Tenant, User
from tests.browser.layout import PHONE, WIDE, assert_fits, assert_no_sideways_scroll
from tests.browser.pickers import pick
from tests.factories import (
    AgreementFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.browser

LONG_NAME = "Zephyr Thermal Works and Heat Pump Installations of Greater Kędzierzyn-Koźle"


@pytest.fixture
def many_customers(demo, monkeypatch):
    """Acme with six customers, each with an agreement and orders, over a LONG_LIST of 3."""
    monkeypatch.setattr("web.pickers.LONG_LIST", 3)
    User.objects.filter(email="dispatcher@acme.test").update(language="en")
    tenant = Tenant.objects.get(slug="acme")
    zephyr = CustomerFactory(tenant=tenant, name=LONG_NAME)
    CustomerSiteFactory(customer=zephyr, city="Tromsø")
    care = AgreementFactory(customer=zephyr, description="Heat pump care")
    for number in ("ZE-1", "ZE-2"):
        ServiceOrderFactory(customer=zephyr, agreement=care, number=number)
    ServiceOrderFactory(customer=zephyr, number="ZE-3")  # not of the agreement
    for index, name in enumerate(("Zeta Plumbing", "Nordic Boilers", "Southern Pumps", "Acme")):
        other = CustomerFactory(tenant=tenant, name=name)
        agreement = AgreementFactory(customer=other, description=f"Boiler care {index}")
        ServiceOrderFactory(customer=other, agreement=agreement, number=f"OTHER-{index}")
    return {"customer": zephyr, "agreement": care}


def _numbers(page) -> list[str]:
    """The order numbers the list shows (the links to the orders)."""
    links = page.get_by_test_id("order-table").locator("tbody a[href*='/orders/']")
    return sorted(link.inner_text().strip() for link in links.all())


def _filter(page) -> None:
    page.locator("[data-testid=list-filters] button[type=submit]").click()
    page.wait_for_load_state()


def test_dispatcher_filters_the_order_list_by_a_customer_found_on_the_server(
    many_customers, sign_in, page, live_server
):
    customer = many_customers["customer"]
    page.set_viewport_size(WIDE)
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    select = page.locator("select[name=customer]")
    # The page lists none of the customers: the picker asks the server.
    expect(select.locator("option")).to_have_count(1)
    assert select.get_attribute("data-fl-search-only") == ""
    assert len(_numbers(page)) == 7

    pick(page, "customer", "Thermal Works")
    _filter(page)
    page.wait_for_url(f"**/orders/?*customer={customer.pk}*")
    assert _numbers(page) == ["ZE-1", "ZE-2", "ZE-3"]
    # After the reload the picker still names the chosen customer, and lists only it.
    chosen = page.locator("select[name=customer] ~ .ts-wrapper .ts-control .item")
    expect(chosen).to_have_text(str(customer))
    expect(select).to_have_value(str(customer.pk))
    expect(select.locator("option")).to_have_count(2)


def test_the_filters_offer_what_the_server_found_on_text_their_labels_do_not_show(
    many_customers, sign_in, page, live_server
):
    """The server matches a customer on a site's city and an agreement on its customer's name,
    which their labels do not show: the pickers must still offer them."""
    agreement = many_customers["agreement"]
    page.set_viewport_size(WIDE)
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    customers = page.locator("select[name=customer] ~ .ts-wrapper")
    customers.locator(".ts-control input").press_sequentially("tromsø")
    found = customers.locator(".ts-dropdown .option[data-value]:not([data-value=''])")
    expect(found).to_have_text([str(many_customers["customer"])])
    page.keyboard.press("Escape")

    wrapper = page.locator("select[name=agreement] ~ .ts-wrapper")
    wrapper.locator(".ts-control input").press_sequentially("zephyr")
    option = wrapper.locator(".ts-dropdown .option[data-value]:not([data-value=''])")
    expect(option).to_have_count(1)
    expect(option).to_have_text(str(agreement))
    page.keyboard.press("Enter")
    expect(page.locator("select[name=agreement]")).to_have_value(str(agreement.pk))
    _filter(page)
    page.wait_for_url(f"**/orders/?*agreement={agreement.pk}*")
    assert _numbers(page) == ["ZE-1", "ZE-2"]
    expect(wrapper.locator(".ts-control .item")).to_have_text(str(agreement))


def test_the_filter_bar_with_a_chosen_customer_fits_a_phone(
    many_customers, sign_in, page, live_server
):
    customer = many_customers["customer"]
    page.set_viewport_size(PHONE)
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    page.get_by_test_id("list-tools-toggle").click()
    pick(page, "customer", "Thermal")
    assert_no_sideways_scroll(page)
    # The server's answers, long names included, stay within the screen while shown.
    box = page.locator("select[name=agreement] ~ .ts-wrapper .ts-control input")
    box.press_sequentially("care")
    expect(page.locator("select[name=agreement] ~ .ts-wrapper .ts-dropdown .option")).to_have_count(
        5
    )
    assert_no_sideways_scroll(page)
    page.keyboard.press("Escape")
    _filter(page)
    page.wait_for_url(f"**/orders/?*customer={customer.pk}*")
    # Filtered: the panel is open, the long name chosen, and nothing scrolls sideways.
    expect(page.locator("select[name=customer] ~ .ts-wrapper .item")).to_have_text(str(customer))
    assert_fits(page, PHONE["width"])


def _wait_until(page, condition, what: str, seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)  # lets Playwright run the route handlers meanwhile
    raise AssertionError(f"waited {seconds} s in vain: {what}")


def test_the_customer_filter_asks_again_after_a_failed_answer_and_keeps_a_late_one(
    many_customers, sign_in, page, live_server
):
    """Tom Select asks the server once per text. An answer that failed is asked again when the
    text is typed again; one that arrived after the user had typed on is kept for that text."""
    page.set_viewport_size(WIDE)
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    wrapper = page.locator("select[name=customer] ~ .ts-wrapper")
    box = wrapper.locator(".ts-control input")
    found = wrapper.locator(".ts-dropdown .option[data-value]:not([data-value=''])")
    asked: list[str] = []
    held: list = []

    def answer(route):
        query = parse_qs(urlsplit(route.request.url).query)["q"][0]
        asked.append(query)
        if query == "tromsø" and asked.count(query) == 1:
            route.abort()  # the first answer fails, as when the phone is offline
        elif query == "nordic" and asked.count(query) == 1:
            held.append(route)  # answered only later
        else:
            route.continue_()

    page.route("**/customers/search/?*", answer)
    # Found by its site's city, which the option's text does not show: only the server finds it.
    box.press_sequentially("tromsø")
    _wait_until(page, lambda: "tromsø" in asked, "the picker asks about tromsø")
    expect(wrapper).not_to_have_class(re.compile(r"\bloading\b"))
    expect(found).to_have_count(0)
    box.fill("")
    box.press_sequentially("tromsø")
    expect(found).to_have_text([str(many_customers["customer"])])
    assert asked.count("tromsø") == 2, asked

    box.fill("")
    box.press_sequentially("nordic")
    _wait_until(page, lambda: held, "the picker asks about nordic")
    box.fill("")
    box.press_sequentially("zeta")
    expect(found).to_have_text([re.compile("Zeta Plumbing")])
    held[0].continue_()  # the answer for "nordic" arrives while "zeta" is in the box
    _wait_until(page, lambda: page.evaluate(NORDIC_LOADED), "the late answer is kept")
    expect(found).to_have_text([re.compile("Zeta Plumbing")])
    box.fill("")
    box.press_sequentially("nordic")
    expect(found).to_have_text([re.compile("Nordic Boilers")])
    assert asked.count("nordic") == 1, asked  # kept from the late answer, not asked again


# Whether the picker holds the option the late answer brought.
NORDIC_LOADED = """() => Object.values(
    document.querySelector("select[name=customer]").tomselect.options
).some((option) => option.text.includes("Nordic Boilers"))"""


def test_dispatcher_creates_an_order_for_a_customer_found_on_the_server(
    many_customers, sign_in, page, live_server
):
    """On the new-order page of a tenant with a long customer list: the customer is found by
    typing, its agreements then load (and only its), and the order is created for it."""
    customer, agreement = many_customers["customer"], many_customers["agreement"]
    page.set_viewport_size(WIDE)
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/new/")
    agreements = page.locator("select[name=agreement] option[value]:not([value=''])")
    expect(agreements).to_have_count(0)  # none until the customer is chosen
    pick(page, "customer", "Thermal Works")
    expect(agreements).to_have_count(1)
    expect(agreements).to_have_text(str(agreement))
    page.locator("select[name=agreement]").select_option(str(agreement.pk))
    page.get_by_label("What is to be done").fill("Heat pump makes a rattling noise")
    page.get_by_test_id("create-order").click()
    page.wait_for_url("**/orders/*/")
    order = ServiceOrder.objects.get(description="Heat pump makes a rattling noise")
    assert (order.customer, order.agreement) == (customer, agreement)
