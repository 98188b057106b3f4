"""What dispatch adds to the lower apps: menu entries and the technician's home page."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from tenancy.roles import Capability, Role
    from web.navigation import NavItem, register_group
    from web.navigation import register as register_nav
    from web.registry import register_role_home

    from .capabilities import DISPATCH, MANAGE_DISPATCH

    # In the service orders' menu: the board is where orders are planned, and a menu entry of
    # its own would not fit the office's menu bar at 1280 px.
    register_group("orders", _("Service orders"))
    register_nav(
        NavItem("dispatch:board", _("Dispatch board"), DISPATCH, 301, "/dispatch/", group="orders"),
        NavItem(
            "dispatch:team_list",
            _("Teams"),
            MANAGE_DISPATCH,
            322,
            "/dispatch/teams/",
            group="orders",
        ),
        NavItem(
            "dispatch:profile_list",
            _("Technicians"),
            MANAGE_DISPATCH,
            323,
            "/dispatch/technicians/",
            group="orders",
        ),
        NavItem(
            "dispatch:absence_list",
            _("Absences"),
            MANAGE_DISPATCH,
            324,
            "/dispatch/absences/",
            group="orders",
        ),
        NavItem("dispatch:my_day", _("My day"), Capability.WORK_ORDERS, 270, "/dispatch/my-day/"),
        NavItem(
            "dispatch:my_week", _("My week"), Capability.WORK_ORDERS, 271, "/dispatch/my-week/"
        ),
    )
    # The technician's home is their day.
    from .technician_views import my_day

    register_role_home(Role.TECHNICIAN, my_day)

    from service_orders.signals import order_stage_changed

    order_stage_changed.connect(_release_cancelled, dispatch_uid="dispatch.release_cancelled")


def _release_cancelled(sender, tenant_id: int, order_id: int, **kwargs) -> None:
    """A cancelled order's visits leave the board (after the cancellation committed)."""
    from tenancy.context import tenant_scope
    from tenancy.models import Tenant

    from . import services

    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        services.order_visits_release(tenant=tenant, order_id=order_id)
