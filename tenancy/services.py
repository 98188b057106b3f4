"""Writes for tenancy: tenant settings, members and roles, the audit trail."""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .models import AuditEvent, Membership, Tenant, User
from .roles import Role
from .sequences import default_prefix, sequence_info

TENANT_SETTINGS_FIELDS = (
    "name",
    "time_zone",
    "currency",
    "default_language",
    "country",
    "require_two_factor",
)


def audit_record(
    *,
    tenant: Tenant,
    actor: User | None,
    action: str,
    target: Any,
    params: dict | None = None,
    summary: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """Record an event of type ``action`` (registered with ``tenancy.events.register_event``, or
    a generic ``<record>.create/update/delete`` with a ``record`` parameter) with the parameters
    of its sentence, which the log renders in each reader's language. ``summary`` is kept for
    the admin and filled with the sentence in the default language when not given."""
    event = AuditEvent(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        params=params or {},
        changes=changes or {},
    )
    if not summary:
        with translation.override(settings.LANGUAGE_CODE):
            summary = (event.text() if event.params else "") or action
    event.summary = str(summary)[:300]
    event.save()
    return event


def audit_record_many(
    *, tenant: Tenant, actor: User | None, action: str, entries: list[tuple[Any, dict]]
) -> list[AuditEvent]:
    """``audit_record`` for many targets of one action at once (``entries``: (target, params)
    pairs), in one INSERT: a bulk action leaves one event per record it changed."""
    events = []
    with translation.override(settings.LANGUAGE_CODE):
        for target, params in entries:
            event = AuditEvent(
                tenant=tenant,
                actor=actor,
                action=action,
                target_type=target._meta.label_lower,
                target_id=target.pk,
                params=params or {},
                changes={},
            )
            event.summary = str((event.text() if event.params else "") or action)[:300]
            events.append(event)
    return AuditEvent.objects.bulk_create(events)


def audit_value(value: Any) -> Any:
    """A field value as the audit log's JSON keeps it."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return list(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def audit_snapshot(instance, fields: tuple[str, ...]) -> dict:
    """The fields' values (foreign keys as ids) for comparing before and after a change.
    Decimals are taken at the field's places, so 10 typed over 10.00 is no change."""
    snapshot = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        if isinstance(value, Decimal) and getattr(field, "decimal_places", None) is not None:
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        snapshot[name] = audit_value(value)
    return snapshot


def audit_changes(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value differs."""
    return {key: [before[key], after[key]] for key in after if before.get(key) != after[key]}


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, by: User, data: dict) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = audit_snapshot(tenant, TENANT_SETTINGS_FIELDS)
    for field in TENANT_SETTINGS_FIELDS:
        if field in data:
            setattr(tenant, field, data[field])
    tenant.full_clean()
    tenant.save()
    changes = audit_changes(
        before, {field: getattr(tenant, field) for field in TENANT_SETTINGS_FIELDS}
    )
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="settings.update",
            target=tenant,
            params={"fields": sorted(changes)},
            changes=changes,
        )
    return tenant


def _lock_active_admins(tenant: Tenant) -> list[Membership]:
    """Lock every active admin membership of the tenant (in id order, so that two callers
    never deadlock) and return those whose login is active.

    A change that may remove an admin takes these locks before it counts: a concurrent change
    waits for it, then finds the committed state (READ COMMITTED re-checks a locked row that
    changed), so two admins demoting each other at once cannot leave the tenant without one.
    """
    admins = (
        Membership.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, role=Role.TENANT_ADMIN, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    return [membership for membership in admins if membership.user.is_active]


@transaction.atomic
def member_add(*, tenant: Tenant, by: User | None, user: User, role: str) -> Membership:
    """Give an existing login a role in the tenant. Only an accepted invitation calls this
    (accounts.services): nobody is put into a tenant without their consent, and no one but the
    person sets their password. An inactive membership is reactivated with the new role."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    membership = Membership.objects.select_for_update().filter(tenant=tenant, user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError({"email": _("This person is already a member of this tenant.")})
    if membership is not None:
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
    else:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(tenant=tenant, user=user, role=role)
        except IntegrityError as exc:  # a double submit that lost the race
            raise ValidationError(
                {"email": _("This person is already a member of this tenant.")}
            ) from exc
    audit_record(
        tenant=tenant,
        actor=by,
        action="member.add",
        target=membership,
        params={"email": user.email, "role": membership.role},
    )
    return membership


@transaction.atomic
def member_update(*, tenant: Tenant, by: User, membership_id: int, role: str, is_active: bool):
    active_admins = _lock_active_admins(tenant)  # before the membership: one lock order
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(tenant=tenant, pk=membership_id)
    )
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    removes_admin = (
        membership.role == Role.TENANT_ADMIN
        and membership.is_active
        and (role != Role.TENANT_ADMIN or not is_active)
    )
    if removes_admin and membership.user_id == by.pk:
        raise PermissionDenied(_("You cannot remove your own tenant admin rights."))
    if removes_admin and len(active_admins) <= 1:
        raise ValidationError({"role": _("A tenant needs at least one active tenant admin.")})
    before = {"role": membership.role, "is_active": membership.is_active}
    membership.role = role
    membership.is_active = is_active
    membership.save(update_fields=["role", "is_active"])
    changes = audit_changes(before, {"role": role, "is_active": is_active})
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="member.update",
            target=membership,
            params={"email": membership.user.email, "fields": sorted(changes)},
            changes=changes,
        )
    return membership


def sequence_next_numbers(*, tenant: Tenant, key: str, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive numbers of a per-tenant sequence (inside the caller's
    transaction: concurrent callers queue on the row lock)."""
    from .models import NumberSequence

    NumberSequence.objects.get_or_create(
        tenant=tenant, key=key, defaults={"prefix": default_prefix(key)}
    )
    sequence = NumberSequence.objects.select_for_update().get(tenant=tenant, key=key)
    first = sequence.next_value
    sequence.next_value = first + count
    sequence.save(update_fields=["next_value"])
    return [sequence.format(value) for value in range(first, first + count)]


def sequence_next_number(*, tenant: Tenant, key: str) -> str:
    return sequence_next_numbers(tenant=tenant, key=key, count=1)[0]


def sequence_continue_after(*, tenant: Tenant, key: str, numbers: list[str]) -> None:
    """Numbers given from outside (an import keeps a record's legacy number): the sequence
    continues after the highest of them that reads as its own (its prefix, then digits), so it
    never hands out a number already taken. Numbers in another shape cannot collide with it."""
    from .models import NumberSequence

    NumberSequence.objects.get_or_create(
        tenant=tenant, key=key, defaults={"prefix": default_prefix(key)}
    )
    sequence = NumberSequence.objects.select_for_update().get(tenant=tenant, key=key)
    highest = 0
    for number in numbers:
        rest = number[len(sequence.prefix) :] if number.startswith(sequence.prefix) else ""
        if rest.isascii() and rest.isdigit():
            highest = max(highest, int(rest))
    if highest >= sequence.next_value:
        sequence.next_value = highest + 1
        sequence.save(update_fields=["next_value"])


SEQUENCE_PREFIX_PATTERN = r"^[A-Za-z0-9/_.-]*$"


@transaction.atomic
def sequence_update(*, tenant: Tenant, by: User, key: str, prefix: str, padding: int):
    """Change how the next numbers of one sequence look; numbers already given keep theirs."""
    import re

    from .models import NumberSequence

    info = sequence_info(key)
    if info is None:
        raise ValidationError({"key": _("Unknown number sequence.")})
    if not re.match(SEQUENCE_PREFIX_PATTERN, prefix) or len(prefix) > 10:
        raise ValidationError(
            {"prefix": _("Use up to 10 letters, digits and the signs - / _ . only.")}
        )
    if not 1 <= padding <= 12:
        raise ValidationError({"padding": _("Choose between 1 and 12 digits.")})
    NumberSequence.objects.get_or_create(
        tenant=tenant, key=key, defaults={"prefix": default_prefix(key)}
    )
    sequence = NumberSequence.objects.select_for_update().get(tenant=tenant, key=key)
    before = {"prefix": sequence.prefix, "padding": sequence.padding}
    sequence.prefix, sequence.padding = prefix, padding
    sequence.save(update_fields=["prefix", "padding"])
    changes = audit_changes(before, {"prefix": prefix, "padding": padding})
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="settings.numbers",
            target=sequence,
            params={"what": key, "next": sequence.format(sequence.next_value)},
            changes=changes,
        )
    return sequence
