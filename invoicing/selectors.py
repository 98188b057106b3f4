"""Reads of the invoice ledger: every function takes the tenant and filters by it."""

from tenancy.models import Tenant

from .models import InvoicingSettings


def invoicing_settings(*, tenant: Tenant) -> InvoicingSettings:
    """The tenant's invoicing settings (an unsaved row with the defaults while there is none)."""
    found = InvoicingSettings.objects.for_tenant(tenant).first()
    return found if found is not None else InvoicingSettings(tenant=tenant)
