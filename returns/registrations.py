"""What returns adds to the pages of the apps below it (see web.registry)."""

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from tenancy.roles import OFFICE, Role
from web.registry import HomeTile, Panel, register_home_tile, register_panel, register_usage_check

from . import selectors
from .capabilities import MANAGE_RETURNS, VIEW_RETURNS
from .models import ReturnOrder


def _customer_returns(request, customer) -> dict:
    from web.permissions import request_can

    return {
        "customer": customer,
        "returns": selectors.customer_returns(tenant=request.tenant, customer=customer),
        "can_manage": request_can(request, MANAGE_RETURNS),
    }


def _invoice_returns(request, invoice) -> dict | None:
    if invoice.is_credit_note:
        return None
    rows = selectors.invoice_returns(tenant=request.tenant, invoice=invoice)
    if not rows:
        return None
    return {"invoice": invoice, "returns": rows}


def _customer_in_use(tenant, customer) -> str | None:
    if ReturnOrder.objects.for_tenant(tenant).filter(customer=customer).exists():
        return gettext("The customer has returns.")
    return None


def _open_returns_tile(request) -> dict | None:
    return {
        "count": selectors.open_return_count(tenant=request.tenant),
        "url": reverse("returns:return_list") + "?state=open",
    }


def register_all() -> None:
    register_panel(
        Panel(
            "customer",
            "returns",
            "returns/panels/customer_returns.html",
            _customer_returns,
            VIEW_RETURNS,
            order=160,
        )
    )
    register_panel(
        Panel(
            "invoice",
            "returns",
            "returns/panels/invoice_returns.html",
            _invoice_returns,
            VIEW_RETURNS,
            order=100,
        )
    )
    register_usage_check("customers.customer", _customer_in_use)
    register_home_tile(
        HomeTile(
            "open_returns",
            gettext_lazy("Open returns"),
            frozenset(OFFICE) | {Role.DISPATCHER},
            "web/_count_tile.html",
            _open_returns_tile,
            order=170,
        )
    )
