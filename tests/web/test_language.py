"""The language: the tenant's default, then each person's own choice (set_language)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_tenant_default_language_then_personal_choice(tenant_a, manager_a, client):
    tenant_a.default_language = "pl"
    tenant_a.save()
    client.force_login(manager_a)
    assert client.get(reverse("home")).headers["Content-Language"] == "pl"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    manager_a.refresh_from_db()
    assert manager_a.language == "fr"
    assert client.get(reverse("home")).headers["Content-Language"] == "fr"


def test_unknown_language_is_refused(client, db):
    assert client.post(reverse("set_language"), {"language": "xx"}).status_code == 400


def test_language_switch_does_not_redirect_off_site(client, db):
    response = client.post(
        reverse("set_language"), {"language": "et", "next": "https://evil.test/"}
    )
    assert response.url == "/"
