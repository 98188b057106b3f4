"""What service orders add to the pages and rules of lower apps (see web.registry): the orders
and generation errors on agreement, customer and object pages, home tiles, "still in use" checks
and the order-generation section of the tenant settings page."""

import datetime

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import selectors as customer_selectors
from customers.coverage import CoverageListener, register_coverage_listener
from customers.models import ContactLogin
from invoicing.capabilities import POST_ORDERS
from invoicing.hooks import register_release_hook
from sla.signals import sla_timing_changed
from tenancy.roles import OFFICE, Role
from web.permissions import request_can
from web.registry import (
    HomeTile,
    Panel,
    SettingsSection,
    register_home_tile,
    register_panel,
    register_settings_section,
    register_usage_check,
)

from . import selectors
from .capabilities import CHANGE_ORDERS, GENERATE_ORDERS, REQUEST_SERVICE, VIEW_ORDERS
from .forms import OrderGenerationSettingsForm
from .models import OPEN_STATES
from .services import reconciliation
from .services.generation_settings import order_generation_settings_update
from .services.posting import SOURCE as POSTING_SOURCE
from .services.posting import release_posted_lines


def _agreement_generate_button(request, agreement) -> dict | None:
    return None if agreement.is_template else {"agreement": agreement}


def _agreement_post_button(request, agreement) -> dict | None:
    from .posting_views import may_post

    if agreement.is_template or not may_post(request):
        return None
    return {"agreement": agreement}


def _agreement_orders(request, agreement) -> dict:
    errors = selectors.agreement_generation_errors(tenant=request.tenant, agreement=agreement)
    return {"agreement": agreement, "generation_errors": errors[:50]}


def _customer_orders(request, customer) -> dict:
    return {"customer": customer, "can_create": request_can(request, CHANGE_ORDERS)}


def _object_order_lines(request, obj) -> dict:
    limit = selectors.OBJECT_HISTORY_LIMIT
    lines = selectors.object_order_lines(tenant=request.tenant, obj=obj)[:limit]
    return {
        "obj": obj,
        "order_lines": lines,
        "history_limit": limit,
        "can_view_orders": request_can(request, VIEW_ORDERS),
    }


def _customer_in_use(tenant, customer) -> str | None:
    if selectors.customer_has_orders(tenant=tenant, customer=customer):
        return _("The customer has service orders.")
    return None


def _site_in_use(tenant, site) -> str | None:
    if selectors.site_has_orders(tenant=tenant, site=site):
        return _("Service orders refer to this site.")
    return None


def _contact_in_use(tenant, contact) -> str | None:
    if selectors.contact_has_orders(tenant=tenant, contact=contact):
        return _("Service orders refer to this contact.")
    return None


def _agreement_in_use(tenant, agreement) -> str | None:
    if selectors.agreement_has_orders(tenant=tenant, agreement=agreement):
        return _("The agreement has service orders.")
    return None


def _agreement_line_in_use(tenant, line) -> str | None:
    if selectors.agreement_line_has_orders(tenant=tenant, line=line):
        return _("Service orders were generated from this line.")
    return None


def _order_counts(request) -> dict:
    # One aggregate for all order tiles; the request keeps it so the page runs it once.
    if not hasattr(request, "_open_order_counts"):
        request._open_order_counts = selectors.open_order_counts(
            tenant=request.tenant, today=request.tenant.today()
        )
    return request._open_order_counts


def _orders_url(**filters) -> str:
    return reverse("service_orders:order_list") + "?" + urlencode(filters)


def _open_orders_tile(request) -> dict:
    counts = _order_counts(request)
    parts = [
        {
            "key": state.value,
            "label": state.label,
            "count": counts[state.value],
            "url": _orders_url(state=state.value),
        }
        for state in OPEN_STATES
    ]
    return {"count": counts["open"], "url": _orders_url(state=selectors.OPEN), "parts": parts}


def _conflicts_tile(request) -> dict:
    return {
        "count": _order_counts(request)["conflicts"],
        "url": _orders_url(state=selectors.OPEN, conflict="yes"),
        "attention": "warning",
    }


def _unassigned_week_tile(request) -> dict:
    today = request.tenant.today()
    url = _orders_url(
        state=selectors.OPEN,
        technician=selectors.NO_TECHNICIAN,
        date_from=today.isoformat(),
        date_to=(today + datetime.timedelta(days=6)).isoformat(),
    )
    return {"count": _order_counts(request)["unassigned_week"], "url": url, "attention": "warning"}


def _generation_errors_tile(request) -> dict:
    count = selectors.open_generation_error_count(tenant=request.tenant)
    url = reverse("service_orders:generation_errors")
    return {"count": count, "url": url, "attention": "danger"}


def _web_requests_tile(request) -> dict:
    count = selectors.pending_web_request_count(tenant=request.tenant)
    url = reverse("service_orders:request_list") + "?" + urlencode({"state": "submitted"})
    return {"count": count, "url": url, "attention": "warning"}


def _contact_counts(request) -> dict | None:
    """The contact's customer's counts, once per page (both contact tiles use them)."""
    if not hasattr(request, "_contact_counts"):
        try:
            login = customer_selectors.contact_login_for(tenant=request.tenant, user=request.user)
        except ContactLogin.DoesNotExist:
            request._contact_counts = None
        else:
            request._contact_counts = selectors.contact_counts(
                tenant=request.tenant, customer_id=login.customer_id
            )
    return request._contact_counts


def _contact_requests_tile(request) -> dict | None:
    counts = _contact_counts(request)
    if counts is None or not request_can(request, REQUEST_SERVICE):
        return None
    url = reverse("portal:request_list") + "?" + urlencode({"state": "submitted"})
    return {"count": counts["open_requests"], "url": url}


def _contact_orders_tile(request) -> dict | None:
    counts = _contact_counts(request)
    if counts is None or not request_can(request, REQUEST_SERVICE):
        return None
    url = reverse("portal:order_list") + "?" + urlencode({"state": selectors.OPEN})
    return {"count": counts["open_orders"], "url": url}


def _generation_settings_form(*, tenant, data=None, prefix=None) -> OrderGenerationSettingsForm:
    settings = selectors.order_generation_settings(tenant=tenant)
    return OrderGenerationSettingsForm(data, instance=settings, prefix=prefix)


def _generation_settings_save(*, tenant, by, data) -> None:
    order_generation_settings_update(tenant=tenant, by=by, data=data)


def register_all() -> None:
    # Agreement and master-data changes cancel and restore generated work (customers.coverage).
    register_coverage_listener(
        CoverageListener(
            reconciliation.KEY, reconciliation.coverage_preview, reconciliation.coverage_apply
        )
    )
    register_settings_section(
        SettingsSection(
            "service_orders",
            gettext_lazy("Service orders"),
            _generation_settings_form,
            _generation_settings_save,
            order=300,
        )
    )
    office = frozenset(OFFICE)
    register_home_tile(
        HomeTile(
            "open_orders",
            gettext_lazy("Open service orders"),
            office | {Role.DISPATCHER},
            "web/_breakdown_tile.html",
            _open_orders_tile,
            order=100,
        )
    )
    register_home_tile(
        HomeTile(
            "unassigned_week",
            gettext_lazy("Orders of the next 7 days without a technician"),
            frozenset({Role.DISPATCHER, Role.SERVICE_MANAGER}),
            "web/_count_tile.html",
            _unassigned_week_tile,
            order=105,
        )
    )
    register_home_tile(
        HomeTile(
            "calendar_conflicts",
            gettext_lazy("Open orders on a closed day"),
            office | {Role.DISPATCHER},
            "web/_count_tile.html",
            _conflicts_tile,
            order=110,
        )
    )
    register_home_tile(
        HomeTile(
            "generation_errors",
            gettext_lazy("Unresolved generation errors"),
            office,
            "web/_count_tile.html",
            _generation_errors_tile,
            order=120,
        )
    )
    register_home_tile(
        HomeTile(
            "web_requests_waiting",
            gettext_lazy("Web requests waiting"),
            office | {Role.DISPATCHER},
            "web/_count_tile.html",
            _web_requests_tile,
            order=90,
        )
    )
    contact = frozenset({Role.CUSTOMER_CONTACT})
    register_home_tile(
        HomeTile(
            "contact_open_requests",
            gettext_lazy("My open requests"),
            contact,
            "web/_count_tile.html",
            _contact_requests_tile,
            order=10,
        )
    )
    register_home_tile(
        HomeTile(
            "contact_open_orders",
            gettext_lazy("Open orders"),
            contact,
            "web/_count_tile.html",
            _contact_orders_tile,
            order=20,
        )
    )
    register_release_hook(POSTING_SOURCE, release_posted_lines)
    register_panel(
        Panel(
            "agreement_actions",
            "post",
            "service_orders/panels/agreement_post_button.html",
            _agreement_post_button,
            POST_ORDERS,
            order=200,
        )
    )
    register_panel(
        Panel(
            "agreement_actions",
            "generate",
            "service_orders/panels/agreement_generate_button.html",
            _agreement_generate_button,
            GENERATE_ORDERS,
        )
    )
    register_panel(
        Panel(
            "agreement",
            "orders",
            "service_orders/panels/agreement_orders.html",
            _agreement_orders,
            order=100,
        )
    )
    register_panel(
        Panel(
            "customer",
            "orders",
            "service_orders/panels/customer_orders.html",
            _customer_orders,
            VIEW_ORDERS,
            order=200,
        )
    )
    register_panel(
        Panel(
            "service_object",
            "order_lines",
            "service_orders/panels/object_order_lines.html",
            _object_order_lines,
            order=200,
        )
    )
    register_usage_check("customers.customer", _customer_in_use)
    # A site or contact of an order is archived instead of deleted (customers.services).
    register_usage_check("customers.customersite", _site_in_use)
    register_usage_check("customers.customercontact", _contact_in_use)
    register_usage_check("agreements.agreement", _agreement_in_use)
    register_usage_check("agreements.agreementline", _agreement_line_in_use)


def _recompute_sla_clocks(sender, *, tenant_id, calendar_id=None, sla_id=None, **kwargs) -> None:
    """An SLA or calendar changed (sla.signals, after its commit): recompute the open clocks it
    affects in the background."""
    from .tasks import recompute_sla_clocks

    recompute_sla_clocks.delay(tenant_id=tenant_id, calendar_id=calendar_id, sla_id=sla_id)


sla_timing_changed.connect(_recompute_sla_clocks, dispatch_uid="service_orders.sla_clocks")
