"""Using a searchable picker (web.pickers, Tom Select) as a user does: type part of the text
into its box, wait for the matching option (the server's answer, for a long list), click it."""

from playwright.sync_api import expect


def pick(page, name: str, typed: str, *, within=None) -> None:
    root = within if within is not None else page
    wrapper = root.locator(f"select[name={name}] ~ .ts-wrapper")
    box = wrapper.locator(".ts-control input")
    box.focus()
    box.press_sequentially(typed)
    # Waiting for the typed text itself: keystrokes sent while the dropdown of the previous
    # picker was still closing used to be lost, leaving only the empty option to "choose".
    expect(box).to_have_value(typed)
    option = wrapper.locator(
        ".ts-dropdown .option[data-value]:not([data-value=''])", has_text=typed
    )
    option.first.click()
    expect(root.locator(f"select[name={name}] option:checked")).to_contain_text(typed)
