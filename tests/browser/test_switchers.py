"""The tenant and language switchers: visible labels, two different looks, and the tenant
switch answered in the new tenant's language."""

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser


def _look(page, testid: str) -> dict:
    return (
        page.get_by_test_id(testid)
        .locator("select")
        .evaluate(
            "el => { const s = getComputedStyle(el); "
            "return {background: s.backgroundColor, color: s.color}; }"
        )
    )


def test_switchers_are_labelled_and_look_different(demo, sign_in, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in("multi@fieldline.test")  # no language of her own: Acme's Polish
    expect(page.get_by_test_id("tenant-switcher-label")).to_have_text("Firma")
    expect(page.get_by_test_id("language-switcher-label").first).to_have_text("Język")
    assert _look(page, "tenant-switcher") != _look(page, "language-switcher")

    page.get_by_test_id("tenant-switcher").locator("select").select_option(
        label="Globex Serviços (globex-br)"
    )
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "pt-br")
    expect(page.locator("#messages")).to_contain_text(
        "Agora você está trabalhando em Globex Serviços."
    )
    expect(page.get_by_test_id("tenant-switcher-label")).to_have_text("Empresa")


def test_switchers_fit_a_phone(demo, sign_in, page):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in("multi@fieldline.test")
    page.locator(".navbar-toggler").click()
    expect(page.get_by_test_id("tenant-switcher-label")).to_be_visible()
    expect(page.get_by_test_id("language-switcher-label").first).to_be_visible()
    assert_no_sideways_scroll(page)
