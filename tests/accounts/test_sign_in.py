"""Signing in and out, throttling, switching tenant."""

import pytest
from django.conf import settings
from django.urls import reverse

from tenancy.models import LoginFailure
from tenancy.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_sign_in_and_out(manager_a, client):
    response = _sign_in(client, manager_a.email, PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_email_is_case_insensitive(manager_a, client):
    assert _sign_in(client, manager_a.email.upper(), PASSWORD).status_code == 302


def test_wrong_password_gets_a_generic_error(manager_a, client):
    wrong_password = _sign_in(client, manager_a.email, "nope").content.decode()
    unknown_user = _sign_in(client, "nobody@example.test", "nope").content.decode()
    assert "Please enter a correct" in wrong_password
    assert "Please enter a correct" in unknown_user
    assert LoginFailure.objects.filter(email=manager_a.email).count() == 1


def test_repeated_failures_are_throttled_even_with_the_right_password(manager_a, client):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(client, manager_a.email, "nope")
    response = _sign_in(client, manager_a.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_multi_tenant_user_switches_tenant(tenant_a, tenant_b, make_member, client):
    user = make_member(tenant_a, Role.DISPATCHER)
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=user, role=Role.DISPATCHER)
    client.force_login(user)
    first = client.get(reverse("home"))
    assert first.context["current_tenant"] == tenant_a
    response = client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["current_tenant"] == tenant_b


def test_switching_to_a_tenant_one_is_not_member_of_is_404(tenant_a, tenant_b, manager_a, client):
    client.force_login(manager_a)
    assert client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk}).status_code == 404
    assert client.get(reverse("home")).context["current_tenant"] == tenant_a
