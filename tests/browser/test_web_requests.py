"""A customer contact at 375 px submits a request with a photo; the dispatcher accepts it (the
order is created); the contact then sees the request accepted and opens the order."""

import pytest
from playwright.sync_api import expect

from customers.models import ContactLogin
from service_orders.models import Origin, ServiceOrder, WebRequest, WebRequestState
from tenancy.models import Membership, Tenant
from tenancy.roles import Role
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import (
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    UserFactory,
)
from tests.service_orders.technician_helpers import image_bytes

from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def contact(demo):
    tenant = Tenant.objects.get(slug="acme")
    customer = CustomerFactory(tenant=tenant, name="Hotel Wawel", language="en")
    site = CustomerSiteFactory(customer=customer, name="Main building", is_default=True)
    ServiceObjectFactory(customer=customer, site=site, number="OBJ-777001", name="Boiler room")
    user = UserFactory(
        email="anna@hotel.test", first_name="Anna", password=DEMO_PASSWORD, language="en"
    )
    Membership.objects.create(tenant=tenant, user=user, role=Role.CUSTOMER_CONTACT)
    ContactLogin.objects.create(
        tenant=tenant,
        user=user,
        customer=customer,
        contact=CustomerContactFactory(customer=customer, email=user.email, name="Anna"),
    )
    return user


def test_a_contact_requests_service_that_the_dispatcher_accepts(
    contact, sign_in, page, live_server
):
    page.set_viewport_size(PHONE)
    sign_in(contact.email)
    expect(page.get_by_test_id("home-customer-contact")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name="New request").first.click()
    expect(page.get_by_test_id("request-form")).to_be_visible()
    assert_no_sideways_scroll(page)

    # An empty description is refused beside its field, nothing sent.
    page.get_by_test_id("send-request").click()
    expect(page.locator("[data-field=description] .invalid-feedback")).to_be_visible()
    assert not WebRequest.objects.exists()

    page.select_option("select[name=service_object]", label="OBJ-777001 · Boiler room")
    page.fill("textarea[name=description]", "The boiler is loud and switches itself off")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "boiler.png", "mimeType": "image/png", "buffer": image_bytes()}],
    )
    page.get_by_test_id("send-request").click()
    expect(page.get_by_test_id("request-outcome")).to_be_visible()
    expect(page.get_by_test_id("request-state")).to_have_text("Submitted")
    expect(page.get_by_test_id("request-photos").locator("img")).to_have_count(1)
    assert_no_sideways_scroll(page)
    web_request = WebRequest.objects.get()
    assert web_request.customer.name == "Hotel Wawel"

    # The dispatcher, on a phone too: the home tile, the list, the request, Accept.
    page.context.clear_cookies()
    sign_in("dispatcher@acme.test")
    page.get_by_test_id("tile-web_requests_waiting").click()
    expect(page.get_by_test_id("request-table")).to_contain_text(web_request.number)
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name=web_request.number).first.click()
    expect(page.get_by_test_id("request-description")).to_contain_text("switches itself off")
    expect(page.get_by_test_id("request-photos").locator("img")).to_have_count(1)
    assert_no_sideways_scroll(page)
    page.select_option("select[name=priority]", value="high")
    page.get_by_test_id("accept").click()
    page.wait_for_url("**/orders/*/")
    order = ServiceOrder.objects.get(origin=Origin.WEB_REQUEST, customer__name="Hotel Wawel")
    assert order.priority == "high"
    web_request.refresh_from_db()
    assert web_request.state == WebRequestState.ACCEPTED and web_request.order == order

    # The contact sees the outcome and follows it to the order.
    page.context.clear_cookies()
    sign_in(contact.email)
    page.goto(f"{live_server.url}/portal/requests/")
    expect(page.get_by_test_id("portal-request-table")).to_contain_text("Accepted")
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name=web_request.number).first.click()
    page.get_by_test_id("request-order").click()
    expect(page.get_by_test_id("portal-order-number")).to_have_text(order.number)
    expect(page.get_by_test_id("portal-order-objects")).to_contain_text("Boiler room")
    assert_no_sideways_scroll(page)
