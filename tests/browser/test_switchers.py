"""The tenant and language switchers: visible labels, two different looks, and the tenant
switch answered in the new tenant's language."""

import pytest
from django.conf import settings
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


# The selected option's text against the room the select gives it (its width less its padding,
# which holds the arrow): a select squeezed by the bar cuts the language's name ("Portuguê").
_SELECTED_TEXT_FITS = """el => {
    const style = getComputedStyle(el);
    const context = document.createElement("canvas").getContext("2d");
    context.font = style.font;
    const text = el.selectedOptions[0].textContent.trim();
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {text: text, fits: context.measureText(text).width <= room + 1};
}"""


@pytest.mark.parametrize("email", ["admin@acme.test", "manager@acme.test", "multi@fieldline.test"])
def test_the_bar_fits_a_laptop_in_every_language(demo, sign_in, page, live_server, email):
    """From the width where the menu opens out (992 px, Bootstrap's lg) to 1280 px, in every
    language: the bar never makes the page wider than the screen (the user menu stays in sight)
    and each switcher shows the whole name of what is chosen; at 1280 px the bar of a person
    with one tenant is one row."""
    sign_in(email)
    for language, _name in settings.LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for width in (992, 1100, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{live_server.url}/")
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_no_sideways_scroll(page, width)
            expect(page.get_by_test_id("user-menu")).to_be_in_viewport(ratio=1)
            for select in page.locator(".fl-navbar .fl-switch select").all():
                shown = select.evaluate(_SELECTED_TEXT_FITS)
                assert shown["fits"], f"{language} at {width}px: {shown['text']!r} is cut"
        if email == "multi@fieldline.test":
            continue  # with the tenant switcher too, a long language may take a second row
        # On a laptop's 1280 px the bar is one row: the switchers beside the menu, not below.
        menu = page.locator(".fl-navbar .navbar-nav").bounding_box()
        tools = page.locator(".fl-navbar-tools").bounding_box()
        assert tools["y"] < menu["y"] + menu["height"], f"{language}: the bar wraps at 1280 px"
