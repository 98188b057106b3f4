"""Using a searchable picker (web.pickers, Tom Select) as a user does: focus it, type part of
the text, wait for the match (and the server's answer), press Enter."""

import re

from playwright.sync_api import expect


def pick(page, name: str, typed: str, *, within=None) -> None:
    root = within if within is not None else page
    wrapper = root.locator(f"select[name={name}] ~ .ts-wrapper")
    wrapper.locator(".ts-control input").focus()
    page.keyboard.type(typed)
    expect(wrapper).not_to_have_class(re.compile(r"\bloading\b"))
    expect(wrapper.locator(".ts-dropdown .option.active").first).to_contain_text(typed)
    page.keyboard.press("Enter")
    expect(root.locator(f"select[name={name}] option:checked")).to_contain_text(typed)
