"""Each role reaches the account pages it should, gets 403 elsewhere, and sees only its own menu
entries; who is signed out or has no tenant goes where they can act."""

import pytest
from django.urls import reverse

from tenancy.roles import Role

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
ADMIN = {Role.TENANT_ADMIN}
MANAGERS = {Role.TENANT_ADMIN, Role.SERVICE_MANAGER}

# url name -> roles that may open it (everyone else: 403)
ACCESS = {
    "home": ALL,
    "accounts:members": ADMIN,
    "accounts:invite": ADMIN,
    "accounts:settings": ADMIN,
    "accounts:numbers": ADMIN,
    "accounts:audit": MANAGERS,
}


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("url_name", sorted(ACCESS))
def test_role_access(url_name, role, tenant_a, make_member, client):
    client.force_login(make_member(tenant_a, role))
    response = client.get(reverse(url_name))
    expected = 200 if role in ACCESS[url_name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role", Role.values)
def test_navigation_shows_only_what_the_role_may_open(role, tenant_a, make_member, client):
    client.force_login(make_member(tenant_a, role))
    page = client.get(reverse("home")).content.decode()
    for url_name in ("accounts:members", "accounts:settings", "accounts:audit"):
        link = f'href="{reverse(url_name)}"'
        assert (link in page) == (role in ACCESS[url_name]), url_name


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("accounts:members"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_membership_sees_the_no_tenant_page(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("home"), follow=True)
    assert "not a member of any active tenant" in response.content.decode()


def test_deactivated_member_loses_access(tenant_a, make_member, client):
    from tenancy.models import Membership

    user = make_member(tenant_a, Role.SERVICE_MANAGER)
    Membership.objects.filter(user=user).update(is_active=False)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 302
