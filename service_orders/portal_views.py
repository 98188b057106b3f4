"""The customer contact's portal (phone first): a new request, the customer's requests and the
customer's orders with a read-only status page.

A contact is bound to one customer (customers.ContactLogin). Every page looks the binding up
first and reads only that customer's rows, so another customer's order or request (or another
tenant's) is a 404 like a missing one; the pages ask for REQUEST_SERVICE, which only the
customer contact role has, and a contact has no other capability, so every office page answers
403 to them."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import selectors as customer_selectors
from customers.models import ContactLogin
from web.lists import BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import request_can, tenant_required
from web.photos import photo_response
from web.submissions import create_once_url

from . import selectors
from .capabilities import REQUEST_SERVICE
from .models import OPEN_STATES
from .request_forms import PortalRequestFilterForm, WebRequestForm
from .services import web_requests as services


def contact_view(view):
    """A portal page: the view gets the contact's binding (``login``: customer and contact).
    The binding is looked up before the capability is checked, so that a page of a record
    (``pk``) is a 404 for anyone who is not a contact of its customer."""

    @tenant_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            login = customer_selectors.contact_login_for(tenant=request.tenant, user=request.user)
        except ContactLogin.DoesNotExist:
            if "pk" in kwargs or request_can(request, REQUEST_SERVICE):
                raise Http404 from None
            raise PermissionDenied from None
        if not request_can(request, REQUEST_SERVICE):
            raise PermissionDenied
        return view(request, login, *args, **kwargs)

    wrapper.required_capability = REQUEST_SERVICE
    return wrapper


# --- New request ----------------------------------------------------------------------------------


@contact_view
def request_create(request, login: ContactLogin):
    tenant = request.tenant
    form = WebRequestForm(
        request.POST or None, request.FILES or None, tenant=tenant, customer=login.customer
    )
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            created = services.web_request_submit(
                tenant=tenant,
                by=request.user,
                customer=login.customer,
                contact=login.contact,
                data=form.cleaned_data,
            )
            messages.success(
                request,
                _("Request %(number)s sent. We will let you know by e-mail what happens next.")
                % {"number": created.number},
            )
            return reverse("portal:request_detail", args=[created.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "service_orders/portal/request_form.html",
        {"form": form, "customer": login.customer},
        status=status,
    )


# --- The customer's requests ----------------------------------------------------------------------

PORTAL_REQUEST_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("portal:request_detail"),
    ),
    Column(
        "description",
        gettext_lazy("Description"),
        "description",
        role=FACT,
        truncate=True,
    ),
    Column("submitted_at", gettext_lazy("Submitted"), "submitted_at", role=FACT, nowrap=True),
    Column(
        "state",
        gettext_lazy("State"),
        "pending_rank",
        lambda r: r.get_state_display(),
        role=BADGE,
        template="service_orders/cells/request_state.html",
    ),
    Column(
        "order",
        gettext_lazy("Service order"),
        "order__number",
        lambda r: r.order.number if r.order_id else "",
        role=FACT,
        nowrap=True,
        link=link_to("portal:order_detail", "order_id"),
    ),
]


@contact_view
def request_list(request, login: ContactLogin):
    filters = PortalRequestFilterForm(request.GET)
    state = filters.cleaned_data.get("state", "") if filters.is_valid() else ""
    qs = selectors.customer_web_requests(tenant=request.tenant, customer_id=login.customer_id)
    if state:
        qs = qs.filter(state=state)
    return list_response(
        request,
        qs,
        template="service_orders/portal/request_list.html",
        columns=PORTAL_REQUEST_COLUMNS,
        default_sort="-number",
        csv_filename="requests",
        context={"filters": filters, "customer": login.customer},
    )


@contact_view
def request_detail(request, login: ContactLogin, pk: int):
    web_request = get_or_404(
        selectors.customer_web_request_get,
        tenant=request.tenant,
        customer_id=login.customer_id,
        pk=pk,
    )
    photos = selectors.web_request_photos(tenant=request.tenant, web_request=web_request)
    return render(
        request,
        "service_orders/portal/request_detail.html",
        {"web_request": web_request, "photos": photos},
    )


@contact_view
def request_photo(request, login: ContactLogin, pk: int, photo_pk: int):
    web_request = get_or_404(
        selectors.customer_web_request_get,
        tenant=request.tenant,
        customer_id=login.customer_id,
        pk=pk,
    )
    photo = get_or_404(
        selectors.web_request_photo_get,
        tenant=request.tenant,
        web_request=web_request,
        pk=photo_pk,
    )
    return photo_response(photo)


# --- The customer's orders ------------------------------------------------------------------------


def _technician_first_name(order) -> str:
    technician = order.assigned_technician
    return technician.first_name if technician else ""


PORTAL_ORDER_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("portal:order_detail"),
    ),
    Column(
        "description",
        gettext_lazy("Description"),
        "description",
        role=FACT,
        truncate=True,
    ),
    Column(
        "preferred_date", gettext_lazy("Preferred date"), "preferred_date", role=FACT, nowrap=True
    ),
    Column(
        "stage",
        gettext_lazy("Stage"),
        "stage__position",
        lambda o: o.stage.name if o.stage_id else o.get_state_display(),
        role=FACT,
        breakpoint="md",
    ),
    Column(
        "technician",
        gettext_lazy("Technician"),
        value=_technician_first_name,
        breakpoint="lg",
    ),
    Column(
        "get_state_display",
        gettext_lazy("State"),
        "state",
        role=BADGE,
        template="service_orders/cells/state.html",
    ),
]


@contact_view
def order_list(request, login: ContactLogin):
    qs = selectors.customer_portal_orders(tenant=request.tenant, customer_id=login.customer_id)
    only_open = request.GET.get("state") == selectors.OPEN
    if only_open:
        qs = qs.filter(state__in=OPEN_STATES)
    return list_response(
        request,
        qs,
        template="service_orders/portal/order_list.html",
        columns=PORTAL_ORDER_COLUMNS,
        default_sort="-number",
        csv_filename="orders",
        context={"customer": login.customer, "only_open": only_open},
    )


@contact_view
def order_detail(request, login: ContactLogin, pk: int):
    """The order as the customer may see it: number, stage and state, dates, where, the
    technician's first name and the objects; no internal notes, prices or lines."""
    order = get_or_404(
        selectors.customer_portal_order_get,
        tenant=request.tenant,
        customer_id=login.customer_id,
        pk=pk,
    )
    context = {
        "order": order,
        "objects": selectors.order_service_objects(tenant=request.tenant, order=order),
        "web_request": selectors.order_web_request(tenant=request.tenant, order=order),
        "technician_name": _technician_first_name(order),
    }
    return render(request, "service_orders/portal/order_detail.html", context)
