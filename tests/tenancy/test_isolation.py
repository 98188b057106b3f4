"""Tenant B's people can neither list, read, change nor delete tenant A's records."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenancy.roles import Role
from tests.factories import AuditEventFactory
from tests.isolation import ISOLATION_CASES

pytestmark = pytest.mark.django_db


def _url_names_with_ids(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names_with_ids(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name and entry.pattern.converters:
            yield f"{namespace}{entry.name}"


def test_every_url_with_an_id_has_an_isolation_case():
    missing = sorted(set(_url_names_with_ids()) - set(ISOLATION_CASES))
    assert missing == [], f"add these to tests/isolation.py: {missing}"


@pytest.fixture
def intruder(tenant_b, make_member):
    """Tenant B's admin: the most powerful role, so a 404 is isolation, not a missing right."""
    return make_member(tenant_b, Role.TENANT_ADMIN)


@pytest.mark.parametrize("url_name", sorted(ISOLATION_CASES))
def test_other_tenants_record_is_not_found(url_name, tenant_a, intruder, client):
    kwargs = ISOLATION_CASES[url_name](tenant_a)
    url = reverse(url_name, kwargs=kwargs)
    client.force_login(intruder)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_member_and_activity_lists_show_only_own_tenant(
    tenant_a, tenant_b, admin_a, intruder, client
):
    AuditEventFactory(tenant=tenant_a, summary="alpha secret event")
    AuditEventFactory(tenant=tenant_b, summary="beta own event")
    client.force_login(intruder)
    members = client.get(reverse("accounts:members")).content.decode()
    assert admin_a.email not in members and intruder.email in members
    activity = client.get(reverse("accounts:audit")).content.decode()
    assert "alpha secret event" not in activity and "beta own event" in activity
    csv = client.get(reverse("accounts:audit") + "?format=csv").content.decode()
    assert "alpha secret event" not in csv and "beta own event" in csv
