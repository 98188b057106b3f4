"""Each demo role signs in and lands on its own home page; multi switches tenant; language."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("admin@acme.test", "home-tenant_admin"),
        ("manager@acme.test", "home-service_manager"),
        ("dispatcher@globex.test", "home-dispatcher"),
        ("tech1@acme.test", "home-technician"),
    ],
)
def test_each_role_lands_on_its_home_page(demo, sign_in, page, email, home):
    sign_in(email)
    expect(page.get_by_test_id(home)).to_be_visible()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile("/sign-in/"))


def test_wrong_password_shows_a_message(demo, sign_in, page):
    sign_in("manager@acme.test", "wrong-password")
    expect(page.locator(".alert-danger")).to_contain_text("correct")


def test_multi_switches_tenant(demo, sign_in, page):
    sign_in("multi@fieldline.test")
    switcher = page.get_by_test_id("tenant-switcher").locator("select")
    expect(switcher).to_have_value(str(_tenant_id("acme")))
    switcher.select_option(label="Globex Serviços (globex-br)")
    page.wait_for_load_state()
    expect(page.get_by_test_id("tenant-switcher").locator("select")).to_have_value(
        str(_tenant_id("globex"))
    )
    expect(page.locator("#messages")).to_contain_text("Globex")


def test_change_language(demo, sign_in, page):
    sign_in("admin@acme.test")  # Acme's default language is Polish
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.get_by_test_id("language-switcher").first.locator("select").select_option("fr")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("sign-out")).to_have_text("Se déconnecter")


def test_admin_invites_a_person_on_a_phone(demo, sign_in, page):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in("admin@acme.test")
    page.goto(page.url.rstrip("/") + "/settings/users/invite/")
    page.fill("input[name=email]", "not-an-address")
    page.select_option("select[name=role]", "technician")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[data-field=email] .invalid-feedback")).to_be_visible()
    page.fill("input[name=email]", "new.tech@acme.test")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("new.tech@acme.test")
    assert_no_sideways_scroll(page)


def _tenant_id(slug: str) -> int:
    from tenancy.models import Tenant

    return Tenant.objects.get(slug=slug).pk
