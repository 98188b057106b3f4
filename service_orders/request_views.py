"""Web requests in the office: the dispatcher's list ("Requests", waiting ones first), a
request's page with Accept (it becomes an order) and Reject (with a reason, through the
confirmation), the request's photos; and the technician's "New request" from an order's page.

A decision that no longer applies (someone else decided first) answers 409 with the request as
it is now; a double click on Accept returns the first click's order (submission token)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.confirm import (
    Confirmation,
    ReasonConfirmationForm,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.lists import BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.photos import photo_response
from web.submissions import create_once_url

from . import selectors
from .capabilities import HANDLE_REQUESTS
from .models import ServiceOrder, WebRequest
from .request_forms import AcceptForm, RequestFilterForm, WebRequestForm
from .services import web_requests as services
from .services.web_requests import WebRequestRefused
from .technician_views import technician_order_view

REQUEST_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("service_orders:request_detail"),
    ),
    Column(
        "customer",
        gettext_lazy("Customer"),
        "customer__name",
        lambda r: r.customer.name,
        role=FACT,
        truncate=True,
    ),
    Column(
        "description",
        gettext_lazy("Description"),
        "description",
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column(
        "service_object",
        gettext_lazy("Service object"),
        "service_object__number",
        lambda r: str(r.service_object) if r.service_object_id else "",
        truncate=True,
        breakpoint="xl",
    ),
    Column(
        "preferred_date",
        gettext_lazy("Preferred date"),
        "preferred_date",
        role=FACT,
        nowrap=True,
        breakpoint="lg",
    ),
    Column(
        "submitted_at",
        gettext_lazy("Submitted"),
        "submitted_at",
        role=FACT,
        nowrap=True,
    ),
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
        nowrap=True,
        breakpoint="lg",
        link=link_to("service_orders:order_detail", "order_id"),
    ),
]


@capability_required(HANDLE_REQUESTS)
def request_list(request):
    filters = RequestFilterForm(request.GET, tenant=request.tenant)
    qs = selectors.web_request_list(tenant=request.tenant, **filters.filters())
    return list_response(
        request,
        qs,
        template="service_orders/requests/request_list.html",
        columns=REQUEST_COLUMNS,
        default_sort="state",
        csv_filename="web-requests",
        context={"filters": filters},
    )


def _request(request, pk: int) -> WebRequest:
    return get_or_404(selectors.web_request_get, tenant=request.tenant, pk=pk)


def _render_request(
    request, web_request: WebRequest, *, status: int = 200, refusal: str = "", form=None
):
    context = {
        "web_request": web_request,
        "photos": selectors.web_request_photos(tenant=request.tenant, web_request=web_request),
        "accept_form": form or AcceptForm(),
        "refusal": refusal,
    }
    return render(request, "service_orders/requests/request_detail.html", context, status=status)


@capability_required(HANDLE_REQUESTS)
def request_detail(request, pk: int):
    return _render_request(request, _request(request, pk))


@capability_required(HANDLE_REQUESTS)
def request_accept(request, pk: int):
    web_request = _request(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _render_request(request, web_request, status=400, form=form)

    def accept() -> str:
        accepted = services.web_request_accept(
            tenant=request.tenant,
            by=request.user,
            request_id=web_request.pk,
            priority=form.cleaned_data["priority"],
        )
        messages.success(
            request,
            _("Request %(number)s accepted: order %(order)s created.")
            % {"number": accepted.number, "order": accepted.order.number},
        )
        return reverse("service_orders:order_detail", args=[accepted.order_id])

    try:
        url = create_once_url(request, form, accept)
    except WebRequestRefused as exc:
        return _render_request(request, _request(request, pk), status=409, refusal=exc.message)
    if url:
        return redirect(url)
    return _render_request(request, web_request, status=400, form=form)


@capability_required(HANDLE_REQUESTS)
def request_reject(request, pk: int):
    """Asks first, with the reason the contact will read (web.confirm)."""
    web_request = _request(request, pk)
    form = confirmation_form(request, ReasonConfirmationForm)
    form.fields["reason"].help_text = _("The contact reads it on their page and in an e-mail.")
    detail_url = reverse("service_orders:request_detail", args=[web_request.pk])
    confirmation = Confirmation(
        title=_("Reject request %(number)s?") % {"number": web_request.number},
        consequence=_(
            "%(customer)s is told that no order will be made for it, with your reason. This "
            "cannot be undone."
        )
        % {"customer": web_request.customer.name},
        button=_("Reject request"),
        cancel_url=detail_url,
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation, status=400 if form.is_bound else 200)
    try:
        rejected = services.web_request_reject(
            tenant=request.tenant,
            by=request.user,
            request_id=web_request.pk,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        form.add_error("reason", exc.messages)
        return confirmation_response(request, confirmation, status=400)
    except WebRequestRefused as exc:
        if request.htmx:
            return confirmation_refused(request, confirmation, exc.message)
        return _render_request(request, _request(request, pk), status=409, refusal=exc.message)
    messages.success(request, _("Request %(number)s rejected.") % {"number": rejected.number})
    return confirmed_redirect(request, detail_url)


@capability_required(HANDLE_REQUESTS)
def request_photo(request, pk: int, photo_pk: int):
    web_request = _request(request, pk)
    photo = get_or_404(
        selectors.web_request_photo_get,
        tenant=request.tenant,
        web_request=web_request,
        pk=photo_pk,
    )
    return photo_response(photo)


# --- The technician's request from the field ------------------------------------------------------


@technician_order_view
def technician_request(request, order: ServiceOrder):
    """A request for the customer of one of the technician's orders (something else to be
    done there, seen on site); the office decides on it like on a contact's."""
    tenant = request.tenant
    initial = {}
    lines = selectors.order_lines(tenant=tenant, order=order)
    first_object = next((line.service_object_id for line in lines if line.service_object_id), None)
    if first_object:
        initial["service_object"] = first_object
    form = WebRequestForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        tenant=tenant,
        customer=order.customer,
    )
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            created = services.web_request_submit(
                tenant=tenant, by=request.user, customer=order.customer, data=form.cleaned_data
            )
            messages.success(
                request,
                _("Request %(number)s sent to the office.") % {"number": created.number},
            )
            return reverse("service_orders:technician_order", args=[order.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "service_orders/requests/technician_request.html",
        {"order": order, "form": form},
        status=status,
    )
