"""What agreements add to the pages and rules of the customers app (see web.registry)."""

import datetime

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.roles import OFFICE
from web.permissions import request_can
from web.registry import (
    HomeTile,
    Panel,
    register_home_tile,
    register_panel,
    register_usage_check,
)

from . import selectors
from .capabilities import MANAGE_AGREEMENTS, VIEW_AGREEMENTS
from .models import AgreementState


def _customer_agreements(request, customer) -> dict:
    return {
        "customer": customer,
        "agreements": selectors.customer_agreements(tenant=request.tenant, customer=customer),
        "can_manage": request_can(request, MANAGE_AGREEMENTS),
    }


def _object_agreements(request, obj) -> dict:
    return {
        "obj": obj,
        "agreement_links": selectors.object_agreements(tenant=request.tenant, obj=obj),
        "agreement_lines": selectors.object_agreement_lines(tenant=request.tenant, obj=obj),
    }


def _customer_in_use(tenant, customer) -> str | None:
    if selectors.customer_has_agreements(tenant=tenant, customer=customer):
        return _("The customer has agreements.")
    return None


def _object_in_use(tenant, obj) -> str | None:
    if selectors.object_in_agreements(tenant=tenant, obj=obj):
        return _("The object is covered by agreements of its customer.")
    return None


def _attention_counts(request) -> dict:
    if not hasattr(request, "_agreement_counts"):
        request._agreement_counts = selectors.agreement_attention_counts(
            tenant=request.tenant, today=request.tenant.today()
        )
    return request._agreement_counts


def _ending_soon_tile(request) -> dict:
    today = request.tenant.today()
    soon = today + datetime.timedelta(days=selectors.ENDING_SOON_DAYS)
    query = urlencode(
        {
            "state": AgreementState.ACTIVE,
            "templates": "exclude",
            "ends_from": today.isoformat(),
            "ends_to": soon.isoformat(),
            "sort": "end_date",
        }
    )
    url = reverse("agreements:agreement_list") + "?" + query
    return {"count": _attention_counts(request)["ending"], "url": url, "attention": "warning"}


def _suspended_tile(request) -> dict:
    query = urlencode({"state": AgreementState.SUSPENDED, "templates": "exclude"})
    url = reverse("agreements:agreement_list") + "?" + query
    return {"count": _attention_counts(request)["suspended"], "url": url}


def register_all() -> None:
    register_home_tile(
        HomeTile(
            "agreements_ending",
            gettext_lazy("Agreements ending within 30 days"),
            frozenset(OFFICE),
            "web/_count_tile.html",
            _ending_soon_tile,
            order=200,
        )
    )
    register_home_tile(
        HomeTile(
            "agreements_suspended",
            gettext_lazy("Suspended agreements"),
            frozenset(OFFICE),
            "web/_count_tile.html",
            _suspended_tile,
            order=210,
        )
    )
    register_panel(
        Panel(
            "customer",
            "agreements",
            "agreements/panels/customer_agreements.html",
            _customer_agreements,
            VIEW_AGREEMENTS,
            order=100,
        )
    )
    register_panel(
        Panel(
            "service_object",
            "agreements",
            "agreements/panels/object_agreements.html",
            _object_agreements,
            VIEW_AGREEMENTS,
            order=100,
        )
    )
    register_usage_check("customers.customer", _customer_in_use)
    register_usage_check("customers.serviceobject", _object_in_use)
