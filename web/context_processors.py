from functools import cache

from django.conf import settings

from .navigation import nav_for, nav_groups
from .notifications import unread_count


def tenancy(request) -> dict:
    items = nav_for(request)
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    # The bell's count: one query, and only on a page that shows the bell.
    # (templates call a callable; cached so a page that shows it twice asks once).
    unread = (
        cache(lambda: unread_count(tenant=tenant, user=user))
        if tenant is not None and user is not None and user.is_authenticated
        else 0
    )
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "nav_items": items,
        "nav_menus": nav_groups(items),
        "language_choices": settings.LANGUAGES,
        "unread_notifications": unread,
    }
