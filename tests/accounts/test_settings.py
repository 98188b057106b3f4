"""Tenant admins change the tenant's settings and how its document numbers look; bad input
saves nothing."""

import pytest
from django.urls import reverse

from service_orders.models import OrderGenerationSettings
from service_orders.selectors import order_generation_settings
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


TENANT_FIELDS = {
    "name": "Alpha Renamed",
    "time_zone": "Europe/Tallinn",
    "currency": "EUR",
    "default_language": "et",
    "country": "EE",
}
# Sections other apps register (web.registry) post their fields under their key as prefix.
HORIZON = "service_orders-horizon_days"


def _horizon(tenant) -> int:
    return order_generation_settings(tenant=tenant).horizon_days


def test_the_page_shows_every_registered_section_beside_the_tenants_fields(admin_a, client):
    client.force_login(admin_a)
    html = client.get(reverse("accounts:settings")).content.decode()
    section = html.split('data-testid="settings-section-service_orders"')[1].split("</fieldset>")[0]
    assert f'name="{HORIZON}"' in section and 'value="30"' in section  # the default
    assert 'name="time_zone"' in html


def test_settings_are_saved_and_audited(admin_a, tenant_a, client):
    client.force_login(admin_a)
    data = {**TENANT_FIELDS, HORIZON: 45}
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
    # The service orders section, saved with them and audited by its own app.
    assert _horizon(tenant_a) == 45
    event = AuditEvent.objects.get(tenant=tenant_a, action="service_orders.settings")
    assert (event.changes, event.actor) == ({"horizon_days": [30, 45]}, admin_a)
    # Saving again changes the row, never adds one.
    assert client.post(reverse("accounts:settings"), {**data, HORIZON: 60}).status_code == 302
    assert _horizon(tenant_a) == 60
    assert OrderGenerationSettings.objects.filter(tenant=tenant_a).count() == 1


def test_invalid_time_zone_is_refused(admin_a, tenant_a, client):
    client.force_login(admin_a)
    data = {**TENANT_FIELDS, "name": "X", "time_zone": "Mars/Olympus", HORIZON: 45}
    response = client.post(reverse("accounts:settings"), data)
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Services"
    assert _horizon(tenant_a) == 30  # nothing saved: one form, one transaction


@pytest.mark.parametrize(("horizon", "message"), [(0, "greater than or equal to 1"), (367, "366")])
def test_a_bad_section_value_is_refused_beside_its_field_and_saves_nothing(
    admin_a, tenant_a, client, horizon, message
):
    client.force_login(admin_a)
    response = client.post(reverse("accounts:settings"), {**TENANT_FIELDS, HORIZON: horizon})
    assert response.status_code == 200
    section = response.context["sections"][0]
    assert section["key"] == "service_orders"
    assert message in " ".join(section["form"].errors["horizon_days"])
    html = response.content.decode()
    fieldset = html.split('data-testid="settings-section-service_orders"')[1]
    assert message in fieldset.split("</fieldset>")[0]  # beside the field
    tenant_a.refresh_from_db()
    assert (tenant_a.name, _horizon(tenant_a)) == ("Alpha Services", 30)
    assert not AuditEvent.objects.filter(tenant=tenant_a).exists()


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
    "subscription": ("SUB-", 6),
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
