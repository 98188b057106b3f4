"""The dispatch board in a browser: a dispatcher drags a queued order onto a technician's hour
(a real drag), sees it placed, and a second dispatcher's board shows it without a reload; the
visit is sent to the technician, who opens "My day" at 375 px and completes the job."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from dispatch.models import Appointment
from tenancy.models import Tenant
from tests.browser.layout import PHONE, WIDE, assert_no_sideways_scroll
from tests.factories import (
    BusinessCalendarFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceOrderFactory,
    TechnicianProfileFactory,
)

pytestmark = pytest.mark.browser


def _signed_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )


@pytest.fixture
def board_data(demo):
    tenant = Tenant.objects.get(slug="acme")
    tech1 = demo["acme"]["tech1"]
    # Open every day: the journey may run on a weekend.
    calendar = BusinessCalendarFactory(tenant=tenant, working_days=list(range(7)))
    profile = TechnicianProfileFactory(
        tenant=tenant, user=tech1, membership=False, calendar=calendar
    )
    customer = CustomerFactory(tenant=tenant, name="Kowalski Heating", language="en")
    order = ServiceOrderFactory(
        customer=customer,
        site=CustomerSiteFactory(customer=customer, street="ul. Długa 5", city="Gdańsk"),
        description="Boiler does not start",
        preferred_date=tenant.today(),
    )
    return {"tenant": tenant, "profile": profile, "order": order, "people": demo["acme"]}


def test_drag_a_queued_order_onto_a_technician_and_the_other_board_follows(
    board_data, page, browser, live_server
):
    order, profile = board_data["order"], board_data["profile"]
    page.set_viewport_size(WIDE)
    _signed_in(page.context, live_server, board_data["people"]["dispatcher"])
    other_context = browser.new_context(viewport=WIDE)
    other = other_context.new_page()
    _signed_in(other_context, live_server, board_data["people"]["manager"])
    try:
        other.goto(f"{live_server.url}/dispatch/")
        expect(other.get_by_test_id("queue")).to_contain_text(order.number)
        page.goto(f"{live_server.url}/dispatch/")
        card = page.locator(f"[data-testid=queue-card][data-order='{order.pk}']")
        slot = page.get_by_test_id(f"slot-{profile.pk}-10")
        card.drag_to(slot)
        placed = page.locator(f"[data-testid=visit][data-number='{order.number}']")
        expect(placed).to_be_visible()
        expect(placed).to_contain_text("10:00")
        expect(page.get_by_test_id("queue")).not_to_contain_text(order.number)
        visit = Appointment.objects.get(order=order)
        assert visit.technician_id == profile.pk

        # The other dispatcher's board shows it within a few seconds, without a reload.
        marker = other.evaluate("() => { window.__notReloaded = true; return true; }")
        assert marker
        expect(other.locator(f"[data-testid=visit][data-number='{order.number}']")).to_be_visible(
            timeout=15_000
        )
        assert other.evaluate("() => window.__notReloaded === true")
        expect(other.get_by_test_id("queue")).not_to_contain_text(order.number)

        # Select the visit (keyboard path) and send it to the technician.
        placed.click()
        page.get_by_test_id("dispatch-visit").click()
        expect(
            page.locator(f"[data-testid=visit][data-number='{order.number}']")
        ).not_to_contain_text("draft")
    finally:
        other_context.close()


def test_the_technician_completes_the_first_job_of_the_day_at_375(board_data, page, live_server):
    from dispatch import services

    tenant, order, profile = board_data["tenant"], board_data["order"], board_data["profile"]
    start = tenant.now().replace(hour=8, minute=0, second=0, microsecond=0)
    visit = services.appointment_assign(
        tenant=tenant,
        by=board_data["people"]["dispatcher"],
        order_id=order.pk,
        technician_id=profile.pk,
        start=start,
        end=start.replace(hour=10),
        confirmed=True,
        reason="Test",
    )
    services.appointment_dispatch(
        tenant=tenant, by=board_data["people"]["dispatcher"], appointment_id=visit.pk
    )
    page.set_viewport_size(PHONE)
    _signed_in(page.context, live_server, profile.user)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("home-technician")).to_be_visible()
    first = page.get_by_test_id("my-visit").first
    expect(first).to_contain_text("Kowalski Heating")
    expect(first.get_by_test_id("visit-map")).to_have_attribute(
        "href", "geo:0,0?q=ul.%20D%C5%82uga%205%2C%2000-001%20Gda%C5%84sk"
    )
    assert_no_sideways_scroll(page)
    for step in ("travel", "work", "done"):
        page.get_by_test_id("my-visit").first.get_by_test_id(f"visit-step-{step}").click()
        page.wait_for_load_state()
    order.refresh_from_db()
    assert order.state == "completed"
    # Completed: no step is left to take.
    expect(page.get_by_test_id("my-visit").first.get_by_test_id("visit-steps")).to_have_count(0)
    assert_no_sideways_scroll(page)
