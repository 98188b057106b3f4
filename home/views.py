"""The role home pages: what needs attention, for each role, from every app's home tiles."""

from django.shortcuts import render

from tenancy import selectors
from tenancy.roles import Role
from web.permissions import tenant_required
from web.registry import home_tiles_for, role_home

HOME_TEMPLATES = {
    Role.TENANT_ADMIN: "home/tenant_admin.html",
    Role.SERVICE_MANAGER: "home/service_manager.html",
    Role.DISPATCHER: "home/dispatcher.html",
    Role.TECHNICIAN: "home/technician.html",
    Role.CUSTOMER_CONTACT: "home/customer_contact.html",
}


def _tiles(request) -> list[dict]:
    tiles = []
    for tile in home_tiles_for(request.membership.role):
        context = tile.context(request)
        if context is not None:
            tiles.append({"tile": tile, "context": context})
    return tiles


@tenant_required
def home(request):
    role = request.membership.role
    if view := role_home(role):
        return view(request)  # an app's page is this role's home (the technician's day)
    context = {"local_now": request.tenant.now(), "tiles": _tiles(request)}
    if role == Role.TENANT_ADMIN:
        context["role_counts"] = selectors.membership_role_counts(tenant=request.tenant)
        context["role_labels"] = dict(Role.choices)
    if role in (Role.TENANT_ADMIN, Role.SERVICE_MANAGER):
        context["recent_events"] = selectors.audit_event_list(tenant=request.tenant)[:8]
    return render(request, HOME_TEMPLATES[role], context)
