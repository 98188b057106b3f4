"""Writes for the tenant's invoicing settings (a section of the tenant settings page)."""

from django.db import transaction

from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot

from ..models import InvoicingSettings

SETTINGS_FIELDS = (
    "legal_name",
    "address",
    "tax_id",
    "bank_account",
    "payment_terms_days",
    "default_tax_rate",
    "posting_requires_signoff",
    "dispatchers_may_post",
)
# Numbers that a form left empty keep their value (they have no "none").
KEEP_WHEN_EMPTY = ("payment_terms_days", "default_tax_rate")


@transaction.atomic
def invoicing_settings_update(*, tenant: Tenant, by: User | None, data: dict) -> InvoicingSettings:
    InvoicingSettings.objects.bulk_create([InvoicingSettings(tenant=tenant)], ignore_conflicts=True)
    found = InvoicingSettings.objects.for_tenant(tenant).select_for_update().get()
    before = audit_snapshot(found, SETTINGS_FIELDS)
    for field in SETTINGS_FIELDS:
        if field in data and not (data[field] is None and field in KEEP_WHEN_EMPTY):
            value = data[field]
            setattr(found, field, value.strip() if isinstance(value, str) else value)
    found.full_clean(exclude=["tenant"])
    found.save()
    changes = audit_changes(before, audit_snapshot(found, SETTINGS_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="invoicing.settings",
            target=found,
            params={"fields": sorted(changes)},
            changes=changes,
        )
    return found
