"""Returns: the list, a new return, its page (lines, arrival, dispositions), open/cancel/close
through the confirmation, the RMA PDF, and the reasons table."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing.capabilities import MANAGE_INVOICES
from web.confirm import (
    CONFIRMED,
    Confirmation,
    OptionalReasonConfirmationForm,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.lists import BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.submissions import create_once_url

from . import forms, selectors, services
from .capabilities import MANAGE_RETURN_REASONS, MANAGE_RETURNS, VIEW_RETURNS
from .documents import render_return_pdf, return_filename
from .models import CREDITING, REPAIRING, REPLACING, ReturnState

CONFLICT = gettext_lazy("Someone else changed this return first; this is how it is now.")


def _detail_url(pk: int) -> str:
    return reverse("returns:return_detail", args=[pk])


RETURN_COLUMNS = [
    Column(
        "number",
        gettext_lazy("RMA number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("returns:return_detail"),
    ),
    Column(
        "customer.name",
        gettext_lazy("Customer"),
        "customer__name",
        role=FACT,
        truncate=True,
        link=link_to("customers:customer_detail", "customer_id"),
    ),
    Column(
        "get_state_display",
        gettext_lazy("State"),
        "state",
        role=BADGE,
        template="returns/cells/state.html",
    ),
    Column("reason.name", gettext_lazy("Return reason"), "reason__name", breakpoint="md"),
    Column(
        "deadline",
        gettext_lazy("Return deadline"),
        "deadline",
        nowrap=True,
        role=FACT,
    ),
    Column("line_count", gettext_lazy("Lines"), "line_count", numeric=True, breakpoint="lg"),
    Column(
        "open_line_count",
        gettext_lazy("Lines without disposition"),
        "open_line_count",
        numeric=True,
        breakpoint="lg",
    ),
    Column("created_at", gettext_lazy("Created"), "created_at", nowrap=True, breakpoint="xl"),
]


@capability_required(VIEW_RETURNS)
def return_list(request):
    filters = forms.ReturnFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.return_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        state=data.get("state", ""),
        customer_id=data["customer"].pk if data.get("customer") else None,
        reason_id=data["reason"].pk if data.get("reason") else None,
        deadline_from=data.get("deadline_from"),
        deadline_to=data.get("deadline_to"),
        overdue=bool(data.get("overdue")),
    )
    return list_response(
        request,
        qs,
        template="returns/return_list.html",
        columns=RETURN_COLUMNS,
        default_sort="-number",
        csv_filename="returns",
        context={"filters": filters},
    )


@capability_required(MANAGE_RETURNS)
def return_create(request):
    initial = {"customer": request.GET.get("customer") or None}
    form = forms.ReturnForm(request.POST or None, tenant=request.tenant, initial=initial)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            order = services.return_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(
                request,
                _("Return %(number)s created: add the goods coming back.")
                % {"number": order.number},
            )
            return _detail_url(order.pk)

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
    return render(
        request,
        "returns/return_form.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@capability_required(MANAGE_RETURNS)
def return_edit(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    if order.state not in (ReturnState.CREATED, ReturnState.OPEN):
        return _detail_page(request, pk, status=409, refusal=_("This return can no longer change."))
    form = forms.ReturnForm(request.POST or None, tenant=request.tenant, instance=order)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_update(
                tenant=request.tenant, by=request.user, return_id=pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.ReturnConflict:
            return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
        else:
            messages.success(request, _("Return saved."))
            return redirect(_detail_url(pk))
    return render(
        request,
        "returns/return_form.html",
        {"form": form, "return_order": order},
        status=400 if form.is_bound and form.errors else 200,
    )


def _detail_page(request, pk: int, *, status: int = 200, refusal: str = "", **given):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    lines = selectors.return_lines(tenant=request.tenant, return_order=order)
    can_manage = request_can(request, MANAGE_RETURNS)
    line_form = given.get("line_form")
    if line_form is None and can_manage and order.state == ReturnState.CREATED:
        line_form = forms.LineForm(
            lines=selectors.returnable_lines(tenant=request.tenant, customer=order.customer)
        )
    arrival_forms = given.get("arrival_forms") or {}
    rows = []
    for line in lines:
        expected = line.quantity - line.received_quantity
        arrival = None
        if can_manage and order.state == ReturnState.OPEN and not line.disposition and expected:
            arrival = arrival_forms.get(line.pk) or forms.ArrivalForm(
                initial={"quantity": expected}, prefix=f"arrival-{line.pk}"
            )
        rows.append({"line": line, "expected": expected, "arrival_form": arrival})
    context = {
        "return_order": order,
        "rows": rows,
        "can_manage": can_manage,
        "all_disposed": bool(lines) and all(line.disposition for line in lines),
        "line_form": line_form,
        "refusal": refusal,
        "is_overdue": order.state in (ReturnState.CREATED, ReturnState.OPEN)
        and order.deadline < request.tenant.today(),
    }
    return render(request, "returns/return_detail.html", context, status=status)


@capability_required(VIEW_RETURNS)
def return_detail(request, pk: int):
    return _detail_page(request, pk)


@capability_required(VIEW_RETURNS)
def return_pdf(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    pdf = render_return_pdf(tenant=request.tenant, return_order=order)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{return_filename(order)}"'
    return response


@capability_required(MANAGE_RETURNS)
def line_add(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if order.state != ReturnState.CREATED:
        return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
    form = forms.LineForm(
        request.POST,
        lines=selectors.returnable_lines(tenant=request.tenant, customer=order.customer),
    )
    if form.is_valid():

        def create() -> str:
            line = services.line_add(
                tenant=request.tenant,
                by=request.user,
                return_id=pk,
                invoice_line_id=form.cleaned_data["invoice_line"],
                quantity=form.cleaned_data["quantity"],
                serial_number=form.cleaned_data["serial_number"],
            )
            messages.success(request, _("“%(line)s” added.") % {"line": line.description})
            return _detail_url(pk) + "#lines"

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.ReturnConflict:
            return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
    return _detail_page(request, pk, status=400, line_form=form)


@capability_required(MANAGE_RETURNS)
def line_remove(request, pk: int, line_pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    line = get_or_404(
        selectors.return_line_get, tenant=request.tenant, return_order=order, pk=line_pk
    )
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=_("Remove “%(line)s” from return %(number)s?")
        % {"line": line.description, "number": order.number},
        consequence=_("The quantity can be returned on another line or return."),
        button=_("Remove line"),
        cancel_url=_detail_url(pk),
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        services.line_remove(tenant=request.tenant, by=request.user, return_id=pk, line_id=line_pk)
    except services.ReturnConflict:
        if request.htmx:
            return confirmation_refused(request, confirmation, str(CONFLICT))
        return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
    messages.success(request, _("Line removed."))
    return confirmed_redirect(request, _detail_url(pk))


def _state_action(request, pk: int, *, action, confirmation_args: dict, done: str, form_class=None):
    get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request, form_class) if form_class else confirmation_form(request)
    confirmation = Confirmation(cancel_url=_detail_url(pk), form=form, **confirmation_args)
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        action(form)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.htmx:
            return confirmation_refused(request, confirmation, message)
        return _detail_page(request, pk, status=400, refusal=message)
    except services.ReturnConflict:
        if request.htmx:
            return confirmation_refused(request, confirmation, str(CONFLICT))
        return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
    messages.success(request, done)
    return confirmed_redirect(request, _detail_url(pk))


@capability_required(MANAGE_RETURNS)
def return_open(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    return _state_action(
        request,
        pk,
        action=lambda form: services.return_open(
            tenant=request.tenant, by=request.user, return_id=pk
        ),
        confirmation_args={
            "title": _("Open return %(number)s?") % {"number": order.number},
            "consequence": _(
                "The customer can send the goods with the RMA document; its lines can no "
                "longer be changed, and it can no longer be cancelled."
            ),
            "button": _("Open return"),
            "danger": False,
        },
        done=_("Return %(number)s is open: print the RMA document for the customer.")
        % {"number": order.number},
    )


@capability_required(MANAGE_RETURNS)
def return_cancel(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    return _state_action(
        request,
        pk,
        action=lambda form: services.return_cancel(
            tenant=request.tenant,
            by=request.user,
            return_id=pk,
            reason=form.cleaned_data.get("reason", ""),
        ),
        confirmation_args={
            "title": _("Cancel return %(number)s?") % {"number": order.number},
            "consequence": _(
                "Its lines no longer count as returned: the goods can be returned on another "
                "return. This cannot be undone."
            ),
            "button": _("Cancel return"),
        },
        done=_("Return %(number)s is cancelled.") % {"number": order.number},
        form_class=OptionalReasonConfirmationForm,
    )


@capability_required(MANAGE_RETURNS)
def return_close(request, pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    return _state_action(
        request,
        pk,
        action=lambda form: services.return_close(
            tenant=request.tenant, by=request.user, return_id=pk
        ),
        confirmation_args={
            "title": _("Close return %(number)s?") % {"number": order.number},
            "consequence": _("Every line has its disposition; a closed return cannot change."),
            "button": _("Close return"),
            "danger": False,
        },
        done=_("Return %(number)s is closed.") % {"number": order.number},
    )


@capability_required(MANAGE_RETURNS)
def arrival_register(request, pk: int, line_pk: int):
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    line = get_or_404(
        selectors.return_line_get, tenant=request.tenant, return_order=order, pk=line_pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ArrivalForm(request.POST, prefix=f"arrival-{line.pk}")
    if form.is_valid():
        try:
            services.arrival_register(
                tenant=request.tenant,
                by=request.user,
                return_id=pk,
                line_id=line_pk,
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.ReturnConflict:
            return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
        else:
            messages.success(request, _("Arrival registered."))
            return redirect(_detail_url(pk) + f"#line-{line_pk}")
    return _detail_page(request, pk, status=400, arrival_forms={line.pk: form})


def _effects(disposition: str) -> list[str]:
    effects = []
    if disposition in CREDITING:
        effects.append(_("A credit note is issued for this share of the invoice line."))
    if disposition in REPLACING:
        effects.append(_("A service order for the replacement is created."))
    if disposition in REPAIRING:
        effects.append(_("A repair service order is created for the object with this serial."))
    return effects


@capability_required(MANAGE_RETURNS)
def disposition_set(request, pk: int, line_pk: int):
    """The disposition form, and the decision. The form says what each disposition does and
    that it cannot be taken back; the POST carries the confirmation's flag."""
    order = get_or_404(selectors.return_get, tenant=request.tenant, pk=pk)
    line = get_or_404(
        selectors.return_line_get, tenant=request.tenant, return_order=order, pk=line_pk
    )
    may_credit = request_can(request, MANAGE_INVOICES)
    if order.state != ReturnState.OPEN or line.disposition:
        return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
    # The form is the confirmation (decision 0012): it says what each disposition does, and
    # only a POST from it (with its hidden "confirmed" field) acts.
    confirmed = request.method == "POST" and CONFIRMED in request.POST
    form = forms.DispositionForm(
        request.POST if confirmed else None,
        may_credit=may_credit,
        initial={"quantity": line.received_quantity or None},
    )
    if confirmed and form.is_valid():
        try:
            result = services.disposition_set(
                tenant=request.tenant,
                by=request.user,
                return_id=pk,
                line_id=line_pk,
                disposition=form.cleaned_data["disposition"],
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                may_credit=may_credit,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.ReturnConflict:
            return _detail_page(request, pk, status=409, refusal=str(CONFLICT))
        else:
            message = _("Disposition “%(disposition)s” recorded.") % {
                "disposition": result.line.get_disposition_display()
            }
            if result.credit_note is not None:
                message += " " + _("Credit note %(number)s issued.") % {
                    "number": result.credit_note.number
                }
            if result.order is not None:
                message += " " + _("Service order %(number)s created.") % {
                    "number": result.order.number
                }
            messages.success(request, message)
            return redirect(_detail_url(pk) + f"#line-{line_pk}")
    explanations = [
        (label, " ".join(_effects(value)) or _("No credit note and no service order."))
        for value, label in form.fields["disposition"].choices
        if value
    ]
    return render(
        request,
        "returns/disposition_form.html",
        {
            "form": form,
            "return_order": order,
            "line": line,
            "explanations": explanations,
            "may_credit": may_credit,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Reasons -------------------------------------------------------------------------------------


@capability_required(MANAGE_RETURN_REASONS)
def reason_list(request):
    reasons = list(selectors.reason_list(tenant=request.tenant))
    return render(request, "returns/reason_list.html", {"reasons": reasons})


@capability_required(MANAGE_RETURN_REASONS)
def reason_create(request):
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            reason = services.reason_save(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Return reason “%(name)s” saved.") % {"name": reason})
            return reverse("returns:reason_list")

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
    return render(
        request,
        "returns/reason_form.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@capability_required(MANAGE_RETURN_REASONS)
def reason_edit(request, pk: int):
    reason = get_or_404(selectors.reason_get, tenant=request.tenant, pk=pk)
    form = forms.ReasonForm(
        request.POST or None,
        initial={"code": reason.code, "name": reason.name, "is_active": reason.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.reason_save(
                tenant=request.tenant, by=request.user, data=form.cleaned_data, reason=reason
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Return reason “%(name)s” saved.") % {"name": reason})
            return redirect("returns:reason_list")
    return render(
        request,
        "returns/reason_form.html",
        {"form": form, "reason": reason},
        status=400 if form.is_bound and form.errors else 200,
    )
