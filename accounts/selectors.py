"""Reads for accounts. The tenant is always explicit."""

from django.db.models import QuerySet

from tenancy.models import Tenant

from .models import Invitation


def invitation_open_list(*, tenant: Tenant) -> QuerySet:
    """Invitations not yet answered or revoked (pending or expired), newest first."""
    return (
        Invitation.objects.for_tenant(tenant)
        .filter(accepted_at__isnull=True, declined_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at", "-id")
    )


def invitation_get(*, tenant: Tenant, pk: int) -> Invitation:
    return Invitation.objects.for_tenant(tenant).get(pk=pk)


def invitation_pending_count(*, tenant: Tenant, now) -> int:
    """Invitations still waiting for an answer whose link has not expired (home page tile)."""
    return invitation_open_list(tenant=tenant).filter(expires_at__gt=now).count()
