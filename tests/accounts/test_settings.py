"""Tenant admins change the tenant's settings and how its document numbers look; bad input
saves nothing."""

import pytest
from django.urls import reverse

from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_settings_are_saved_and_audited(admin_a, tenant_a, client):
    client.force_login(admin_a)
    data = {
        "name": "Alpha Renamed",
        "time_zone": "Europe/Tallinn",
        "currency": "EUR",
        "default_language": "et",
        "country": "EE",
        "order_generation_horizon_days": 45,
    }
    assert client.post(reverse("accounts:settings"), data).status_code == 302
    tenant_a.refresh_from_db()
    assert (tenant_a.name, tenant_a.time_zone, tenant_a.currency) == (
        "Alpha Renamed",
        "Europe/Tallinn",
        "EUR",
    )
    event = AuditEvent.objects.get(tenant=tenant_a, action="settings.update")
    assert event.changes["time_zone"] == ["Europe/Warsaw", "Europe/Tallinn"]
    assert event.actor == admin_a


def test_invalid_time_zone_is_refused(admin_a, tenant_a, client):
    client.force_login(admin_a)
    data = {
        "name": "X",
        "time_zone": "Mars/Olympus",
        "currency": "EUR",
        "default_language": "en",
        "country": "EE",
        "order_generation_horizon_days": 45,
    }
    response = client.post(reverse("accounts:settings"), data)
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Services"


def _numbers_payload(rows: dict[str, tuple[str, int]]) -> dict:
    payload = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows)}
    for index, (key, (prefix, padding)) in enumerate(rows.items()):
        payload |= {
            f"form-{index}-key": key,
            f"form-{index}-prefix": prefix,
            f"form-{index}-padding": padding,
        }
    return payload


DEFAULT_NUMBERING = {
    "customer": ("C-", 6),
    "item": ("I-", 6),
    "service_object": ("OBJ-", 6),
    "agreement": ("AG-", 6),
    "service_order": ("SO-", 6),
}


def test_admin_changes_how_order_numbers_look(admin_a, tenant_a, client):
    from tenancy.services import sequence_next_number

    client.force_login(admin_a)
    page = client.get(reverse("accounts:numbers")).content.decode()
    assert "SO-000001" in page  # the next number, before any order exists
    rows = {**DEFAULT_NUMBERING, "service_order": ("ZS/2026/", 4)}
    assert client.post(reverse("accounts:numbers"), _numbers_payload(rows)).status_code == 302
    assert sequence_next_number(tenant=tenant_a, key="service_order") == "ZS/2026/0001"
    event = AuditEvent.objects.get(tenant=tenant_a, action="settings.numbers")
    assert event.changes == {"prefix": ["SO-", "ZS/2026/"], "padding": [6, 4]}


def test_a_bad_prefix_is_refused_beside_the_field(admin_a, tenant_a, client):
    from tenancy.models import NumberSequence

    client.force_login(admin_a)
    rows = {**DEFAULT_NUMBERING, "agreement": ("AG #", 0)}
    response = client.post(reverse("accounts:numbers"), _numbers_payload(rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert "letters, digits" in html and "greater than or equal to 1" in html
    assert not NumberSequence.objects.filter(tenant=tenant_a).exists()
