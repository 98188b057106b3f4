"""What accounts adds to other pages (see web.registry): the tenant admin's home tile."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenancy.roles import Role
from web.registry import HomeTile, register_home_tile

from . import selectors


def _pending_invitations_tile(request) -> dict:
    count = selectors.invitation_pending_count(tenant=request.tenant, now=timezone.now())
    return {"count": count, "url": reverse("accounts:members") + "#invitations"}


def register_all() -> None:
    register_home_tile(
        HomeTile(
            "pending_invitations",
            gettext_lazy("Invitations waiting for an answer"),
            frozenset({Role.TENANT_ADMIN}),
            "web/_count_tile.html",
            _pending_invitations_tile,
            order=50,
        )
    )
