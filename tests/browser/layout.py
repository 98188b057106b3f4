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
        raise AssertionError(f"{page.url} is {scroll_width}px wide at {width}px: {widest}")


WIDE = {"width": 1280, "height": 800}

# Elements that scroll sideways inside the page: a box that scrolls or clips (overflow-x other
# than visible) and is wider inside than outside (scrollWidth > clientWidth), so part of it is
# out of sight, like a table in a scrolling wrapper. Content that spills out of a box without
# clipping (overflow visible) stays in sight unless it leaves the screen, which the page check
# catches, or a clipping ancestor, which this check catches. Allowed: code and pre blocks, form
# fields (a long value scrolls inside the field by design), visually hidden text, and text cut on
# purpose with an ellipsis whose full text is in its title (web/list.html's truncated cells).
_SIDEWAYS_SCROLLERS = """() => {
    const found = [];
    for (const el of document.querySelectorAll("body *")) {
        if (el.closest("pre, code, input, textarea, select, svg")) continue;
        if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
        const style = getComputedStyle(el);
        if (style.overflowX === "visible") continue;
        if (style.display === "none" || style.visibility === "hidden") continue;
        if (style.position === "absolute" && style.clip !== "auto") continue;
        if (style.textOverflow === "ellipsis" && el.title) continue;
        const name = el.tagName.toLowerCase()
            + (el.id ? "#" + el.id : "")
            + (el.className && typeof el.className === "string"
               ? "." + el.className.trim().split(/\\s+/).join(".") : "");
        found.push(`${name} scrolls ${el.scrollWidth}px in ${el.clientWidth}px: `
                   + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60));
    }
    return found.slice(0, 5);
}"""

# The buttons people act with: the page's own actions, submit buttons, each card's action.
_ACTIONS_OUT_OF_REACH = """() => {
    const width = document.documentElement.clientWidth;
    const selector = "main .btn-primary, main .page-header .btn, main button[type=submit], "
                     + "main .fl-role-action .btn, main .fl-role-action a";
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;  // not shown at this width
        if (box.left < -1 || box.right > width + 1) {
            out.push(`${(el.textContent || "").trim().slice(0, 40)} at ${Math.round(box.left)}`
                     + `–${Math.round(box.right)}px of ${width}px`);
        }
    }
    return out.slice(0, 5);
}"""


# A list's filter whose chosen value is cut ("Umowy i szablo", "Todas a"): the value's width in
# the select's font against the room inside it (its width less the padding that holds the arrow).
# Selects a searchable picker has replaced (Tom Select hides them) are left out.
_FILTERS_CUT = """() => {
    const context = document.createElement("canvas").getContext("2d");
    const cut = [];
    for (const el of document.querySelectorAll(".fl-filters select:not(.tomselected)")) {
        if (!el.offsetWidth || !el.selectedOptions.length) continue;
        const style = getComputedStyle(el);
        context.font = style.font;
        const text = el.selectedOptions[0].textContent.trim();
        const room = el.clientWidth - parseFloat(style.paddingLeft)
                     - parseFloat(style.paddingRight);
        if (context.measureText(text).width > room + 1) cut.push(`${el.name}: ${text}`);
    }
    return cut.slice(0, 5);
}"""


def assert_fits(page, width: int) -> None:
    """At this width nothing scrolls sideways: not the page, not a table inside its box, not any
    other element; every action button is within the screen; no list filter cuts its value."""
    assert_no_sideways_scroll(page, width)
    scrollers = page.evaluate(_SIDEWAYS_SCROLLERS)
    if scrollers:
        raise AssertionError(f"{page.url} at {width}px, sideways: {scrollers}")
    out_of_reach = page.evaluate(_ACTIONS_OUT_OF_REACH)
    if out_of_reach:
        raise AssertionError(f"{page.url} at {width}px, actions off-screen: {out_of_reach}")
    cut = page.evaluate(_FILTERS_CUT)
    if cut:
        raise AssertionError(f"{page.url} at {width}px, filter values cut: {cut}")
