"""Draft invoices: the one open draft per customer (invoice account) and currency that
subscriptions, posted service orders and people add lines to."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from customers.models import Customer, Item, LineKind, ServiceObject, ServiceTask
from tenancy.bulk import insert_rows
from tenancy.models import Tenant, User

from ..models import Invoice, InvoiceKind, InvoiceLine, InvoiceState
from ..money import round_money
from ..selectors import invoicing_settings


@dataclass(frozen=True)
class DraftLine:
    """One line to put on a draft invoice.

    ``amount`` is what the line bills; when None it is ``quantity × unit_price``. A prorated fee
    passes the amount it computed (base × factor, rounded half-up) and the factor it used.
    ``source``/``source_id`` say where the line came from ("subscription_fee", 42): the source
    finds its lines back by them and hears through ``invoicing.hooks`` when they are released.
    ``tax_rate`` None: the tenant's default tax rate."""

    description: str
    quantity: Decimal = Decimal("1")
    unit: str = ""
    unit_price: Decimal = Decimal("0")
    amount: Decimal | None = None
    source: str = ""
    source_id: int | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    proration_factor: Decimal | None = None
    item: Item | None = None
    kind: str = LineKind.FEE
    tax_rate: Decimal | None = None
    service_object: ServiceObject | None = None
    task: ServiceTask | None = None


def _bill_to(tenant: Tenant, customer: Customer) -> Customer:
    if customer.tenant_id != tenant.pk:
        raise ValidationError({"customer": _("Choose a customer of this tenant.")})
    if customer.invoice_account_id:
        return Customer.objects.for_tenant(tenant).get(pk=customer.invoice_account_id)
    return customer


def open_draft(*, tenant: Tenant, customer: Customer, currency: str) -> Invoice:
    """The customer's (invoice account's) open draft in that currency, locked; created when
    there is none. Two callers at once end on the same draft (the partial unique constraint
    decides; the loser reads the winner's row)."""
    bill_to = _bill_to(tenant, customer)
    drafts = Invoice.objects.for_tenant(tenant).select_for_update()
    lookup = {
        "kind": InvoiceKind.INVOICE,
        "state": InvoiceState.DRAFT,
        "customer_id": bill_to.pk,
        "currency": currency,
    }
    draft = drafts.filter(**lookup).first()
    if draft is not None:
        return draft
    try:
        with transaction.atomic():
            return Invoice.objects.create(
                tenant=tenant,
                kind=InvoiceKind.INVOICE,
                customer=bill_to,
                currency=currency,
                language=bill_to.language or tenant.default_language,
            )
    except IntegrityError:
        return drafts.get(**lookup)


def _validate(
    tenant: Tenant, currency: str, line: DraftLine, default_rate
) -> tuple[Decimal, Decimal]:
    if not (line.description or "").strip():
        raise ValidationError({"description": _("Describe the line.")})
    if line.quantity is None or Decimal(line.quantity) < 0:
        raise ValidationError({"quantity": _("The quantity cannot be negative.")})
    for field in ("quantity", "unit_price", "amount", "proration_factor", "tax_rate"):
        value = getattr(line, field)
        if value is not None and isinstance(value, float):
            raise ValidationError({field: _("Amounts are exact decimals, never floats.")})
    for related in (line.item, line.service_object, line.task):
        if related is not None and related.tenant_id != tenant.pk:
            raise ValidationError({"item": _("Choose a record of this tenant.")})
    if line.period_start and line.period_end and line.period_end < line.period_start:
        raise ValidationError({"period_end": _("The period cannot end before it starts.")})
    amount = line.amount
    if amount is None:
        amount = Decimal(line.quantity) * Decimal(line.unit_price)
    amount = round_money(Decimal(amount), currency)
    rate = line.tax_rate
    if rate is None:
        rate = default_rate()
    if not Decimal("0") <= Decimal(rate) <= Decimal("100"):
        raise ValidationError({"tax_rate": _("Enter a tax rate between 0 and 100 %.")})
    return amount, Decimal(rate)


def tax_of(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax of one line, rounded per line, half-up."""
    return round_money(amount * rate / Decimal("100"), currency)


@dataclass(frozen=True)
class DraftEntry:
    """Lines for one customer's draft in one currency: an item of ``add_to_draft_invoices``."""

    customer: Customer
    currency: str
    lines: tuple | list = ()


@transaction.atomic
def add_to_draft_invoice(
    *,
    tenant: Tenant,
    customer: Customer,
    currency: str,
    lines,
    by: User | None = None,
) -> Invoice:
    """Append ``lines`` (a sequence of DraftLine) to the open draft of the customer's invoice
    account in ``currency`` (created when there is none) and keep its totals; returns the draft.
    Raises ValidationError (nothing saved) for a line without description, a negative quantity,
    a float amount or another tenant's item."""
    entry = DraftEntry(customer=customer, currency=currency, lines=list(lines))
    return add_to_draft_invoices(tenant=tenant, entries=[entry], by=by)[0]


def _currency(value: str) -> str:
    if not value or len(value) != 3:
        raise ValidationError({"currency": _("Choose a currency.")})
    return value.upper()


def _bill_to_many(tenant: Tenant, customers: list[Customer]) -> dict[int, Customer]:
    """Customer id → the customer the invoice is made out to (its invoice account), with one
    query for all the invoice accounts named."""
    accounts = set()
    for customer in customers:
        if customer.tenant_id != tenant.pk:
            raise ValidationError({"customer": _("Choose a customer of this tenant.")})
        if customer.invoice_account_id:
            accounts.add(customer.invoice_account_id)
    found = {}
    if accounts:
        found = {c.pk: c for c in Customer.objects.for_tenant(tenant).filter(pk__in=accounts)}
        if len(found) != len(accounts):
            raise Customer.DoesNotExist("An invoice account is not a customer of this tenant.")
    return {
        customer.pk: found[customer.invoice_account_id] if customer.invoice_account_id else customer
        for customer in customers
    }


def _open_drafts(
    tenant: Tenant, wanted: dict[tuple[int, str], Customer]
) -> dict[tuple[int, str], Invoice]:
    """The open drafts of ``wanted`` (bill-to customer id, currency) → bill-to customer, locked
    in id order (two batches over the same customers queue instead of deadlocking); the missing
    ones created with one INSERT … ON CONFLICT DO NOTHING, so a draft created at the same time
    by someone else is found, not doubled (the partial unique constraint decides)."""

    def locked(keys) -> dict[tuple[int, str], Invoice]:
        rows = (
            Invoice.objects.for_tenant(tenant)
            .select_for_update()
            .filter(
                kind=InvoiceKind.INVOICE,
                state=InvoiceState.DRAFT,
                customer_id__in={key[0] for key in keys},
                currency__in={key[1] for key in keys},
            )
            .order_by("pk")
        )
        return {
            (row.customer_id, row.currency): row
            for row in rows
            if (row.customer_id, row.currency) in keys
        }

    drafts = locked(set(wanted))
    missing = [key for key in wanted if key not in drafts]
    if missing:
        Invoice.objects.bulk_create(
            [
                Invoice(
                    tenant=tenant,
                    kind=InvoiceKind.INVOICE,
                    customer=wanted[key],
                    currency=key[1],
                    language=wanted[key].language or tenant.default_language,
                )
                for key in missing
            ],
            ignore_conflicts=True,
        )
        drafts.update(locked(set(missing)))
    return drafts


@transaction.atomic
def add_to_draft_invoices(*, tenant: Tenant, entries, by: User | None = None) -> list[Invoice]:
    """``add_to_draft_invoice`` for many customers at once (the billing run's chunk): each
    ``DraftEntry``'s lines go on the open draft of its customer's invoice account in its
    currency. A constant number of statements whatever the number of entries: the drafts found
    (and the missing ones created) in one or three, every line in one INSERT, every draft's
    totals in one UPDATE. Returns the draft of each entry, in order. All or nothing: a refused
    line (ValidationError) saves nothing of the batch, so a caller that wants to isolate one
    customer's failure retries entry by entry."""
    entries = list(entries)
    found = []

    def default_rate() -> Decimal:  # read once per call, and only when a line needs it
        if not found:
            found.append(invoicing_settings(tenant=tenant).default_tax_rate)
        return found[0]

    checked = []
    for entry in entries:
        currency = _currency(entry.currency)
        checked.append(
            (
                currency,
                [(line, *_validate(tenant, currency, line, default_rate)) for line in entry.lines],
            )
        )
    if not entries:
        return []
    bill_to = _bill_to_many(tenant, list({e.customer.pk: e.customer for e in entries}.values()))
    wanted: dict[tuple[int, str], Customer] = {}
    keys = []
    for entry, (currency, _lines) in zip(entries, checked, strict=True):
        account = bill_to[entry.customer.pk]
        keys.append((account.pk, currency))
        wanted[keys[-1]] = account
    drafts = _open_drafts(tenant, wanted)
    rows: list[dict] = []
    totals: dict[int, list[Decimal]] = {}
    for key, (currency, lines) in zip(keys, checked, strict=True):
        draft = drafts[key]
        for line, amount, rate in lines:
            # Plain values, one multi-row INSERT (tenancy.bulk): no model instance per line.
            rows.append(
                {
                    "invoice_id": draft.pk,
                    "kind": line.kind,
                    "description": line.description.strip()[:200],
                    "quantity": Decimal(line.quantity),
                    "unit": line.unit or (line.item.unit if line.item else ""),
                    "unit_price": Decimal(line.unit_price),
                    "amount": amount,
                    "tax_rate": rate,
                    "source": line.source,
                    "source_id": line.source_id,
                    "period_start": line.period_start,
                    "period_end": line.period_end,
                    "proration_factor": line.proration_factor,
                    "item_id": line.item.pk if line.item else None,
                    "service_object_id": line.service_object.pk if line.service_object else None,
                    "task_id": line.task.pk if line.task else None,
                }
            )
            sums = totals.setdefault(draft.pk, [Decimal("0"), Decimal("0")])
            sums[0] += amount
            sums[1] += tax_of(amount, rate, currency)
    if rows:
        for row in rows:
            row["tenant_id"] = tenant.pk
        insert_rows(InvoiceLine, rows)
        _add_totals(tenant, totals)
        for draft in drafts.values():
            if draft.pk in totals:
                net, tax = totals[draft.pk]
                draft.net_total += net
                draft.tax_total += tax
                draft.gross_total += net + tax
    return [drafts[key] for key in keys]


def _add_totals(tenant: Tenant, totals: dict[int, list[Decimal]]) -> None:
    """Every draft's totals raised by what its new lines add, in one statement."""
    table = Invoice._meta.db_table
    values = ", ".join(["(%s::bigint, %s::numeric, %s::numeric)"] * len(totals))
    params: list = []
    for pk, (net, tax) in totals.items():
        params.extend([pk, net, tax])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS i SET net_total = i.net_total + v.net, "
            "tax_total = i.tax_total + v.tax, gross_total = i.gross_total + v.net + v.tax "
            f"FROM (VALUES {values}) AS v (id, net, tax) "
            "WHERE i.tenant_id = %s AND i.id = v.id",
            [*params, tenant.pk],
        )


def recompute_totals(invoice: Invoice, lines=None) -> None:
    """Set the invoice's totals from its lines (tax per line, half-up); ``lines`` when the
    caller has them loaded already."""
    net = tax = Decimal("0")
    if lines is not None:
        pairs = [(line.amount, line.tax_rate) for line in lines]
    else:
        pairs = (
            InvoiceLine.objects.for_tenant(invoice.tenant_id)
            .filter(invoice=invoice)
            .values_list("amount", "tax_rate")
        )
    for amount, rate in pairs:
        net += amount
        tax += tax_of(amount, rate, invoice.currency)
    invoice.net_total, invoice.tax_total, invoice.gross_total = net, tax, net + tax
