"""A tenant admin invites a person; the invitee follows the link from the mail, sets a password,
turns on two-factor sign-in, signs out and in with a code, and changes language and password."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from playwright.sync_api import expect

from tenancy.models import Membership, User
from tests.browser.layout import PHONE, WIDE, assert_no_sideways_scroll

pytestmark = pytest.mark.browser

INVITEE = "nina.nowak@example.test"
PASSWORD = "Nina-strong-pass-42"
NEW_PASSWORD = "Nina-newer-pass-77"


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _submit(page):
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page)
    page.set_viewport_size(WIDE)


def _wait_for_mail(count: int) -> None:
    deadline = time.monotonic() + 10
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail.outbox) >= count


def test_invitation_to_two_factor_sign_in(demo, sign_in, page, live_server):
    # The tenant admin invites a person with a role.
    sign_in("admin@acme.test")
    page.goto(f"{live_server.url}/settings/users/invite/")
    page.fill("input[name=email]", INVITEE)
    page.select_option("select[name=role]", "technician")
    _submit(page)
    expect(page.get_by_test_id("pending-invitations")).to_contain_text(INVITEE)
    assert not Membership.objects.filter(user__email=INVITEE).exists()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()

    # The invitee opens the link from the mail and sets their own name and password.
    _wait_for_mail(1)
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    _fits_a_phone(page)
    page.fill("input[name=first_name]", "Nina")
    page.fill("input[name=last_name]", "Nowak")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    _submit(page)
    expect(page.get_by_test_id("home-technician")).to_be_visible()
    assert Membership.objects.get(user__email=INVITEE).role == "technician"

    # Two-factor sign-in from "My account": the password again, then the QR code and its key.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("my-account").click()
    page.get_by_test_id("two-factor").click()
    page.goto(f"{live_server.url}/account/2fa/totp/activate/")
    if "/account/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        _submit(page)
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", _totp_code(secret))
    _submit(page)
    assert User.objects.get(email=INVITEE).authenticator_set.filter(type="totp").exists()
    _fits_a_phone(page)

    # Signing in now needs the code after the password.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()
    sign_in(INVITEE, PASSWORD)
    expect(page).to_have_url(re.compile("/account/2fa/authenticate/"))
    page.fill("input[name=code]", _totp_code(secret))
    _submit(page)
    expect(page.get_by_test_id("home-technician")).to_be_visible()

    # Language on "My account".
    page.goto(f"{live_server.url}/account/")
    page.select_option("select[name=language]", "fr")
    page.get_by_test_id("profile-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # Password change: the current one first.
    page.get_by_test_id("change-password").click()
    page.fill("input[name=oldpassword]", PASSWORD)
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    _submit(page)
    page.wait_for_load_state()
    user = User.objects.get(email=INVITEE)
    assert user.check_password(NEW_PASSWORD)
    assert user.language == "fr"
    _fits_a_phone(page)
