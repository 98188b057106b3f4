"""A service manager plans a monthly and a quarterly task on one boiler with "any open day of the
same month" windows, activates the agreement, previews and generates: one visit carries both."""

import datetime

import pytest
from playwright.sync_api import expect

from agreements import services as agreement_services
from agreements.models import Agreement
from service_orders.models import ServiceOrder
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User
from tests.browser.pickers import pick
from tests.factories import CustomerFactory, ServiceObjectFactory

pytestmark = pytest.mark.browser


def _first_of_next_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


@pytest.fixture
def draft_agreement(demo):
    tenant = Tenant.objects.get(slug="acme")
    User.objects.filter(email="manager@acme.test").update(language="en")
    customer = CustomerFactory(tenant=tenant, name="Nordic Heat")
    boiler = ServiceObjectFactory(customer=customer, name="Boiler Vitodens 200")
    manager = User.objects.get(email="manager@acme.test")
    # Through the services, as the pages do: the number comes from the tenant's sequence (a
    # factory's number would take one the next test's agreement expects).
    with tenant_scope(tenant):
        agreement = agreement_services.agreement_create(
            tenant=tenant,
            by=manager,
            data={
                "customer": customer,
                "description": "Boiler care",
                "start_date": _first_of_next_month(tenant.today()),
            },
        )
        agreement_services.agreement_object_add(
            tenant=tenant, by=manager, agreement_id=agreement.pk, service_object=boiler
        )
    return agreement, boiler


def _add_line(page, live_server, agreement, boiler, description, unit, start=None):
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
    page.get_by_role("link", name="Add line").click()
    page.fill("input[name=description]", description)
    pick(page, "service_object", boiler.name)
    page.select_option("select[name=interval_unit]", unit)
    page.fill("input[name=interval_count]", "1")
    if start is not None:
        page.fill("input[name=start_date]", start.isoformat())
    page.get_by_text("Planning details").click()  # the folded section
    page.select_option("select[name=time_window]", "same_month")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("line-table")).to_contain_text(description)


def test_monthly_and_quarterly_lines_share_one_visit(
    draft_agreement, sign_in, page, live_server, background_worker
):
    agreement, boiler = draft_agreement
    start = agreement.start_date
    sign_in("manager@acme.test")

    _add_line(page, live_server, agreement, boiler, "Monthly boiler check", "month")
    _add_line(
        page,
        live_server,
        agreement,
        boiler,
        "Quarterly safety valve test",
        "quarter",
        start=start + datetime.timedelta(days=9),
    )
    page.get_by_test_id("transition-activate").locator("button").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Active")

    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    page.goto(f"{live_server.url}/orders/generate/?agreement={agreement.pk}")
    page.fill("input[name=period_start]", start.isoformat())
    page.fill("input[name=period_end]", end.isoformat())
    page.get_by_test_id("preview").click()
    planned = page.get_by_test_id("planned-order")
    expect(planned).to_have_count(1)
    expect(planned).to_contain_text("Monthly boiler check")
    expect(planned).to_contain_text("Quarterly safety valve test")

    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("orders-created")).to_have_text("1")
    order = ServiceOrder.objects.get(agreement=agreement)
    assert sorted(order.lines.values_list("calculated_date", flat=True)) == [
        start,
        start + datetime.timedelta(days=9),
    ]
    assert start <= order.calculated_date <= end
    assert Agreement.objects.get(pk=agreement.pk).state == "active"
