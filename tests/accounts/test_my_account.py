"""Everyone's own account: name and language, password change (current password required),
"forgot password", two-factor sign-in with TOTP and recovery codes, other sessions; tenants
that require two-factor sign-in."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from tenancy.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-New-strong-pass-77"


def _sign_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"login": email, "password": password})


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _reauthenticate(client, password=PASSWORD) -> None:
    """Two-factor changes ask for the password again (allauth's reauthentication)."""
    asked = client.get(reverse("mfa_activate_totp"))
    if asked.status_code == 302 and asked.url.startswith(reverse("account_reauthenticate")):
        response = client.post(reverse("account_reauthenticate"), {"password": password})
        assert response.status_code == 302


def _activate_totp(client) -> str:
    """Through allauth's page: the secret shown beside the QR code, then a code from it."""
    _reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code
    secret = page.context["form"].secret
    assert secret in html  # the key to type in by hand
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    return secret


@pytest.mark.parametrize("role", Role.values)
def test_everyone_has_a_my_account_page(role, tenant_a, make_member, client):
    client.force_login(make_member(tenant_a, role))
    page = client.get(reverse("my_account"))
    assert page.status_code == 200
    html = page.content.decode()
    for url_name in ("account_change_password", "mfa_index", "usersessions_list"):
        assert reverse(url_name) in html
    assert reverse("my_account") in client.get(reverse("home")).content.decode()


def test_the_pages_reached_from_my_account_lead_back_to_it(manager_a, client):
    client.force_login(manager_a)
    for url_name in ("account_change_password", "mfa_index", "usersessions_list"):
        html = client.get(reverse(url_name)).content.decode()
        back = html.split('data-testid="back-to-account"')[0].rsplit("<a ", 1)[1]
        assert f'href="{reverse("my_account")}"' in back, url_name


def test_name_and_language_are_saved(manager_a, client):
    client.force_login(manager_a)
    response = client.post(
        reverse("my_account"), {"first_name": "Ana", "last_name": "Lima", "language": "pt-br"}
    )
    assert response.status_code == 302
    manager_a.refresh_from_db()
    assert (manager_a.first_name, manager_a.last_name, manager_a.language) == (
        "Ana",
        "Lima",
        "pt-br",
    )
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "pt-br"
    assert client.get(reverse("my_account")).headers["Content-Language"] == "pt-br"


def test_no_language_of_ones_own_says_it_is_the_tenants(manager_a, tenant_a, client):
    client.force_login(manager_a)
    with translation.override("en"):
        expected = f"Same as {tenant_a.name} ({tenant_a.get_default_language_display()})"
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("my_account")).content.decode()
    select = html.split('id="id_language"')[1].split("</select>")[0]
    assert f'<option value="" selected>{escape(expected)}</option>' in select
    assert "Select an option" not in select
    # Choosing it again clears one's own language: the tenant's applies.
    manager_a.language = "ru"
    manager_a.save(update_fields=["language"])
    client.post(reverse("my_account"), {"first_name": "Ana", "language": ""})
    manager_a.refresh_from_db()
    assert manager_a.language == ""


def test_an_unknown_language_is_refused_beside_the_field(manager_a, client):
    client.force_login(manager_a)
    response = client.post(reverse("my_account"), {"first_name": "X", "language": "xx"})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert 'data-field="language"' in response.content.decode()
    manager_a.refresh_from_db()
    assert manager_a.first_name != "X"


def test_password_change_needs_the_current_password(manager_a, client):
    client.force_login(manager_a)
    data = {"oldpassword": "wrong-one", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    response = client.post(reverse("account_change_password"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["oldpassword"]
    manager_a.refresh_from_db()
    assert manager_a.check_password(PASSWORD)

    data["oldpassword"] = PASSWORD
    assert client.post(reverse("account_change_password"), data).status_code == 302
    manager_a.refresh_from_db()
    assert manager_a.check_password(NEW_PASSWORD)


def test_forgot_password_answers_the_same_whether_or_not_the_address_exists(manager_a, client):
    url = reverse("account_reset_password")
    known = client.post(url, {"email": manager_a.email})
    unknown = client.post(url, {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    # Only the real address gets a link (allauth's enumeration prevention sends nothing
    # with a link to an unknown address).
    links = [m for m in mail.outbox if "/password/reset/key/" in m.body]
    assert [m.to for m in links] == [[manager_a.email]]
    link = re.search(r"https?://\S+/password/reset/key/\S+/", links[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    manager_a.refresh_from_db()
    assert manager_a.check_password(NEW_PASSWORD)


def test_totp_activation_sign_in_with_code_and_reuse_refused(manager_a, client):
    assert _sign_in(client, manager_a.email).status_code == 302
    secret = _activate_totp(client)
    assert Authenticator.objects.filter(user=manager_a, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it.
    codes_page = client.get(reverse("mfa_view_recovery_codes"))
    assert codes_page.status_code == 200
    assert Authenticator.objects.filter(
        user=manager_a, type=Authenticator.Type.RECOVERY_CODES
    ).exists()

    client.post(reverse("logout"))
    # The password alone is no longer enough: the code is asked for.
    first = _sign_in(client, manager_a.email)
    assert first.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    code = _totp_code(secret)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("home")).status_code == 200

    # The same code a second time (a replay) is refused.
    client.post(reverse("logout"))
    _sign_in(client, manager_a.email)
    replay = client.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == 200
    assert replay.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session


def test_totp_can_be_deactivated(manager_a, client):
    _sign_in(client, manager_a.email)
    _activate_totp(client)
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=manager_a, type=Authenticator.Type.TOTP).exists()


def test_other_sessions_are_listed_and_ended(manager_a, client):
    other = Client()
    assert _sign_in(other, manager_a.email).status_code == 302
    assert _sign_in(client, manager_a.email).status_code == 302
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200 and page.context["session_count"] == 2
    assert client.post(reverse("usersessions_list")).status_code == 302
    assert UserSession.objects.filter(user=manager_a).count() == 1
    assert other.get(reverse("home")).status_code == 302  # signed out there
    assert client.get(reverse("home")).status_code == 200


def test_a_tenant_can_require_two_factor_sign_in(admin_a, tenant_a, manager_a, client):
    from tenancy.services import tenant_settings_update

    client.force_login(admin_a)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'name="require_two_factor"' in page  # a setting of the tenant admin's
    tenant_settings_update(tenant=tenant_a, by=admin_a, data={"require_two_factor": True})
    tenant_a.refresh_from_db()
    assert tenant_a.require_two_factor

    # A member without an authenticator is sent to set one up before anything else...
    client.post(reverse("logout"))
    _sign_in(client, manager_a.email)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    assert client.get(reverse("my_account")).status_code == 200
    # ...and works normally once it is set up.
    _activate_totp(client)
    assert client.get(reverse("home")).status_code == 200


def test_platform_admins_need_two_factor_where_the_settings_say_so(client, settings, db):
    from tests.factories import UserFactory

    root = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    settings.FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA = True
    _sign_in(client, root.email)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    _activate_totp(client)
    assert client.get("/admin/").status_code == 200


def test_production_settings_require_two_factor_of_platform_admins():
    from pathlib import Path

    prod = (Path(django_settings.BASE_DIR) / "config/settings/prod.py").read_text()
    assert re.search(r"^FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA = True$", prod, re.M)
