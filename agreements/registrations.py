"""What agreements add to the pages and rules of the customers app (see web.registry)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.roles import OFFICE
from web.registry import (
    HomeTile,
    Panel,
    register_home_tile,
    register_panel,
    register_usage_check,
)

from . import selectors
from .capabilities import VIEW_AGREEMENTS


def _customer_agreements(request, customer) -> dict:
    return {
        "customer": customer,
        "agreements": selectors.customer_agreements(tenant=request.tenant, customer=customer),
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


def _ending_soon_tile(request) -> dict:
    today = timezone.localdate()  # the request runs in the tenant's zone
    count = selectors.agreements_ending_soon_count(tenant=request.tenant, today=today)
    url = reverse("agreements:agreement_list") + "?state=active&templates=exclude&sort=end_date"
    return {"count": count, "url": url, "attention": "warning"}


def register_all() -> None:
    register_home_tile(
        HomeTile(
            "agreements_ending",
            gettext_lazy("Agreements ending within 60 days"),
            frozenset(OFFICE),
            "web/_count_tile.html",
            _ending_soon_tile,
            order=200,
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
