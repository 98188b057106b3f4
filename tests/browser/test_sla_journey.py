"""The service manager defines a business calendar with a lunch break and an SLA with targets and
an escalation level, in the browser; the dispatcher's new order gets the SLA's clock and, once its
clock has travelled (its creation moved back in time, the stage log with it, then recomputed as
the live clock would be), the order page shows it at risk."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from service_orders import demo as order_demo
from service_orders.models import ClockStatus, OrderClock, ServiceOrder, StageLog
from service_orders.services import sla_clock
from sla.models import BusinessCalendar, EscalationLevel, ServiceLevelAgreement, SlaTarget
from tenancy.context import tenant_scope
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
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


def _label(status) -> str:
    with translation.override("pl"):
        return str(status.label)


def test_manager_defines_calendar_and_sla_and_dispatcher_sees_an_order_at_risk(
    acme, sign_in, page, live_server
):
    tenant = acme.tenant
    sign_in("manager@acme.test")

    # A calendar, Monday to Friday, with a lunch break on Mondays.
    page.goto(f"{live_server.url}/sla/calendars/add/")
    page.fill("input[name=name]", "Biuro Kraków")
    page.locator("main form button[type=submit]").first.click()
    windows = page.get_by_test_id("window-form")
    windows.locator("select[name=weekday]").select_option("0")
    windows.locator("input[name=start_time]").fill("08:00")
    windows.locator("input[name=end_time]").fill("12:00")
    windows.locator("button[type=submit]").click()
    windows = page.get_by_test_id("window-form")
    windows.locator("select[name=weekday]").select_option("0")
    windows.locator("input[name=start_time]").fill("11:00")
    windows.locator("input[name=end_time]").fill("17:00")
    windows.locator("button[type=submit]").click()
    # Overlapping the morning: refused beside the opening time, nothing saved.
    error = page.locator("[data-testid=window-form] [data-field=start_time] .invalid-feedback")
    expect(error).to_contain_text("08:00–12:00")
    windows = page.get_by_test_id("window-form")
    windows.locator("input[name=start_time]").fill("13:00")
    windows.locator("button[type=submit]").click()
    expect(page.get_by_test_id("windows")).to_contain_text("13:00–17:00")
    calendar = BusinessCalendar.objects.get(tenant=tenant, name="Biuro Kraków")

    # An SLA on that calendar: 8 working hours for normal orders, the dispatchers told at 75 %.
    page.goto(f"{live_server.url}/sla/levels/add/")
    form = page.get_by_test_id("sla-form")
    form.locator("input[name=code]").fill("GOLD")
    form.locator("input[name=name]").fill("Złoty")
    form.locator("select[name=calendar]").select_option(str(calendar.pk))
    form.locator("button[type=submit]").click()
    targets = page.get_by_test_id("targets-form")
    targets.locator("input[name=normal_resolution]").fill("0")
    targets.locator("button[type=submit]").click()
    expect(
        page.locator("[data-testid=targets-form] [data-field=normal_resolution] .invalid-feedback")
    ).to_be_visible()
    targets = page.get_by_test_id("targets-form")
    targets.locator("input[name=normal_response]").fill("2")
    targets.locator("input[name=normal_resolution]").fill("8")
    targets.locator("button[type=submit]").click()
    levels = page.get_by_test_id("level-form")
    levels.locator("input[name=percent]").fill("75")
    levels.locator("select[name=role]").select_option("dispatcher")
    levels.locator("button[type=submit]").click()
    expect(page.get_by_test_id("levels")).to_contain_text("75 %")
    sla = ServiceLevelAgreement.objects.get(tenant=tenant, code="GOLD")
    assert sla.calendar == calendar
    assert SlaTarget.objects.get(sla=sla, priority="normal").resolution_minutes == 480
    assert EscalationLevel.objects.filter(sla=sla, percent=75, role="dispatcher").exists()

    # The tenant's default SLA.
    page.goto(f"{live_server.url}/sla/settings/")
    page.get_by_test_id("sla-settings-form").locator("select[name=default_sla]").select_option(
        str(sla.pk)
    )
    page.get_by_test_id("sla-settings-form").locator("button[type=submit]").click()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/sla/calendars/{calendar.pk}/")
    assert_no_sideways_scroll(page)
    page.goto(f"{live_server.url}/sla/levels/{sla.pk}/")
    assert_no_sideways_scroll(page)
    page.context.clear_cookies()

    # The dispatcher's new order gets the clock, on track.
    sign_in("dispatcher@acme.test")
    page.goto(f"{live_server.url}/orders/")
    page.get_by_test_id("new-order").click()
    page.select_option("select[name=customer]", str(acme.pk))
    page.fill("input[name=description]", "Kocioł nie grzeje")
    page.get_by_test_id("create-order").click()
    expect(page.get_by_test_id("sla-name")).to_contain_text("GOLD")
    expect(page.get_by_test_id("sla-status")).to_have_text(_label(ClockStatus.ON_TRACK))

    # Travel the clock: the order was made long enough ago to have used 85 % of its time.
    order = ServiceOrder.objects.get(tenant=tenant, description="Kocioł nie grzeje")
    with tenant_scope(tenant):
        clock = OrderClock.objects.get(tenant=tenant, order=order)
        created = sla_clock.demo_created_at(
            tenant=tenant, clock=clock, share=85, now=clock.used_as_of
        )
        ServiceOrder.objects.filter(pk=order.pk).update(created_at=created)
        OrderClock.objects.filter(pk=clock.pk).update(created_at=created)
        StageLog.objects.filter(order=order).update(at=created)
        sla_clock.clock_recompute(tenant=tenant, clock_id=clock.pk)

    page.reload()
    expect(page.get_by_test_id("sla-status")).to_have_text(_label(ClockStatus.AT_RISK))
    assert_no_sideways_scroll(page)
    clock.refresh_from_db()
    assert clock.calendar == calendar and clock.sla == sla
