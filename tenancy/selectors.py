"""Reads for tenancy. Every function that returns tenant data takes the tenant explicitly."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .models import AuditEvent, Membership, Tenant, User
from .precompiled import precompiled


def membership_list_for_user(*, user: User) -> list[Membership]:
    """The tenants a user may enter (active membership in an active tenant). Read on every
    request (TenantMiddleware): its statement is built once (tenancy.precompiled)."""
    return _active_memberships(user_id=user.pk)


@precompiled("user_id")
def _active_memberships(*, user_id: int) -> QuerySet:
    return (
        Membership.objects.filter(user_id=user_id, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def membership_list(
    *, tenant: Tenant, search: str = "", role: str = "", status: str = ""
) -> QuerySet:
    qs = Membership.objects.filter(tenant=tenant).select_related("user")
    if search:
        qs = qs.filter(
            Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    if role:
        qs = qs.filter(role=role)
    if status:
        qs = qs.filter(is_active=status == "active")
    return qs.order_by("user__email")


def member_users_with(*, tenant: Tenant, capability: str) -> QuerySet:
    """Active logins whose active membership in ``tenant`` has a role with ``capability``
    (e.g. the technicians an order or agreement line may name)."""
    from .roles import roles_with

    member = Membership.objects.filter(
        tenant=tenant, user=OuterRef("pk"), role__in=roles_with(capability), is_active=True
    )
    return User.objects.filter(Exists(member), is_active=True).order_by(
        "first_name", "last_name", "email"
    )


def membership_get(*, tenant: Tenant, pk: int) -> Membership:
    """One membership of this tenant; Membership.DoesNotExist for another tenant's, like a
    missing one."""
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, pk=pk)


def audit_event_list(*, tenant: Tenant) -> QuerySet:
    return AuditEvent.objects.for_tenant(tenant).select_related("actor")


def membership_role_counts(*, tenant: Tenant) -> QuerySet:
    """Active members per role: rows of {"role": ..., "n": ...}."""
    return (
        Membership.objects.filter(tenant=tenant, is_active=True)
        .values("role")
        .annotate(n=Count("id"))
        .order_by("role")
    )


def number_sequence_rows(*, tenant: Tenant) -> list[dict]:
    """Every document sequence of the tenant with its next number (defaults where none was
    used yet)."""
    from .models import NumberSequence
    from .sequences import registered_sequences

    existing = {s.key: s for s in NumberSequence.objects.for_tenant(tenant)}
    rows = []
    for info in registered_sequences():
        key, label = info.key, info.label
        sequence = existing.get(key) or NumberSequence(
            tenant=tenant, key=key, prefix=info.default_prefix
        )
        rows.append(
            {
                "key": key,
                "label": label,
                "prefix": sequence.prefix,
                "padding": sequence.padding,
                "next": sequence.format(sequence.next_value),
            }
        )
    return rows
