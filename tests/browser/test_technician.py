"""A technician at 375 px: opens today's order, records an hour line and an item line (through
the searchable picker), and the customer signs with the mouse on the canvas; the technician then
sees the receipt, whose PDF lists the lines and the signer."""

import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from service_orders.models import OrderStage, OrderState
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import (
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceOrderFactory,
)
from tests.service_orders.technician_helpers import image_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def todays_order(demo):
    tenant = Tenant.objects.get(slug="acme")
    customer = CustomerFactory(tenant=tenant, name="Kowalski Heating", language="en")
    order = ServiceOrderFactory(
        customer=customer,
        site=CustomerSiteFactory(customer=customer, street="ul. Długa 5", city="Gdańsk"),
        contact=CustomerContactFactory(customer=customer, phone="+48 600 100 200"),
        description="Boiler does not start",
        assigned_technician=demo["acme"]["tech1"],
        preferred_date=tenant.today(),
        state=OrderState.IN_PROGRESS,
    )
    order.stage = OrderStage.objects.for_tenant(tenant).get(code="work")
    order.save(update_fields=["stage"])
    ItemFactory(tenant=tenant, number="F-100", name="Air filter", is_serial_tracked=True)
    ItemFactory(tenant=tenant, number="P-200", name="Circulation pump")
    return order


def _draw_signature(page) -> None:
    pad = page.get_by_test_id("signature-pad")
    box = pad.bounding_box()
    x, y, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + width * 0.1, y + height * 0.7)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + width * (0.1 + 0.04 * step), y + height * (0.7 - 0.025 * step))
    page.mouse.move(x + width * 0.85, y + height * 0.6, steps=8)
    page.mouse.up()


def test_technician_records_work_and_the_customer_signs(todays_order, sign_in, page, live_server):
    page.set_viewport_size(PHONE)
    sign_in("tech1@acme.test")
    page.goto(f"{live_server.url}/orders/my/")
    expect(page.get_by_test_id("day-group-0")).to_contain_text("Kowalski Heating")
    assert_no_sideways_scroll(page)
    page.get_by_test_id("my-order").first.click()
    expect(page.get_by_test_id("call-contact")).to_have_attribute("href", "tel:+48600100200")
    expect(page.get_by_test_id("map-link")).to_have_attribute(
        "href", "geo:0,0?q=ul.%20D%C5%82uga%205%2C%2000-001%20Gda%C5%84sk"
    )
    assert_no_sideways_scroll(page)

    # An hour line from a start and an end time.
    page.get_by_test_id("add-hour").click()
    page.fill("input[name=started_at]", "08:00")
    page.fill("input[name=ended_at]", "09:30")
    page.fill("input[name=description]", "Burner cleaned")
    assert_no_sideways_scroll(page)
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("lines")).to_contain_text("Burner cleaned")
    expect(page.get_by_test_id("lines")).to_contain_text(re.compile(r"1[.,]50 h"))

    # An item line: the picker searches the catalogue as the technician types.
    page.get_by_test_id("add-item").click()
    page.locator("#id_item-ts-control").fill("filter")
    page.locator(".ts-dropdown .option", has_text="Air filter").click()
    page.fill("input[name=serial_number]", "FX-2291")
    assert_no_sideways_scroll(page)
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("lines")).to_contain_text("Air filter")
    expect(page.get_by_test_id("lines")).to_contain_text("FX-2291")

    # A photo of the boiler: stored, and shown back through the checking view.
    page.set_input_files(
        "input[name=photo]",
        files=[{"name": "boiler.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}],
    )
    page.get_by_test_id("photo-form").locator("button[type=submit]").click()
    photo = page.get_by_test_id("photos").locator("img")
    expect(photo).to_have_count(1)
    expect(photo).to_have_js_property("naturalWidth", 40)

    # The customer signs with the mouse on the canvas and types their name.
    page.get_by_test_id("sign-off").click()
    expect(page.get_by_test_id("sign-off-lines")).to_contain_text("Air filter")
    assert_no_sideways_scroll(page)
    page.get_by_test_id("confirm-sign-off").click()  # nothing drawn yet: refused
    expect(page.get_by_test_id("signature-error")).to_be_visible()
    _draw_signature(page)
    page.fill("input[name=signer_name]", "Jan Kowalski")
    page.get_by_test_id("confirm-sign-off").click()

    expect(page.get_by_test_id("receipt-signed")).to_contain_text("Jan Kowalski")
    expect(page.get_by_test_id("receipt-lines")).to_contain_text("Burner cleaned")
    assert_no_sideways_scroll(page)
    pdf_url = page.get_by_test_id("receipt-pdf").get_attribute("href")
    response = page.request.get(f"{live_server.url}{pdf_url}")
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.body())).pages)
    for expected in ("Jan Kowalski", "Burner cleaned", "Air filter", "FX-2291"):
        assert expected in text

    # Back on the order, the lines can no longer change.
    page.goto(f"{live_server.url}/orders/my/{todays_order.pk}/")
    expect(page.get_by_test_id("lines-locked")).to_be_visible()
    expect(page.get_by_test_id("add-hour")).to_have_count(0)
