"""Reads for service orders and the generation pages. Every function takes the tenant."""

import datetime

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from agreements import selectors as agreement_selectors
from agreements.models import Agreement
from customers import selectors as customer_selectors
from customers.models import Customer, ServiceObject
from tenancy.models import AuditEvent, Tenant

from .models import (
    OPEN_STATES,
    GenerationError,
    GenerationRun,
    OrderGenerationSettings,
    Priority,
    ServiceOrder,
    ServiceOrderLine,
)

# Sorting by priority means most urgent first, not alphabetical.
PRIORITY_RANK = Case(
    When(priority=Priority.HIGH, then=Value(0)),
    When(priority=Priority.NORMAL, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


# Filter values beyond the model's own: every open state at once; orders nobody is assigned to.
OPEN = "open"
NO_TECHNICIAN = "none"


def order_list(
    *,
    tenant: Tenant,
    search: str = "",
    state: str = "",
    priority: str = "",
    origin: str = "",
    customer: Customer | None = None,
    agreement: Agreement | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    conflict: bool | None = None,
    unassigned: bool = False,
) -> QuerySet:
    qs = (
        ServiceOrder.objects.for_tenant(tenant)
        .select_related("customer", "agreement")
        .annotate(priority_rank=PRIORITY_RANK)
    )
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(description__icontains=search))
    if state == OPEN:
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if priority:
        qs = qs.filter(priority=priority)
    if origin:
        qs = qs.filter(origin=origin)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    if date_from:
        qs = qs.filter(preferred_date__gte=date_from)
    if date_to:
        qs = qs.filter(preferred_date__lte=date_to)
    if conflict is not None:
        qs = qs.filter(calendar_conflict=conflict)
    if unassigned:
        qs = qs.filter(preferred_technician__isnull=True)
    return qs


def order_get(*, tenant: Tenant, pk: int) -> ServiceOrder:
    """One order of this tenant with everything its header shows; ServiceOrder.DoesNotExist
    for another tenant's order, like a missing one."""
    return ServiceOrder.objects.select_related(
        "customer",
        "agreement",
        "site",
        "contact",
        "responsible",
        "preferred_technician",
        "created_by",
    ).get(tenant=tenant, pk=pk)


def order_lines(*, tenant: Tenant, order: ServiceOrder) -> list[ServiceOrderLine]:
    return list(
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(order=order)
        .select_related("service_object", "task", "item", "technician")
        .order_by("id")
    )


def order_events(*, tenant: Tenant, order: ServiceOrder) -> QuerySet:
    """The order's timeline: audit events about it, newest first."""
    return (
        AuditEvent.objects.for_tenant(tenant)
        .filter(target_type=ServiceOrder._meta.label_lower, target_id=order.pk)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def agreement_get(*, tenant: Tenant, pk: int) -> Agreement:
    return agreement_selectors.agreement_get(tenant=tenant, pk=pk)


def customer_get(*, tenant: Tenant, pk: int) -> Customer:
    return customer_selectors.customer_get(tenant=tenant, pk=pk)


def customer_has_orders(*, tenant: Tenant, customer: Customer) -> bool:
    return ServiceOrder.objects.for_tenant(tenant).filter(customer=customer).exists()


def agreement_has_orders(*, tenant: Tenant, agreement: Agreement) -> bool:
    return ServiceOrder.objects.for_tenant(tenant).filter(agreement=agreement).exists()


def agreement_line_has_orders(*, tenant: Tenant, line) -> bool:
    return ServiceOrderLine.objects.for_tenant(tenant).filter(agreement_line=line).exists()


def recent_orders(*, tenant: Tenant, limit: int = 20, **filters) -> tuple[list[ServiceOrder], int]:
    """The newest orders matching the filters (for the partials on agreement and customer
    pages), and how many there are in all."""
    qs = ServiceOrder.objects.for_tenant(tenant).filter(**filters)
    newest = list(qs.select_related("customer", "agreement").order_by("-created_at", "-id")[:limit])
    total = len(newest) if len(newest) < limit else qs.count()
    return newest, total


def order_generation_settings(*, tenant: Tenant) -> OrderGenerationSettings:
    """The tenant's settings for generating orders: its row, or the defaults (unsaved) while it
    has none."""
    found = OrderGenerationSettings.objects.for_tenant(tenant).first()
    return found if found is not None else OrderGenerationSettings(tenant=tenant)


def generation_run_list(*, tenant: Tenant) -> QuerySet:
    return GenerationRun.objects.for_tenant(tenant).select_related("requested_by")


def generation_run_get(*, tenant: Tenant, pk: int) -> GenerationRun:
    return GenerationRun.objects.select_related("requested_by").get(tenant=tenant, pk=pk)


def generation_run_errors(*, tenant: Tenant, run: GenerationRun) -> QuerySet:
    return (
        GenerationError.objects.for_tenant(tenant)
        .filter(run=run)
        .select_related("agreement", "agreement__customer")
        .order_by("agreement__number", "id")
    )


def generation_run_orders(*, tenant: Tenant, run: GenerationRun) -> QuerySet:
    """The orders this run created (each generated order records its run)."""
    return (
        ServiceOrder.objects.for_tenant(tenant)
        .filter(generation_run=run)
        .select_related("customer", "agreement")
        .order_by("calculated_date", "number")
    )


def generation_error_open_list(*, tenant: Tenant) -> QuerySet:
    return (
        GenerationError.objects.for_tenant(tenant)
        .filter(resolved_at__isnull=True)
        .select_related("agreement", "agreement__customer", "run")
    )


def agreement_choices(*, tenant: Tenant) -> QuerySet:
    """The agreements to pick from in filters and on the generation page: the tenant's real
    (non-template) agreements."""
    return Agreement.objects.for_tenant(tenant).filter(is_template=False).order_by("number")


def customer_choices(*, tenant: Tenant) -> QuerySet:
    return Customer.objects.for_tenant(tenant).order_by("name")


OBJECT_HISTORY_LIMIT = 100  # order lines shown on an object's page (most recent first)


def object_order_lines(*, tenant: Tenant, obj: ServiceObject) -> QuerySet:
    """Order lines on the object, newest first."""
    return (
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(service_object=obj)
        .select_related("order", "task", "technician")
        .order_by("-order__created_at", "-order_id", "id")
    )


def agreement_generation_errors(*, tenant: Tenant, agreement: Agreement) -> QuerySet:
    """This agreement's generation errors, unresolved first, newest first within each."""
    return (
        GenerationError.objects.for_tenant(tenant)
        .filter(agreement=agreement)
        .order_by(F("resolved_at").desc(nulls_first=True), "-created_at", "-pk")
    )


def open_order_counts(*, tenant: Tenant, today: datetime.date) -> dict[str, int]:
    """For the home pages, in one query: open orders per state, those generated for a closed
    day, and those of the next 7 days that no technician is assigned to."""
    is_open = Q(state__in=OPEN_STATES)
    week = Q(preferred_date__gte=today, preferred_date__lte=today + datetime.timedelta(days=6))
    return ServiceOrder.objects.for_tenant(tenant).aggregate(
        open=Count("id", filter=is_open),
        conflicts=Count("id", filter=is_open & Q(calendar_conflict=True)),
        unassigned_week=Count("id", filter=is_open & week & Q(preferred_technician__isnull=True)),
        **{state: Count("id", filter=Q(state=state)) for state in OPEN_STATES},
    )


def open_generation_error_count(*, tenant: Tenant) -> int:
    return GenerationError.objects.for_tenant(tenant).filter(resolved_at__isnull=True).count()
