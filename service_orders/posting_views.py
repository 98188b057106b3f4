"""Posting service orders to invoices: one order from its page, or every postable order of an
agreement or of a date range, by line kind."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import LineKind
from invoicing import selectors as invoicing_selectors
from invoicing.capabilities import POST_ORDERS, VIEW_INVOICES
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.pickers import PickerSelect

from . import selectors
from .services.posting import order_post, orders_post, postable_orders

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The most orders the posting page lists (and posts) at once; the form narrows the range.
POSTING_LIMIT = 200


def may_post(request) -> bool:
    membership = getattr(request, "membership", None)
    return invoicing_selectors.may_post(
        tenant=request.tenant, role=membership.role if membership else None
    )


class PostingForm(forms.Form):
    agreement = forms.ModelChoiceField(
        label=gettext_lazy("Agreement"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All agreements"),
        widget=PickerSelect(search="agreements:agreement_search"),
    )
    date_from = forms.DateField(label=gettext_lazy("Order date from"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("Order date to"), required=False, widget=DATE)
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Line types"),
        choices=LineKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("None ticked: lines of every type."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = selectors.agreement_choices(tenant=tenant)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end cannot be before the start."))
        return cleaned


def _guard(request) -> None:
    if not may_post(request):
        raise PermissionDenied


@capability_required(POST_ORDERS)
def posting(request):
    """GET: the postable orders the filters select; POST: post them (each alone)."""
    _guard(request)
    data = request.POST if request.method == "POST" else request.GET
    form = PostingForm(data or None, tenant=request.tenant)
    orders, result = [], None
    if form.is_valid():
        cleaned = form.cleaned_data
        kinds = cleaned["kinds"] or None
        orders = list(
            postable_orders(
                tenant=request.tenant,
                agreement_id=cleaned["agreement"].pk if cleaned["agreement"] else None,
                date_from=cleaned["date_from"],
                date_to=cleaned["date_to"],
                kinds=kinds,
            )[:POSTING_LIMIT]
        )
        if request.method == "POST":
            result = orders_post(
                tenant=request.tenant,
                by=request.user,
                order_ids=[order.pk for order in orders],
                kinds=kinds,
            )
            orders = []
    return render(
        request,
        "service_orders/posting.html",
        {"form": form, "orders": orders, "result": result, "limit": POSTING_LIMIT},
    )


@capability_required(POST_ORDERS)
def order_post_view(request, pk: int):
    order = get_or_404(selectors.order_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _guard(request)
    detail = reverse("service_orders:order_detail", args=[order.pk])
    try:
        invoice_id = order_post(tenant=request.tenant, by=request.user, order_id=order.pk)
    except ValidationError as exc:
        from .views import _render_order

        return _render_order(request, order, status=409, refusal=" ".join(exc.messages))
    messages.success(
        request,
        _("%(number)s is posted to the customer's draft invoice.") % {"number": order.number},
    )
    if request_can(request, VIEW_INVOICES):
        return redirect(reverse("invoicing:invoice_detail", args=[invoice_id]))
    return redirect(detail)
