"""What subscriptions add to the pages of the apps below them (see web.registry)."""

from web.permissions import request_can
from web.registry import Panel, register_panel

from . import selectors
from .capabilities import MANAGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS

# The customer page shows this many subscriptions, newest first; the link leads to all of them.
PANEL_LIMIT = 20


def _customer_subscriptions(request, customer) -> dict:
    rows = list(
        selectors.customer_subscriptions(tenant=request.tenant, customer=customer)[
            : PANEL_LIMIT + 1
        ]
    )
    return {
        "customer": customer,
        "subscriptions": rows[:PANEL_LIMIT],
        "more": len(rows) > PANEL_LIMIT,
        "can_manage": request_can(request, MANAGE_SUBSCRIPTIONS),
    }


def register_all() -> None:
    register_panel(
        Panel(
            "customer",
            "subscriptions",
            "subscriptions/panels/customer_subscriptions.html",
            _customer_subscriptions,
            VIEW_SUBSCRIPTIONS,
            order=120,
        )
    )
