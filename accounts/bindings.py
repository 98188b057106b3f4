"""Roles bound to a record of a higher app: the registry through which that app adds to the
invitation (accounts is below it and never names it).

A customer contact, for instance, works for exactly one customer: when the tenant admin invites
someone with that role, the invitation form shows the app's extra fields (the customer), the app
checks them and says what to keep on the invitation (plain JSON), and when the person accepts the
app binds the new member to the record. The members page asks the app for what each member is
bound to, as one annotation of the member query (a constant number of queries)::

    register_role_binding(
        RoleBinding(
            role=Role.CUSTOMER_CONTACT,
            form_fields=_fields,        # (tenant) -> {"customer": forms.Field, ...}
            clean=_clean,               # (*, tenant, data) -> params; ValidationError({field: …})
            accept=_accept,             # (*, tenant, user, params) -> None, in the same transaction
            describe=_describe,         # (*, params) -> "C-000001 · Hotel Wawel", no query
            annotate_members=_annotate, # (memberships) -> memberships with "bound_to"
        )
    )

A bound role is never given on the member page (the binding is made only by an invitation), and
a bound member's role is not changed there.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class RoleBinding:
    role: str
    form_fields: Callable[..., dict]
    clean: Callable[..., dict]
    accept: Callable[..., None]
    describe: Callable[..., str]
    annotate_members: Callable[[QuerySet], QuerySet]


_bindings: dict[str, RoleBinding] = {}


def register_role_binding(binding: RoleBinding) -> None:
    _bindings[str(binding.role)] = binding


def role_binding(role: str) -> RoleBinding | None:
    return _bindings.get(str(role))


def role_bindings() -> list[RoleBinding]:
    return list(_bindings.values())


def bound_roles() -> set[str]:
    return set(_bindings)


def annotate_members(qs: QuerySet) -> QuerySet:
    """The members with ``bound_to_<role>`` for each bound role (empty for everyone else)."""
    for binding in _bindings.values():
        qs = binding.annotate_members(qs)
    return qs


def bound_to(membership) -> str:
    """What an annotated membership (``annotate_members``) is bound to, or ""."""
    return getattr(membership, f"bound_to_{membership.role}", None) or ""
