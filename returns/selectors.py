"""Reads of returns: every function takes the tenant and filters by it."""

from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from invoicing import selectors as invoicing_selectors
from tenancy.models import Tenant

from .models import ReturnCredit, ReturnLine, ReturnOrder, ReturnReason, ReturnState


def _count(lines) -> Subquery:
    counted = lines.order_by().values("return_order").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def return_list(
    *,
    tenant: Tenant,
    search: str = "",
    state: str = "",
    customer_id: int | None = None,
    reason_id: int | None = None,
    deadline_from=None,
    deadline_to=None,
    overdue: bool = False,
) -> QuerySet:
    # The line counts are subqueries, not a join with GROUP BY: PostgreSQL computes them for
    # the rows of the page only, not for every return before sorting.
    lines = ReturnLine.objects.filter(tenant=tenant, return_order=OuterRef("pk"))
    qs = (
        ReturnOrder.objects.for_tenant(tenant)
        .select_related("customer", "reason")
        .annotate(
            line_count=_count(lines),
            open_line_count=_count(lines.filter(disposition="")),
        )
    )
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer__number__icontains=search)
            | Exists(lines.filter(serial_number__icontains=search))
        )
    if state:
        qs = qs.filter(state=state)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if reason_id:
        qs = qs.filter(reason_id=reason_id)
    if deadline_from:
        qs = qs.filter(deadline__gte=deadline_from)
    if deadline_to:
        qs = qs.filter(deadline__lte=deadline_to)
    if overdue:
        qs = qs.filter(
            state__in=[ReturnState.CREATED, ReturnState.OPEN], deadline__lt=tenant.today()
        )
    return qs


def return_get(*, tenant: Tenant, pk: int) -> ReturnOrder:
    return (
        ReturnOrder.objects.for_tenant(tenant)
        .select_related("customer", "reason", "created_by")
        .get(pk=pk)
    )


def return_lines(*, tenant: Tenant, return_order: ReturnOrder) -> list[ReturnLine]:
    """The lines with their invoice, item, object, orders and the credit note of each."""
    lines = list(
        ReturnLine.objects.for_tenant(tenant)
        .filter(return_order=return_order)
        .select_related(
            "invoice",
            "invoice_line",
            "item",
            "service_object",
            "replacement_order",
            "repair_order",
            "disposed_by",
        )
        .order_by("position", "id")
    )
    credits = {
        credit.line_id: credit
        for credit in ReturnCredit.objects.for_tenant(tenant)
        .filter(line__return_order=return_order)
        .select_related("credit_note")
    }
    for line in lines:
        line.credit = credits.get(line.pk)
    return lines


def return_line_get(*, tenant: Tenant, return_order: ReturnOrder, pk: int) -> ReturnLine:
    return (
        ReturnLine.objects.for_tenant(tenant)
        .select_related("invoice", "invoice_line", "item", "service_object")
        .get(pk=pk, return_order=return_order)
    )


def returned_quantities(*, tenant: Tenant, invoice_line_ids) -> dict[int, Decimal]:
    """Per invoice line, what returns not cancelled already take back."""
    return dict(
        ReturnLine.objects.for_tenant(tenant)
        .filter(invoice_line_id__in=list(invoice_line_ids))
        .exclude(return_order__state=ReturnState.CANCELLED)
        .values("invoice_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("invoice_line_id", "total")
    )


def returnable_lines(*, tenant: Tenant, customer: Customer, limit: int = 200) -> list:
    """The customer's invoice lines with what is left to return of each (lines fully returned
    left out), newest invoice first."""
    lines = list(
        invoicing_selectors.customer_returnable_lines(tenant=tenant, customer=customer)[:limit]
    )
    returned = returned_quantities(tenant=tenant, invoice_line_ids=[line.pk for line in lines])
    found = []
    for line in lines:
        line.left_to_return = line.quantity - returned.get(line.pk, Decimal("0"))
        if line.left_to_return > 0:
            found.append(line)
    return found


def reason_list(*, tenant: Tenant) -> QuerySet:
    return ReturnReason.objects.for_tenant(tenant).order_by("-is_active", "code", "id")


def reason_get(*, tenant: Tenant, pk: int) -> ReturnReason:
    return ReturnReason.objects.for_tenant(tenant).get(pk=pk)


def reason_choices(*, tenant: Tenant, include=None) -> QuerySet:
    qs = ReturnReason.objects.for_tenant(tenant)
    if include is not None:
        return qs.filter(Q(is_active=True) | Q(pk=include.pk)).order_by("name")
    return qs.filter(is_active=True).order_by("name")


def customer_choices(*, tenant: Tenant) -> QuerySet:
    return Customer.objects.for_tenant(tenant).order_by("name")


def customer_returns(*, tenant: Tenant, customer: Customer, limit: int = 10) -> list[ReturnOrder]:
    return list(
        ReturnOrder.objects.for_tenant(tenant)
        .filter(customer=customer)
        .select_related("reason")
        .order_by("-created_at", "-id")[:limit]
    )


def invoice_returns(*, tenant: Tenant, invoice) -> list[dict]:
    """The returns taking back goods of ``invoice``: each with the quantity and credit."""
    rows = (
        ReturnLine.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .exclude(return_order__state=ReturnState.CANCELLED)
        .values("return_order_id", "return_order__number", "return_order__state")
        .annotate(quantity=Sum("quantity"))
        .order_by("return_order_id")
    )
    credited = dict(
        ReturnCredit.objects.for_tenant(tenant)
        .filter(line__invoice=invoice)
        .values("line__return_order_id")
        .annotate(total=Sum("amount"))
        .values_list("line__return_order_id", "total")
    )
    states = dict(ReturnState.choices)
    return [
        {
            "pk": row["return_order_id"],
            "number": row["return_order__number"],
            "state": row["return_order__state"],
            "state_label": states.get(row["return_order__state"], row["return_order__state"]),
            "quantity": row["quantity"],
            "credited": credited.get(row["return_order_id"]),
        }
        for row in rows
    ]


def open_return_count(*, tenant: Tenant) -> int:
    return ReturnOrder.objects.for_tenant(tenant).filter(state=ReturnState.OPEN).count()
