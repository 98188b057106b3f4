"""Issuing, cancelling, paying and crediting invoices.

Each action locks the invoice (``select_for_update``), re-checks the transition after the lock
and raises ``InvoiceConflict`` when another request changed the invoice first (the view answers
409 with the current state). Issuing locks the tenant's counter row for the year, so numbers are
gapless under concurrent issue; the e-mail goes after commit.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer
from tenancy.models import Tenant, User
from tenancy.services import audit_record, audit_record_many

from .. import hooks
from ..models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Payment,
)
from ..money import round_money
from ..selectors import invoicing_settings
from .drafts import recompute_totals, tax_of

PREFIX = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class InvoiceConflict(Exception):
    """The invoice is no longer in a state that allows the action (someone else was first)."""

    def __init__(self, invoice: Invoice):
        super().__init__(invoice.state)
        self.invoice = invoice


def _locked(tenant: Tenant, invoice_id: int) -> Invoice:
    return (
        Invoice.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=invoice_id)
    )


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{PREFIX[kind]}-{year}-{sequence:05d}"


def next_sequence(*, tenant: Tenant, kind: str, year: int) -> int:
    """The next place in the tenant's (kind, year) numbering. One statement creates the counter
    row or raises it, and keeps it locked until the caller's transaction ends: two issuing
    transactions queue here, and a rolled-back one gives its number back, so numbers never skip
    or repeat."""
    return take_sequences(tenant=tenant, kind=kind, year=year, count=1)[0]


def take_sequences(*, tenant: Tenant, kind: str, year: int, count: int) -> range:
    """The next ``count`` places in the tenant's (kind, year) numbering, consecutive, in one
    statement (the counter row raised by ``count`` and locked until the transaction ends)."""
    table = InvoiceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, kind, year, last_value) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (tenant_id, kind, year) "
            f"DO UPDATE SET last_value = {table}.last_value + EXCLUDED.last_value "
            "RETURNING last_value",
            [tenant.pk, kind, year, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def _give_number(
    tenant: Tenant, invoice: Invoice, issue_date: datetime.date, *, check: bool = False
) -> None:
    invoice.year = issue_date.year
    invoice.sequence = next_sequence(tenant=tenant, kind=invoice.kind, year=issue_date.year)
    if check:
        _check_issue_date(tenant, invoice.kind, issue_date)
    invoice.number = format_number(invoice.kind, invoice.year, invoice.sequence)
    invoice.issue_date = issue_date


def _freeze_customer(tenant: Tenant, invoice: Invoice, customer: Customer) -> None:
    invoice.bill_to_name = customer.name
    invoice.bill_to_address = customer.billing_address
    invoice.bill_to_tax_id = customer.tax_id
    invoice.language = customer.language or tenant.default_language


def _mail_after_commit(tenant: Tenant, invoice: Invoice) -> None:
    """Send the document once the transaction commits (nothing to do without an address)."""
    from ..documents import mail_invoice

    if not invoice.customer.invoice_email:
        return
    transaction.on_commit(
        lambda: mail_invoice(tenant_id=tenant.pk, invoice_id=invoice.pk), robust=True
    )


def _check_issue_date(tenant: Tenant, kind: str, issue_date: datetime.date) -> None:
    """Numbers follow dates: an invoice date may lie in the past (the last day of the month
    worked), but never before the date of the last invoice issued, nor in the future. Called
    with the counter locked, so no one issues in between."""
    if issue_date > tenant.today():
        raise ValidationError({"issue_date": _("The invoice date cannot be in the future.")})
    latest = (
        Invoice.objects.for_tenant(tenant)
        .filter(kind=kind, sequence__isnull=False)
        .order_by("-issue_date")
        .values_list("issue_date", flat=True)
        .first()
    )
    if latest and issue_date < latest:
        raise ValidationError(
            {
                "issue_date": _(
                    "An invoice was already issued on %(date)s: the invoice date cannot be earlier."
                )
                % {"date": formats.date_format(latest, "SHORT_DATE_FORMAT")}
            }
        )


@transaction.atomic
def invoice_issue(
    *,
    tenant: Tenant,
    by: User | None,
    invoice_id: int,
    issue_date: datetime.date | None = None,
) -> Invoice:
    """Give the draft the next number of its year, freeze it, and mail it after commit.
    ``issue_date`` (default: today in the tenant's zone) may not precede the last invoice's."""
    invoice = _locked(tenant, invoice_id)
    if not can_proceed(invoice.issue):
        raise InvoiceConflict(invoice)
    lines = list(InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice))
    if not lines:
        raise ValidationError(_("An invoice without lines cannot be issued."))
    recompute_totals(invoice, lines)
    if invoice.gross_total < 0:
        raise ValidationError(
            _("The total is below zero: credit the invoices concerned instead of issuing this.")
        )
    today = issue_date or tenant.today()
    customer = invoice.customer
    _freeze_customer(tenant, invoice, customer)
    _give_number(tenant, invoice, today, check=issue_date is not None)
    terms = customer.payment_terms_days
    if terms is None:
        terms = invoicing_settings(tenant=tenant).payment_terms_days
    invoice.due_date = today + datetime.timedelta(days=terms)
    invoice.issued_at = timezone.now()
    invoice.issued_by = by
    invoice.issue()
    invoice.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoicing.issue",
        target=invoice,
        params={"number": invoice.number},
    )
    hooks.run_issued(tenant=tenant, invoice=invoice, lines=lines)
    _mail_after_commit(tenant, invoice)
    return invoice


@dataclass
class BulkIssue:
    """What ``invoices_issue`` did: the invoices issued (numbered in id order) and, for each
    draft it could not issue, why."""

    issued: list[Invoice] = field(default_factory=list)
    refused: list[tuple[Invoice, str]] = field(default_factory=list)


# The columns issuing writes, set for a whole batch by one UPDATE … FROM (VALUES …).
_ISSUE_COLUMNS = (
    ("state", "text"),
    ("number", "text"),
    ("year", "integer"),
    ("sequence", "integer"),
    ("issue_date", "date"),
    ("due_date", "date"),
    ("bill_to_name", "text"),
    ("bill_to_address", "text"),
    ("bill_to_tax_id", "text"),
    ("language", "text"),
    ("net_total", "numeric"),
    ("tax_total", "numeric"),
    ("gross_total", "numeric"),
    ("issued_at", "timestamptz"),
    ("issued_by_id", "bigint"),
)


def _update_issued(tenant: Tenant, invoices: list[Invoice]) -> None:
    columns = [name for name, _type in _ISSUE_COLUMNS]
    row = "(%s::bigint, " + ", ".join(f"%s::{kind}" for _name, kind in _ISSUE_COLUMNS) + ")"
    params: list = []
    for invoice in invoices:
        params.append(invoice.pk)
        params.extend(getattr(invoice, name) for name in columns)
    table = Invoice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS i SET "
            + ", ".join(f"{name} = v.{name}" for name in columns)
            + f" FROM (VALUES {', '.join([row] * len(invoices))}) AS v (id, {', '.join(columns)})"
            " WHERE i.tenant_id = %s AND i.id = v.id",
            [*params, tenant.pk],
        )


@transaction.atomic
def invoices_issue(*, tenant: Tenant, by: User | None, invoice_ids) -> BulkIssue:
    """Issue many drafts at once, dated today (the list's "Issue" for the drafts chosen): the
    same checks and numbers as ``invoice_issue``, numbered consecutively in id order, in a
    constant number of statements (drafts locked in id order, their lines read, the numbers
    taken with one counter statement, the invoices written with one UPDATE, one audit INSERT).
    A draft that cannot be issued (no lines, a total below zero, no longer a draft) is left as
    it is and reported; the others are issued. The e-mails go after commit, by a worker."""
    result = BulkIssue()
    ids = sorted({int(pk) for pk in invoice_ids})
    if not ids:
        return result
    invoices = list(
        Invoice.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=ids, kind=InvoiceKind.INVOICE)
        .order_by("pk")
    )
    lines: dict[int, list[InvoiceLine]] = {}
    for line in InvoiceLine.objects.for_tenant(tenant).filter(
        invoice_id__in=[invoice.pk for invoice in invoices]
    ):
        lines.setdefault(line.invoice_id, []).append(line)
    ready = []
    for invoice in invoices:
        if not can_proceed(invoice.issue):
            result.refused.append((invoice, _("It is no longer a draft.")))
        elif not lines.get(invoice.pk):
            result.refused.append((invoice, _("An invoice without lines cannot be issued.")))
        else:
            recompute_totals(invoice, lines[invoice.pk])
            if invoice.gross_total < 0:
                result.refused.append(
                    (invoice, _("The total is below zero: credit the invoices concerned instead."))
                )
            else:
                ready.append(invoice)
    if not ready:
        return result
    today = tenant.today()
    now = timezone.now()
    default_terms = None
    numbers = take_sequences(
        tenant=tenant, kind=InvoiceKind.INVOICE, year=today.year, count=len(ready)
    )
    for invoice, sequence in zip(ready, numbers, strict=True):
        customer = invoice.customer
        _freeze_customer(tenant, invoice, customer)
        invoice.year, invoice.sequence, invoice.issue_date = today.year, sequence, today
        invoice.number = format_number(invoice.kind, invoice.year, sequence)
        terms = customer.payment_terms_days
        if terms is None:
            if default_terms is None:
                default_terms = invoicing_settings(tenant=tenant).payment_terms_days
            terms = default_terms
        invoice.due_date = today + datetime.timedelta(days=terms)
        invoice.issued_at = now
        invoice.issued_by = by
        invoice.issue()
    _update_issued(tenant, ready)
    audit_record_many(
        tenant=tenant,
        actor=by,
        action="invoicing.issue",
        entries=[(invoice, {"number": invoice.number}) for invoice in ready],
    )
    for invoice in ready:
        hooks.run_issued(tenant=tenant, invoice=invoice, lines=lines[invoice.pk])
    mailed = [invoice.pk for invoice in ready if invoice.customer.invoice_email]
    if mailed:
        from ..tasks import mail_invoices  # the task module imports the services

        kwargs = {"tenant_id": tenant.pk, "invoice_ids": mailed}
        transaction.on_commit(lambda: mail_invoices.apply_async(kwargs=kwargs), robust=True)
    result.issued = ready
    return result


@transaction.atomic
def invoice_cancel(*, tenant: Tenant, by: User | None, invoice_id: int) -> Invoice:
    """Cancel a draft: it never had a number, so it leaves no gap. Its lines are removed and
    their sources told (posted order lines become postable again)."""
    invoice = _locked(tenant, invoice_id)
    if not can_proceed(invoice.cancel):
        raise InvoiceConflict(invoice)
    _release_lines(tenant, InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice))
    invoice.cancel()
    invoice.net_total = invoice.tax_total = invoice.gross_total = Decimal("0")
    invoice.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoicing.cancel",
        target=invoice,
        params={"id": invoice.pk},
    )
    return invoice


def _release_lines(tenant: Tenant, lines) -> None:
    released: dict[str, list[int]] = {}
    for source, source_id in lines.values_list("source", "source_id"):
        if source and source_id is not None:
            released.setdefault(source, []).append(source_id)
    lines.delete()
    hooks.run_release(tenant=tenant, source_ids=released)


@transaction.atomic
def draft_line_remove(*, tenant: Tenant, by: User | None, line_id: int) -> Invoice:
    """Take one line off a draft (its source may bill it again)."""
    line = InvoiceLine.objects.for_tenant(tenant).get(pk=line_id)
    invoice = _locked(tenant, line.invoice_id)
    if invoice.state != InvoiceState.DRAFT:
        raise InvoiceConflict(invoice)
    _release_lines(tenant, InvoiceLine.objects.for_tenant(tenant).filter(pk=line_id))
    recompute_totals(invoice)
    invoice.save(update_fields=["net_total", "tax_total", "gross_total"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoicing.line_remove",
        target=invoice,
        params={"description": line.description},
    )
    return invoice


@transaction.atomic
def invoice_update_notes(*, tenant: Tenant, by: User | None, invoice_id: int, notes: str):
    invoice = _locked(tenant, invoice_id)
    if invoice.state != InvoiceState.DRAFT:
        raise InvoiceConflict(invoice)
    invoice.notes = notes.strip()
    invoice.save(update_fields=["notes"])
    return invoice


@transaction.atomic
def payment_record(
    *,
    tenant: Tenant,
    by: User | None,
    invoice_id: int,
    amount: Decimal,
    paid_on: datetime.date,
    reference: str = "",
) -> Payment:
    """Record money received; the invoice is paid once nothing is left open."""
    invoice = _locked(tenant, invoice_id)
    if invoice.is_credit_note or invoice.state != InvoiceState.ISSUED:
        raise InvoiceConflict(invoice)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    amount = round_money(amount, invoice.currency)
    if amount > invoice.open_amount:
        raise ValidationError(
            {
                "amount": _("Only %(open)s is still open on this invoice.")
                % {"open": invoice.open_amount}
            }
        )
    if paid_on > tenant.today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if invoice.issue_date and paid_on < invoice.issue_date:
        raise ValidationError({"paid_on": _("The payment date cannot be before the invoice date.")})
    payment = Payment.objects.create(
        tenant=tenant,
        invoice=invoice,
        amount=amount,
        paid_on=paid_on,
        reference=reference.strip(),
        recorded_by=by,
    )
    invoice.paid_total += amount
    if invoice.open_amount == 0:
        invoice.settle()
    invoice.save(update_fields=["paid_total", "state"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoicing.payment",
        target=invoice,
        params={"number": invoice.number, "amount": str(amount)},
    )
    return payment


@transaction.atomic
def credit_note_create(
    *,
    tenant: Tenant,
    by: User | None,
    invoice_id: int,
    amounts: dict[int, Decimal],
    reason: str = "",
) -> Invoice:
    """Issue a credit note for an issued (or paid) invoice: ``amounts`` maps the invoice's line
    ids to the net amount credited on each (at most what is left of the line). The credit note
    is numbered at once (its own gapless series per year); the invoice becomes credited once
    nothing of it is left to credit."""
    invoice = _locked(tenant, invoice_id)
    if invoice.is_credit_note or invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
        raise InvoiceConflict(invoice)
    lines = {
        line.pk: line for line in InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice)
    }
    already = dict(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(
            credited_line__in=list(lines),
            invoice__state__in=[InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.CREDITED],
        )
        .values("credited_line")
        .annotate(total=Sum("amount"))
        .values_list("credited_line", "total")
    )
    chosen = {}
    for line_id, amount in amounts.items():
        if line_id not in lines:
            raise ValidationError({"lines": _("Choose lines of this invoice.")})
        if amount is None or amount == 0:
            continue
        amount = round_money(Decimal(amount), invoice.currency)
        line = lines[line_id]
        left = line.amount - already.get(line_id, Decimal("0"))
        if (line.amount >= 0 and not Decimal("0") < amount <= left) or (
            line.amount < 0 and not left <= amount < Decimal("0")
        ):
            raise ValidationError(
                {
                    "lines": _("“%(line)s”: at most %(left)s can still be credited.")
                    % {"line": line.description, "left": left}
                }
            )
        chosen[line_id] = amount
    if not chosen:
        raise ValidationError({"lines": _("Enter an amount to credit on at least one line.")})
    credit_tax = sum(
        (tax_of(amount, lines[pk].tax_rate, invoice.currency) for pk, amount in chosen.items()),
        Decimal("0"),
    )
    credit_net = sum(chosen.values(), Decimal("0"))
    if credit_net + credit_tax <= 0:
        raise ValidationError({"lines": _("A credit note must credit more than zero.")})
    if credit_net + credit_tax > invoice.creditable_amount:
        raise ValidationError(
            {
                "lines": _("At most %(left)s of this invoice can still be credited.")
                % {"left": invoice.creditable_amount}
            }
        )
    today = tenant.today()
    note = Invoice(
        tenant=tenant,
        kind=InvoiceKind.CREDIT_NOTE,
        customer=invoice.customer,
        currency=invoice.currency,
        credited_invoice=invoice,
        notes=reason.strip(),
        issued_at=timezone.now(),
        issued_by=by,
        due_date=today,
    )
    _freeze_customer(tenant, note, invoice.customer)
    note.bill_to_name = invoice.bill_to_name
    note.bill_to_address = invoice.bill_to_address
    note.bill_to_tax_id = invoice.bill_to_tax_id
    note.language = invoice.language
    _give_number(tenant, note, today)
    note.state = InvoiceState.ISSUED
    note.save()
    credit_lines = InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                tenant=tenant,
                invoice=note,
                kind=lines[pk].kind,
                description=lines[pk].description,
                quantity=Decimal("1"),
                unit=lines[pk].unit,
                unit_price=amount,
                amount=amount,
                tax_rate=lines[pk].tax_rate,
                source=lines[pk].source,
                period_start=lines[pk].period_start,
                period_end=lines[pk].period_end,
                item_id=lines[pk].item_id,
                service_object_id=lines[pk].service_object_id,
                task_id=lines[pk].task_id,
                credited_line=lines[pk],
                position=lines[pk].position,
            )
            for pk, amount in chosen.items()
        ]
    )
    recompute_totals(note)
    note.save(update_fields=["net_total", "tax_total", "gross_total"])
    Invoice.objects.for_tenant(tenant).filter(pk=invoice.pk).update(
        credited_total=F("credited_total") + note.gross_total
    )
    invoice.credited_total += note.gross_total
    if invoice.creditable_amount <= 0:
        invoice.credit()
        invoice.save(update_fields=["state"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoicing.credit",
        target=invoice,
        params={"number": invoice.number, "credit_note": note.number},
    )
    hooks.run_credited(tenant=tenant, credit_note=note, invoice=invoice, lines=credit_lines)
    _mail_after_commit(tenant, note)
    return note
