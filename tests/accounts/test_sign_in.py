"""Signing in and out through allauth: rate limits per account and per client address (behind N
trusted proxies), Django admin through the same sign-in, the tenant a person returns to."""

import pytest
from django.conf import settings
from django.urls import reverse

from tenancy.models import PlatformAccess
from tenancy.roles import Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PER_ACCOUNT = settings.FIELDLINE_SIGN_IN_FAILURES_PER_ACCOUNT
PER_ADDRESS = settings.FIELDLINE_SIGN_IN_FAILURES_PER_ADDRESS


def _sign_in(client, email, password, **headers):
    return client.post(reverse("login"), {"login": email, "password": password}, **headers)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_in_and_out(manager_a, client):
    response = _sign_in(client, manager_a.email, PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_sign_in_page_offers_forgot_password_and_no_sign_up(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("account_reset_password") in page
    assert 'name="login"' in page and 'name="password"' in page
    assert client.get(reverse("account_signup")).url == reverse("login")


def test_email_is_case_insensitive(manager_a, client):
    assert _sign_in(client, manager_a.email.upper(), PASSWORD).status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_error(manager_a, client):
    wrong_password = _sign_in(client, manager_a.email, "nope")
    unknown_user = _sign_in(client, "nobody@example.test", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert (
        wrong_password.context["form"].non_field_errors()
        == unknown_user.context["form"].non_field_errors()
    )
    assert not _signed_in(client)


def test_too_many_failures_for_one_account_refuse_even_the_right_password(manager_a, client):
    for n in range(PER_ACCOUNT):
        # From different addresses: the per-account limit holds whatever the address.
        _sign_in(client, manager_a.email, "nope", REMOTE_ADDR=f"192.0.2.{n + 1}")
    response = _sign_in(client, manager_a.email, PASSWORD, REMOTE_ADDR="192.0.2.200")
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not _signed_in(client)


def test_failures_for_one_account_do_not_lock_out_another(manager_a, dispatcher_a, client):
    for _ in range(PER_ACCOUNT):
        _sign_in(client, manager_a.email, "nope")
    assert _sign_in(client, dispatcher_a.email, PASSWORD).status_code == 302


def _fail_from(client, client_address: str, proxies: list[str], count: int) -> None:
    """``count`` failed sign-ins (each for another address, so only the per-address limit
    applies) by a client behind ``proxies`` (the last one is what Django sees)."""
    forwarded = ", ".join([client_address, *proxies[:-1]])
    for n in range(count):
        _sign_in(
            client,
            f"guess{n}@example.test",
            "nope",
            REMOTE_ADDR=proxies[-1],
            HTTP_X_FORWARDED_FOR=forwarded,
        )


@pytest.mark.parametrize("proxy_count", [1, 2])
def test_the_per_address_limit_counts_the_client_behind_trusted_proxies(
    proxy_count, manager_a, dispatcher_a, client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxy_count
    proxies = ["10.0.0.2", "10.0.0.1"][-proxy_count:]
    _fail_from(client, "203.0.113.7", proxies, PER_ADDRESS)
    forwarded = ", ".join(["203.0.113.7", *proxies[:-1]])
    # That client is refused, even with a right password...
    refused = _sign_in(
        client,
        manager_a.email,
        PASSWORD,
        REMOTE_ADDR=proxies[-1],
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert "Too many failed login attempts" in refused.content.decode()
    assert not _signed_in(client)
    # ...while another client behind the same proxies is not.
    other = ", ".join(["198.51.100.9", *proxies[:-1]])
    allowed = _sign_in(
        client, dispatcher_a.email, PASSWORD, REMOTE_ADDR=proxies[-1], HTTP_X_FORWARDED_FOR=other
    )
    assert allowed.status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_limit_without_trusted_proxies(
    manager_a, client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for n in range(PER_ADDRESS):
        _sign_in(
            client,
            f"guess{n}@example.test",
            "nope",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}",
        )
    refused = _sign_in(
        client,
        manager_a.email,
        PASSWORD,
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.250",
    )
    assert "Too many failed login attempts" in refused.content.decode()


@pytest.fixture
def root(db):
    return UserFactory(email="root@example.test", is_staff=True, is_superuser=True)


def test_admin_login_is_the_sites_sign_in(root, client):
    response = client.get("/admin/login/?next=/admin/tenancy/tenant/")
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/admin/tenancy/tenant/"
    # Django's own admin form is gone: credentials posted to it are never looked at.
    posted = client.post(
        "/admin/login/", {"username": root.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert posted.status_code == 302 and posted.url.startswith(reverse("login"))
    assert not _signed_in(client)
    # Signing in on the site's page leads back into the admin.
    signed_in = client.post(
        f"{reverse('login')}?next=/admin/", {"login": root.email, "password": PASSWORD}
    )
    assert signed_in.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_admin_login_attempt_past_the_limit_is_refused(root, client):
    for _ in range(PER_ACCOUNT):
        client.post(f"{reverse('login')}?next=/admin/", {"login": root.email, "password": "x"})
    refused = client.post(
        f"{reverse('login')}?next=/admin/", {"login": root.email, "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()
    assert not _signed_in(client)
    assert client.get("/admin/").status_code == 302
    assert not PlatformAccess.objects.exists()


def test_a_signed_in_non_platform_admin_gets_403_on_admin_login(admin_a, client):
    client.force_login(admin_a)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_multi_tenant_user_switches_tenant(tenant_a, tenant_b, make_member, client):
    user = make_member(tenant_a, Role.DISPATCHER)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.DISPATCHER)
    client.force_login(user)
    first = client.get(reverse("home"))
    assert first.context["current_tenant"] == tenant_a
    response = client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["current_tenant"] == tenant_b


def test_a_person_returns_to_the_tenant_they_used_last(tenant_a, tenant_b, make_member, client):
    user = make_member(tenant_a, Role.DISPATCHER)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.DISPATCHER)
    client.force_login(user)
    client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk})
    client.post(reverse("logout"))
    assert _sign_in(client, user.email, PASSWORD).status_code == 302
    assert client.get(reverse("home")).context["current_tenant"] == tenant_b
    user.refresh_from_db()
    assert user.last_tenant == tenant_b


def test_a_tenant_renaming_itself_first_does_not_pull_anyone_in(
    tenant_a, tenant_b, make_member, client
):
    """Issue 7, point 2: the first tenant by name is never chosen for anyone."""
    user = make_member(tenant_a, Role.DISPATCHER)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.DISPATCHER)
    tenant_b.name = "AAA " + tenant_a.name
    tenant_b.save()
    assert _sign_in(client, user.email, PASSWORD).status_code == 302
    assert client.get(reverse("home")).context["current_tenant"] == tenant_a


def test_the_switcher_shows_name_and_code(tenant_a, tenant_b, make_member, client):
    user = make_member(tenant_a, Role.DISPATCHER)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.DISPATCHER)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert f"{tenant_a.name} ({tenant_a.code})" in page
    assert f"{tenant_b.name} ({tenant_b.code})" in page


def test_switching_to_a_tenant_one_is_not_member_of_is_404(tenant_a, tenant_b, manager_a, client):
    client.force_login(manager_a)
    assert client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk}).status_code == 404
    assert client.get(reverse("home")).context["current_tenant"] == tenant_a
