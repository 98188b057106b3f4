"""In a real browser: the service manager suspends an agreement whose visits are already
generated; the dialog lists the orders it will cancel before the confirmation; resuming with
back-fill brings them back."""

import datetime

import pytest
from playwright.sync_api import expect

from agreements.models import AgreementState, IntervalUnit
from service_orders.models import GenerationTrigger, OrderState, ServiceOrder
from service_orders.services.generation import generation_run
from tenancy.models import Tenant, User
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    CustomerFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def acme(demo):
    User.objects.filter(email="manager@acme.test").update(language="en")
    return Tenant.objects.get(slug="acme")


def test_suspend_lists_the_visits_it_cancels_and_resume_brings_them_back(
    acme, sign_in, page, live_server
):
    today = acme.today()
    agreement = AgreementFactory(
        customer=CustomerFactory(tenant=acme, name="Browar Tyski S.A."),
        start_date=today - datetime.timedelta(days=30),
        state=AgreementState.ACTIVE,
    )
    boiler = AgreementObjectFactory(agreement=agreement).service_object
    AgreementLineFactory(
        agreement=agreement,
        service_object=boiler,
        interval_unit=IntervalUnit.WEEK,
        start_date=today + datetime.timedelta(days=1),
        description="Weekly steam boiler check",
    )
    generation_run(
        tenant=acme,
        period_start=today,
        period_end=today + datetime.timedelta(days=27),
        trigger=GenerationTrigger.MANUAL,
        agreement_ids=[agreement.pk],
    )
    numbers = list(
        ServiceOrder.objects.filter(agreement=agreement).values_list("number", flat=True)
    )
    assert numbers

    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
    page.get_by_test_id("transition-suspend").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog.get_by_test_id("effects")).to_contain_text(
        f"{len(numbers)} service orders will be cancelled"
    )
    for number in numbers:
        expect(dialog.get_by_test_id("affected")).to_contain_text(number)
    assert_no_sideways_scroll(page)
    assert {o.state for o in ServiceOrder.objects.filter(agreement=agreement)} == {OrderState.NEW}

    dialog.locator("input[name=reason]").fill("Boiler house under renovation")
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Suspended")
    assert {o.state for o in ServiceOrder.objects.filter(agreement=agreement)} == {
        OrderState.CANCELLED
    }

    resume = page.get_by_test_id("transition-resume")
    resume.locator("input[name=backfill]").check()
    resume.locator("button[type=submit]").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Active")
    assert {o.state for o in ServiceOrder.objects.filter(agreement=agreement)} == {OrderState.NEW}
