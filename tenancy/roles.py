"""Roles and what each may do.

Views ask for a capability, never for a role, so that a later change of who may do what is one
line here. The navigation reads the same table, so a role never sees a button it may not press.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Technician")


class Capability(models.TextChoices):
    MANAGE_USERS = "manage_users", _("Manage users and roles")
    MANAGE_SETTINGS = "manage_settings", _("Manage tenant settings")
    VIEW_AUDIT = "view_audit", _("View the activity log")
    MANAGE_MASTER_DATA = "manage_master_data", _("Manage customers, items and service objects")
    VIEW_MASTER_DATA = "view_master_data", _("View customers, items and service objects")
    MANAGE_AGREEMENTS = "manage_agreements", _("Manage service agreements")
    VIEW_AGREEMENTS = "view_agreements", _("View service agreements")
    GENERATE_ORDERS = "generate_orders", _("Generate service orders from agreements")
    VIEW_ORDERS = "view_orders", _("View service orders")
    DISPATCH = "dispatch", _("Plan and dispatch work")
    WORK_ORDERS = "work_orders", _("Work on assigned orders")


_MANAGER = {
    Capability.MANAGE_MASTER_DATA,
    Capability.VIEW_MASTER_DATA,
    Capability.MANAGE_AGREEMENTS,
    Capability.VIEW_AGREEMENTS,
    Capability.GENERATE_ORDERS,
    Capability.VIEW_ORDERS,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.TENANT_ADMIN: frozenset(
        _MANAGER | {Capability.MANAGE_USERS, Capability.MANAGE_SETTINGS, Capability.VIEW_AUDIT}
    ),
    Role.SERVICE_MANAGER: frozenset(_MANAGER | {Capability.VIEW_AUDIT}),
    Role.DISPATCHER: frozenset(
        {
            Capability.VIEW_MASTER_DATA,
            Capability.VIEW_AGREEMENTS,
            Capability.VIEW_ORDERS,
            Capability.DISPATCH,
        }
    ),
    Role.TECHNICIAN: frozenset({Capability.WORK_ORDERS}),
}


def role_can(role: str | None, capability: str) -> bool:
    return role is not None and capability in ROLE_CAPABILITIES.get(role, frozenset())
