"""Invoices: the list, a draft's lines, issue, cancel, payments, credit notes, the PDF, and the
accounts-receivable view."""

from dataclasses import replace
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from web.confirm import (
    Confirmation,
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
from .capabilities import MANAGE_INVOICES, VIEW_INVOICES
from .documents import invoice_filename, render_invoice_pdf
from .models import InvoiceKind, InvoiceState
from .money import format_money


def _detail_url(pk: int) -> str:
    return reverse("invoicing:invoice_detail", args=[pk])


def _money_cell(attr: str):
    def show(row):
        return format_money(getattr(row, attr), row.currency, _language())

    return show


def _language() -> str:
    from django.utils.translation import get_language

    return get_language()


INVOICE_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Invoice number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("invoicing:invoice_detail"),
        display=lambda row: row.number or _("Draft %(id)s") % {"id": row.pk},
    ),
    Column("get_kind_display", gettext_lazy("Document type"), "kind", breakpoint="lg"),
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
        template="invoicing/cells/state.html",
    ),
    Column("issue_date", gettext_lazy("Invoice date"), "issue_date", nowrap=True, role=FACT),
    Column("due_date", gettext_lazy("Due date"), "due_date", nowrap=True, breakpoint="md"),
    Column("currency", gettext_lazy("Currency"), "currency", breakpoint="xl"),
    Column(
        "gross_total",
        gettext_lazy("Total"),
        "gross_total",
        role=FACT,
        numeric=True,
        nowrap=True,
        display=_money_cell("gross_total"),
    ),
    Column(
        "open_total",
        gettext_lazy("Open"),
        "open_total",
        numeric=True,
        nowrap=True,
        breakpoint="md",
        display=_money_cell("open_total"),
    ),
]


@capability_required(VIEW_INVOICES)
def invoice_list(request):
    filters = forms.InvoiceFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.invoice_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        state=data.get("state", ""),
        kind=data.get("kind", ""),
        customer_id=data["customer"].pk if data.get("customer") else None,
        issued_from=data.get("issued_from"),
        issued_to=data.get("issued_to"),
        overdue=bool(data.get("overdue")),
    )
    return list_response(
        request,
        qs,
        template="invoicing/invoice_list.html",
        columns=INVOICE_COLUMNS,
        default_sort="-number",
        csv_filename="invoices",
        context={"filters": filters},
    )


RECEIVABLE_COLUMNS = [
    Column(
        "customer.name",
        gettext_lazy("Customer"),
        "customer__name",
        role=TITLE,
        truncate=True,
        link=lambda row: (
            reverse("invoicing:invoice_list") + f"?customer={row.customer_id}&state=issued"
        ),
    ),
    Column("customer.number", gettext_lazy("Customer number"), "customer__number", breakpoint="lg"),
    Column("currency", gettext_lazy("Currency"), "currency", breakpoint="md"),
    Column(
        "invoice_count",
        gettext_lazy("Open invoices"),
        "invoice_count",
        numeric=True,
        breakpoint="md",
    ),
    Column("oldest_due", gettext_lazy("Oldest due date"), "oldest_due", nowrap=True, role=FACT),
    Column(
        "open_total",
        gettext_lazy("Open"),
        "open_total",
        display=_money_cell("open_total"),
        numeric=True,
        nowrap=True,
        role=FACT,
    ),
    Column(
        "overdue_total",
        gettext_lazy("Overdue"),
        "overdue_total",
        display=_money_cell("overdue_total"),
        numeric=True,
        nowrap=True,
        role=FACT,
    ),
]


@capability_required(VIEW_INVOICES)
def receivables(request):
    return list_response(
        request,
        selectors.receivables(tenant=request.tenant),
        template="invoicing/receivables.html",
        columns=RECEIVABLE_COLUMNS,
        default_sort="-overdue_total",
        csv_filename="receivables",
    )


def _detail_page(request, pk: int, *, status: int = 200, refusal: str = "", **forms_given):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    lines = selectors.invoice_lines(tenant=request.tenant, invoice=invoice)
    context = {
        "invoice": invoice,
        "lines": lines,
        "payments": selectors.invoice_payments(tenant=request.tenant, invoice=invoice),
        "credit_notes": selectors.invoice_credit_notes(tenant=request.tenant, invoice=invoice),
        "can_manage": request_can(request, MANAGE_INVOICES),
        "is_overdue": invoice.is_overdue(request.tenant.today()),
        "refusal": refusal,
        "payment_form": forms_given.get("payment_form")
        or forms.PaymentForm(initial={"amount": invoice.open_amount, "paid_on": None}),
        "notes_form": forms_given.get("notes_form")
        or forms.NotesForm(initial={"notes": invoice.notes}),
    }
    return render(request, "invoicing/invoice_detail.html", context, status=status)


@capability_required(VIEW_INVOICES)
def invoice_detail(request, pk: int):
    return _detail_page(request, pk)


@capability_required(VIEW_INVOICES)
def invoice_pdf(request, pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    pdf = render_invoice_pdf(tenant=request.tenant, invoice=invoice)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response


@capability_required(MANAGE_INVOICES)
def draft_line_add(request):
    initial = {"customer": request.GET.get("customer") or None}
    form = forms.DraftLineForm(
        request.POST if request.method == "POST" else None, initial=initial, tenant=request.tenant
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> str:
            draft = services.add_to_draft_invoice(
                tenant=request.tenant,
                customer=data["customer"],
                currency=data["currency"],
                lines=[
                    services.DraftLine(
                        description=data["description"],
                        quantity=data["quantity"],
                        unit=data["unit"],
                        unit_price=data["unit_price"],
                        source="manual",
                        tax_rate=data["tax_rate"],
                    )
                ],
                by=request.user,
            )
            messages.success(request, _("The line is on the draft invoice."))
            return _detail_url(draft.pk)

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
    return render(request, "invoicing/draft_line_form.html", {"form": form})


@capability_required(MANAGE_INVOICES)
def invoice_notes(request, pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.NotesForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, pk, status=400, notes_form=form)
    try:
        services.invoice_update_notes(
            tenant=request.tenant,
            by=request.user,
            invoice_id=invoice.pk,
            notes=form.cleaned_data["notes"],
        )
    except services.InvoiceConflict:
        return _detail_page(request, pk, status=409, refusal=_("The invoice is no longer a draft."))
    messages.success(request, _("Note saved."))
    return redirect(_detail_url(pk))


@capability_required(MANAGE_INVOICES)
def invoice_issue(request, pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=_("Issue this invoice?"),
        consequence=_(
            "It gets the next invoice number of this year and can no longer be changed; "
            "it is sent to the customer's billing e-mail. Corrections need a credit note."
        ),
        button=_("Issue invoice"),
        cancel_url=_detail_url(pk),
        form=form,
        danger=False,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        issued = services.invoice_issue(tenant=request.tenant, by=request.user, invoice_id=pk)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.htmx:
            return confirmation_refused(request, confirmation, message)
        return _detail_page(request, pk, status=400, refusal=message)
    except services.InvoiceConflict:
        message = _("Someone else changed this invoice first; this is how it is now.")
        if request.htmx:
            return confirmation_refused(request, confirmation, message)
        return _detail_page(request, pk, status=409, refusal=message)
    messages.success(request, _("Invoice %(number)s issued.") % {"number": issued.number})
    return confirmed_redirect(request, _detail_url(invoice.pk))


# At most this many drafts are issued by one confirmation (one transaction).
BULK_ISSUE_LIMIT = 500


def _drafts_of_list(request) -> list:
    """The drafts (invoices, not credit notes) the invoice list shows with the request's
    filters, oldest first, at most BULK_ISSUE_LIMIT."""
    filters = forms.InvoiceFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.invoice_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        state=InvoiceState.DRAFT,
        kind=InvoiceKind.INVOICE,
        customer_id=data["customer"].pk if data.get("customer") else None,
    )
    return list(qs.order_by("pk")[:BULK_ISSUE_LIMIT])


@capability_required(MANAGE_INVOICES)
def invoice_issue_drafts(request):
    """Issue the drafts the list shows (its filters kept), after a confirmation that names
    how many and which; numbered consecutively, mailed by a worker after commit."""
    drafts = [] if request.method == "POST" else _drafts_of_list(request)
    list_url = reverse("invoicing:invoice_list") + "?state=draft"
    form = confirmation_form(
        request,
        forms.BulkIssueConfirmationForm,
        initial={"ids": ",".join(str(draft.pk) for draft in drafts)},
    )
    count = len(drafts)
    confirmation = Confirmation(
        title=ngettext("Issue %(count)s draft invoice?", "Issue %(count)s draft invoices?", count)
        % {"count": count},
        consequence=_(
            "Each gets the next invoice number of this year, dated today, and can no longer be "
            "changed; they are sent to the customers' billing e-mails. Corrections need credit "
            "notes. A draft without lines or with a total below zero is left as a draft."
        ),
        button=_("Issue invoices"),
        cancel_url=list_url,
        form=form,
        danger=False,
        effects=(
            (
                _("Only the first %(limit)s drafts are issued now; issue again for the rest.")
                % {"limit": BULK_ISSUE_LIMIT},
            )
            if count >= BULK_ISSUE_LIMIT
            else ()
        ),
        affected=tuple(f"{draft} · {draft.customer.name}" for draft in drafts[:5]),
    )
    if request.method != "POST" and not drafts:
        return confirmation_response(
            request, replace(confirmation, refusal=_("No drafts to issue."))
        )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    result = services.invoices_issue(
        tenant=request.tenant, by=request.user, invoice_ids=form.cleaned_data["ids"]
    )
    if result.issued:
        messages.success(
            request,
            ngettext(
                "%(count)s invoice issued: %(first)s.",
                "%(count)s invoices issued: %(first)s to %(last)s.",
                len(result.issued),
            )
            % {
                "count": len(result.issued),
                "first": result.issued[0].number,
                "last": result.issued[-1].number,
            },
        )
    for draft, reason in result.refused:
        messages.warning(request, f"{draft} ({draft.customer.name}): {reason}")
    return confirmed_redirect(request, list_url)


@capability_required(MANAGE_INVOICES)
def invoice_cancel(request, pk: int):
    get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=_("Cancel this draft?"),
        consequence=_(
            "Its lines are taken off; posted service orders can be posted again and "
            "subscription fees are billed again by the next billing run. This cannot be undone."
        ),
        button=_("Cancel draft"),
        cancel_url=_detail_url(pk),
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        services.invoice_cancel(tenant=request.tenant, by=request.user, invoice_id=pk)
    except services.InvoiceConflict:
        message = _("Someone else changed this invoice first; this is how it is now.")
        if request.htmx:
            return confirmation_refused(request, confirmation, message)
        return _detail_page(request, pk, status=409, refusal=message)
    messages.success(request, _("The draft is cancelled."))
    return confirmed_redirect(request, _detail_url(pk))


@capability_required(MANAGE_INVOICES)
def draft_line_remove(request, pk: int, line_pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    lines = {
        line.pk: line for line in selectors.invoice_lines(tenant=request.tenant, invoice=invoice)
    }
    if line_pk not in lines:
        raise Http404
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=_("Remove “%(line)s” from the draft?") % {"line": lines[line_pk].description},
        consequence=_("Where it came from, it can be billed again."),
        button=_("Remove line"),
        cancel_url=_detail_url(pk),
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        services.draft_line_remove(tenant=request.tenant, by=request.user, line_id=line_pk)
    except services.InvoiceConflict:
        message = _("The invoice is no longer a draft.")
        if request.htmx:
            return confirmation_refused(request, confirmation, message)
        return _detail_page(request, pk, status=409, refusal=message)
    messages.success(request, _("Line removed."))
    return confirmed_redirect(request, _detail_url(pk))


@capability_required(MANAGE_INVOICES)
def payment_add(request, pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.PaymentForm(request.POST)
    if form.is_valid():

        def create() -> str:
            services.payment_record(
                tenant=request.tenant,
                by=request.user,
                invoice_id=invoice.pk,
                **form.cleaned_data,
            )
            messages.success(request, _("Payment recorded."))
            return _detail_url(pk)

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.InvoiceConflict:
            return _detail_page(
                request,
                pk,
                status=409,
                refusal=_("This invoice takes no payments in its current state."),
            )
    return _detail_page(request, pk, status=400, payment_form=form)


@capability_required(MANAGE_INVOICES)
def credit_note_create(request, pk: int):
    invoice = get_or_404(selectors.invoice_get, tenant=request.tenant, pk=pk)
    if invoice.is_credit_note or invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
        return _detail_page(
            request, pk, status=409, refusal=_("Only an issued invoice can be credited.")
        )
    lines = selectors.invoice_lines(tenant=request.tenant, invoice=invoice)
    credited = selectors.credited_per_line(tenant=request.tenant, invoice=invoice)
    left = {line.pk: line.amount - credited.get(line.pk, Decimal("0")) for line in lines}
    form = forms.CreditForm(
        request.POST if request.method == "POST" else None, lines=lines, left=left
    )
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            note = services.credit_note_create(
                tenant=request.tenant,
                by=request.user,
                invoice_id=invoice.pk,
                amounts=form.amounts(),
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return _detail_url(note.pk)

        try:
            if url := create_once_url(request, form, create):
                return redirect(url)
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.InvoiceConflict:
            return _detail_page(
                request, pk, status=409, refusal=_("Only an issued invoice can be credited.")
            )
    rows = [(line, form[f"line_{line.pk}"], left[line.pk]) for line in lines]
    return render(
        request,
        "invoicing/credit_form.html",
        {"form": form, "invoice": invoice, "rows": rows},
        status=400 if form.is_bound and form.errors else 200,
    )
