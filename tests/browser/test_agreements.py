"""A service manager, on a phone, creates an agreement from a template for a customer, covers an
object, adds a line with an interval and activates the agreement."""

import datetime

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementState, IntervalUnit
from tenancy.models import Tenant, User
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.browser.pickers import pick
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementTaskFactory,
    CustomerFactory,
    ServiceObjectFactory,
    TemplateGroupFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def acme_template(demo):
    """Acme's template "Annual boiler maintenance" (one yearly fee line and one task), and a
    customer with a boiler. The manager reads English (Acme's default language is Polish)."""
    tenant = Tenant.objects.get(slug="acme")
    User.objects.filter(email="manager@acme.test").update(language="en")
    template = AgreementFactory(
        customer=None,
        tenant=tenant,
        is_template=True,
        template_group=TemplateGroupFactory(tenant=tenant, name="Heating"),
        description="Annual boiler maintenance",
    )
    AgreementTaskFactory(agreement=template)
    AgreementLineFactory(
        agreement=template, description="Call-out fee", interval_unit=IntervalUnit.YEAR
    )
    customer = CustomerFactory(tenant=tenant, name="Nordic Heat")
    boiler = ServiceObjectFactory(customer=customer, name="Boiler Vitodens 200")
    return template, customer, boiler


def test_manager_creates_an_agreement_from_a_template_and_activates_it(
    acme_template, sign_in, page, live_server
):
    template, customer, boiler = acme_template
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")

    page.goto(f"{live_server.url}/agreements/")
    page.get_by_role("link", name="New agreement from template").click()
    pick(page, "template", template.description)
    pick(page, "customer", customer.name)
    page.fill("input[name=start_date]", datetime.date.today().isoformat())
    assert_no_sideways_scroll(page)
    page.locator("main form button[type=submit]").click()

    expect(page.get_by_test_id("agreement-state")).to_have_text("Draft")
    expect(page.get_by_test_id("line-table")).to_contain_text("Call-out fee")
    agreement = Agreement.objects.get(customer=customer)
    assert agreement.created_from_id == template.pk

    add_object = page.get_by_test_id("object-add")
    pick(page, "service_object", boiler.name, within=add_object)
    add_object.locator("button[type=submit]").click()
    expect(page.get_by_test_id("object-list")).to_contain_text("Boiler Vitodens 200")

    page.get_by_role("link", name="Add line").click()
    page.fill("input[name=description]", "Boiler inspection")
    pick(page, "service_object", boiler.name)
    page.select_option("select[name=interval_unit]", "week")
    page.fill("input[name=interval_count]", "3")
    page.get_by_text("Planning details").click()  # the folded section
    page.locator("input[name=excluded_months][value='8']").check()
    page.locator("input[name=exclude_holidays]").check()
    assert_no_sideways_scroll(page)
    page.locator("main form button[type=submit]").click()

    schedule = page.get_by_test_id("line-schedule")
    expect(schedule.filter(has_text="Every 3 weeks, not in August, not on holidays")).to_have_count(
        1
    )
    assert_no_sideways_scroll(page)

    page.get_by_test_id("transition-activate").locator("button").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Active")
    expect(page.get_by_test_id("transition-suspend")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert Agreement.objects.get(pk=agreement.pk).state == AgreementState.ACTIVE
