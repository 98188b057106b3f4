"""Using a searchable picker (web.pickers, Tom Select) as a user does: type part of the text
into its box, wait for the matching option (the server's answer, for a long list) to be the
highlighted one, press Enter."""

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

ATTEMPTS = 3


def pick(page, name: str, typed: str, *, within=None) -> None:
    root = within if within is not None else page
    wrapper = root.locator(f"select[name={name}] ~ .ts-wrapper")
    box = wrapper.locator(".ts-control input")
    choice = ".ts-dropdown .option[data-value]:not([data-value=''])"
    option = wrapper.locator(choice, has_text=typed)
    # On a busy machine the picker that was just left may still be closing when this one gets
    # the focus, and what was typed is dropped: type again, as a user would.
    for attempt in range(ATTEMPTS):
        box.focus()
        box.press_sequentially(typed)
        try:
            option.first.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            if attempt == ATTEMPTS - 1:
                raise
            box.fill("")
    expect(wrapper.locator(".ts-dropdown .option.active").first).to_contain_text(typed)
    page.keyboard.press("Enter")
    expect(root.locator(f"select[name={name}] option:checked")).to_contain_text(typed)
    expect(wrapper.locator(".ts-dropdown")).to_be_hidden()
