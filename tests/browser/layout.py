"""Layout checks shared by the browser journeys."""

PHONE = {"width": 375, "height": 740}

_WIDEST_ELEMENTS = """(limit) => {
    const wide = [];
    for (const el of document.querySelectorAll("body *")) {
        const right = Math.round(el.getBoundingClientRect().right);
        if (right > limit && !el.closest(".fl-table-wrap")) {
            wide.push(`${el.tagName.toLowerCase()}.${el.className} → ${right}px: `
                      + (el.textContent || "").trim().slice(0, 60));
        }
    }
    return wide.slice(-5);
}"""


def assert_no_sideways_scroll(page, width: int = PHONE["width"]) -> None:
    """The page fits the phone's width: nothing but tables (which scroll in their own box)
    sticks out to the right."""
    # An expect() on the new page passes as soon as the element is in the DOM, possibly before
    # the stylesheets have loaded; measure the page as the user sees it, styled.
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        widest = page.evaluate(_WIDEST_ELEMENTS, width + 1)
        raise AssertionError(f"page is {scroll_width}px wide at {width}px: {widest}")
