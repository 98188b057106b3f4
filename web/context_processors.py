from django.conf import settings

from .navigation import nav_for, nav_groups


def tenancy(request) -> dict:
    items = nav_for(request)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "nav_items": items,
        "nav_menus": nav_groups(items),
        "language_choices": settings.LANGUAGES,
    }
