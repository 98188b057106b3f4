"""In a real browser: the customer picker by keyboard (type part of the name, Enter), a
dangerous action confirmed in its dialog with a reason (an empty reason is refused inside the
dialog), and a deleted line brought back with Undo."""

import datetime

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementLine, AgreementState
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


def test_picking_a_customer_by_typing_and_enter(acme, sign_in, page, live_server):
    customer = CustomerFactory(tenant=acme, name="Zephyr Thermal Works")
    CustomerFactory(tenant=acme, name="Zeta Plumbing")
    page.set_viewport_size(PHONE)
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/agreements/new/")

    page.get_by_label("Customer").first.focus()
    page.keyboard.type("thermal")
    option = page.locator(".ts-dropdown .option.active")
    expect(option).to_contain_text("Zephyr Thermal Works")
    page.keyboard.press("Enter")
    expect(page.locator("select[name=customer]")).to_have_value(str(customer.pk))
    assert_no_sideways_scroll(page)

    page.fill("input[name=description]", "Boiler care")
    page.fill("input[name=start_date]", datetime.date.today().isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("customer-link")).to_have_text(str(customer))
    assert Agreement.objects.get(description="Boiler care").customer_id == customer.pk


def test_cancel_in_the_dialog_needs_a_reason(acme, sign_in, page, live_server):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=acme), state="active")
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")

    page.get_by_test_id("transition-cancel").get_by_role("link").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Cancel agreement {agreement.number}?")
    dialog.get_by_test_id("confirm").click()
    expect(dialog.locator(".invalid-feedback")).to_have_text("Give a reason.")
    assert Agreement.objects.get(pk=agreement.pk).state == AgreementState.ACTIVE

    dialog.locator("textarea[name=reason]").fill("Customer closed the site")
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("Cancelled")
    expect(page.get_by_test_id("cancel-reason")).to_contain_text("Customer closed the site")

    # "Back" closes the dialog without doing anything.
    other = AgreementFactory(customer=CustomerFactory(tenant=acme), state="active")
    page.goto(f"{live_server.url}/agreements/{other.pk}/")
    page.get_by_test_id("transition-expire").get_by_role("link").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Back").click()
    expect(dialog).to_be_hidden()
    assert Agreement.objects.get(pk=other.pk).state == AgreementState.ACTIVE


def test_a_deleted_line_comes_back_with_undo(acme, sign_in, page, live_server):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=acme))
    link = AgreementObjectFactory(agreement=agreement)
    line = AgreementLineFactory(
        agreement=agreement, service_object=link.service_object, description="Filter change"
    )
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")

    page.get_by_test_id("line-table").get_by_role("link", name="Delete").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_contain_text(f"Delete line {line.position} of {agreement.number}?")
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("undo-offer")).to_contain_text(f"Line {line.position} deleted.")
    expect(page.get_by_test_id("line-table")).not_to_contain_text("Filter change")
    assert not AgreementLine.objects.filter(pk=line.pk).exists()

    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("line-table")).to_contain_text("Filter change")
    assert AgreementLine.objects.filter(pk=line.pk).exists()
