from django.conf import settings

from .navigation import nav_for


def tenancy(request) -> dict:
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "nav_items": nav_for(request),
        "language_choices": settings.LANGUAGES,
    }
