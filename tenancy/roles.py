"""Roles, and the capabilities each role has.

Views ask for a capability, never for a role, so that a later change of who may do what is one
line where the capability is declared. Tenancy declares its own (users, settings, activity); each
business app declares the capabilities it adds in its ``capabilities`` module with
``capability(...)``, naming the roles that get it. The navigation reads the same registry, so a
role never sees a button it may not press.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Technician")
    # Someone at a customer: bound to exactly one customer (customers.ContactLogin), with none
    # of the office's capabilities; submits service requests and follows that customer's orders.
    CUSTOMER_CONTACT = "customer_contact", _("Customer contact")


# Who does the office work of a service company: the manager, and the tenant admin above them.
OFFICE = (Role.TENANT_ADMIN, Role.SERVICE_MANAGER)


@dataclass(frozen=True)
class CapabilityInfo:
    code: str
    label: str | Promise
    roles: frozenset[str]


_capabilities: dict[str, CapabilityInfo] = {}


def capability(code: str, label: str | Promise, *roles: str) -> str:
    """Declare a capability and the roles that have it; returns its code for views to ask for.
    Declaring the same code twice with other roles is a programming error."""
    info = CapabilityInfo(code, label, frozenset(str(role) for role in roles))
    existing = _capabilities.get(code)
    if existing is not None and existing.roles != info.roles:
        raise ValueError(f"Capability {code!r} is declared twice with different roles.")
    _capabilities[code] = info
    return code


def capabilities() -> list[CapabilityInfo]:
    return list(_capabilities.values())


def role_can(role: str | None, code: str) -> bool:
    info = _capabilities.get(code)
    return role is not None and info is not None and role in info.roles


def roles_with(code: str) -> list[str]:
    """The roles that have a capability, in the order of Role."""
    info = _capabilities.get(code)
    return [role for role in Role.values if info is not None and role in info.roles]


class Capability:
    """Tenancy's own capabilities."""

    MANAGE_USERS = capability("manage_users", _("Manage users and roles"), Role.TENANT_ADMIN)
    MANAGE_SETTINGS = capability("manage_settings", _("Manage tenant settings"), Role.TENANT_ADMIN)
    VIEW_AUDIT = capability("view_audit", _("View the activity log"), *OFFICE)
    # Who the field staff are: other apps list technicians by this capability.
    WORK_ORDERS = capability("work_orders", _("Work on assigned orders"), Role.TECHNICIAN)
