"""Reads of the invoice ledger: every function takes the tenant and filters by it."""

from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from tenancy.models import Tenant

from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceState, InvoicingSettings, Payment


def invoicing_settings(*, tenant: Tenant) -> InvoicingSettings:
    """The tenant's invoicing settings (an unsaved row with the defaults while there is none)."""
    found = InvoicingSettings.objects.for_tenant(tenant).first()
    return found if found is not None else InvoicingSettings(tenant=tenant)


def may_post(*, tenant: Tenant, role: str | None) -> bool:
    """Dispatchers post service orders only where the tenant allows it (managers always)."""
    from tenancy.roles import Role

    if role == Role.DISPATCHER:
        return invoicing_settings(tenant=tenant).dispatchers_may_post
    return True


def posting_requires_signoff(*, tenant: Tenant) -> bool:
    return invoicing_settings(tenant=tenant).posting_requires_signoff


def invoice_list(
    *,
    tenant: Tenant,
    search: str = "",
    state: str = "",
    kind: str = "",
    customer_id: int | None = None,
    issued_from=None,
    issued_to=None,
    overdue: bool = False,
):
    qs = Invoice.objects.for_tenant(tenant).select_related("customer")
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer__number__icontains=search)
        )
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    if overdue:
        qs = qs.filter(
            kind=InvoiceKind.INVOICE, state=InvoiceState.ISSUED, due_date__lt=tenant.today()
        )
    return qs.annotate(
        open_total=Case(
            When(
                kind=InvoiceKind.INVOICE,
                state=InvoiceState.ISSUED,
                then=F("gross_total") - F("paid_total") - F("credited_total"),
            ),
            default=Value(Decimal("0")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def invoice_get(*, tenant: Tenant, pk: int) -> Invoice:
    return (
        Invoice.objects.for_tenant(tenant)
        .select_related("customer", "credited_invoice", "issued_by")
        .get(pk=pk)
    )


def invoice_lines(*, tenant: Tenant, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .select_related("item", "service_object", "credited_line")
    )


def invoice_payments(*, tenant: Tenant, invoice: Invoice) -> list[Payment]:
    return list(
        Payment.objects.for_tenant(tenant).filter(invoice=invoice).select_related("recorded_by")
    )


def invoice_credit_notes(*, tenant: Tenant, invoice: Invoice) -> list[Invoice]:
    return list(
        Invoice.objects.for_tenant(tenant)
        .filter(credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE)
        .order_by("id")
    )


def credited_per_line(*, tenant: Tenant, invoice: Invoice) -> dict[int, Decimal]:
    return dict(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(credited_line__invoice=invoice, invoice__kind=InvoiceKind.CREDIT_NOTE)
        .values("credited_line")
        .annotate(total=Sum("amount"))
        .values_list("credited_line", "total")
    )


def receivables(*, tenant: Tenant):
    """Per customer and currency, what is open on issued invoices and how much is overdue: one
    row per (customer, currency), carried by the group's first open invoice (so the rows are
    invoices, sortable and paginated like any list), with the group's sums as annotations."""
    today = tenant.today()
    money = DecimalField(max_digits=14, decimal_places=2)
    open_expr = F("gross_total") - F("paid_total") - F("credited_total")
    issued = Invoice.objects.for_tenant(tenant).filter(
        kind=InvoiceKind.INVOICE, state=InvoiceState.ISSUED
    )
    group = issued.filter(customer_id=OuterRef("customer_id"), currency=OuterRef("currency"))

    def per_group(expression, **filters):
        return Subquery(
            group.filter(**filters)
            .order_by()
            .values("customer_id")
            .annotate(value=expression)
            .values("value")[:1]
        )

    firsts = issued.order_by().values("customer_id", "currency").annotate(first=Min("id"))
    return (
        issued.filter(id__in=firsts.values("first"))
        .select_related("customer")
        .annotate(
            open_total=per_group(Sum(open_expr, output_field=money)),
            overdue_total=Coalesce(
                per_group(Sum(open_expr, output_field=money), due_date__lt=today),
                Value(Decimal("0")),
                output_field=money,
            ),
            invoice_count=per_group(Count("id")),
            oldest_due=per_group(Min("due_date")),
        )
    )


def customer_invoices(*, tenant: Tenant, customer, limit: int = 10) -> list[Invoice]:
    return list(
        Invoice.objects.for_tenant(tenant)
        .filter(customer=customer)
        .exclude(state=InvoiceState.CANCELLED)
        .order_by("-id")[:limit]
    )


def customer_choices(*, tenant: Tenant):
    return Customer.objects.for_tenant(tenant).order_by("name")


def customer_returnable_lines(*, tenant: Tenant, customer):
    """The lines of a customer's issued invoices, newest invoice first: what goods coming back
    (a return) are picked from."""
    return (
        InvoiceLine.objects.for_tenant(tenant)
        .filter(
            invoice__customer=customer,
            invoice__kind=InvoiceKind.INVOICE,
            invoice__state__in=[InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.CREDITED],
            quantity__gt=0,
            amount__gte=0,
        )
        .select_related("invoice", "item", "service_object")
        .order_by("-invoice__issue_date", "-invoice_id", "position", "id")
    )


def invoice_line_locked(*, tenant: Tenant, pk: int) -> InvoiceLine:
    """One invoice line, locked until the caller's transaction ends (a return checks what is
    left to return of it under this lock)."""
    return (
        InvoiceLine.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("invoice", "item", "service_object")
        .get(pk=pk)
    )
