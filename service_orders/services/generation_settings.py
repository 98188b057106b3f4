"""Writes for the tenant's order-generation settings (a section of the tenant settings page)."""

from django.db import transaction

from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot

from ..models import OrderGenerationSettings

SETTINGS_FIELDS = ("horizon_days", "agreement_required", "group_sla_on_generated")


@transaction.atomic
def order_generation_settings_update(
    *, tenant: Tenant, by: User, data: dict
) -> OrderGenerationSettings:
    """Save the tenant's settings (creating its row on the first save), audited."""
    OrderGenerationSettings.objects.get_or_create(tenant=tenant)
    found = OrderGenerationSettings.objects.for_tenant(tenant).select_for_update().get()
    before = audit_snapshot(found, SETTINGS_FIELDS)
    for field in SETTINGS_FIELDS:
        if field in data:
            setattr(found, field, data[field])
    found.full_clean(exclude=["tenant"])
    found.save()
    changes = audit_changes(before, audit_snapshot(found, SETTINGS_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="service_orders.settings",
            target=found,
            params={"fields": sorted(changes)},
            changes=changes,
        )
    return found
