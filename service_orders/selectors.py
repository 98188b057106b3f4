"""Reads for service orders and the generation pages. Every function takes the tenant."""

import datetime
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils.translation import gettext, pgettext

from agreements import selectors as agreement_selectors
from agreements.models import Agreement
from customers import selectors as customer_selectors
from customers.models import Customer, CustomerSite, ServiceObject
from sla import selectors as sla_selectors
from tenancy import selectors as tenancy_selectors
from tenancy.events import event_text
from tenancy.models import AuditEvent, Tenant, User
from tenancy.precompiled import precompiled
from tenancy.roles import Capability

from .models import (
    OPEN_STATES,
    ClockStatus,
    GenerationError,
    GenerationNotice,
    GenerationRun,
    LineStatus,
    OrderClock,
    OrderGenerationSettings,
    OrderPhoto,
    OrderSignOff,
    OrderStage,
    OrderState,
    Priority,
    ReasonCode,
    ServiceOrder,
    ServiceOrderLine,
    ServiceOrderTask,
    StageLog,
    StageLogKind,
    WebRequest,
    WebRequestPhoto,
    WebRequestState,
    state_transition,
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
    stage: OrderStage | None = None,
    technician: User | None = None,
    sla_status: str = "",
) -> QuerySet:
    clock = OrderClock.objects.for_tenant(tenant).filter(order_id=OuterRef("pk"))
    qs = (
        ServiceOrder.objects.for_tenant(tenant)
        .select_related("customer", "agreement", "stage", "assigned_technician")
        .annotate(
            priority_rank=PRIORITY_RANK,
            # The SLA clock's status and resolution due time (sorting by it: least time left
            # first), read through the one-per-order clock row.
            sla_status=Subquery(clock.values("status")[:1]),
            sla_due=Subquery(clock.values("resolution_due")[:1]),
        )
    )
    if sla_status:
        qs = qs.filter(sla_status=sla_status)
    if stage is not None:
        qs = qs.filter(stage=stage)
    if technician is not None:
        qs = qs.filter(assigned_technician=technician)
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
        qs = qs.filter(assigned_technician__isnull=True)
    return qs


# The people an order names, read by order_get in one query of their own.
ORDER_PEOPLE = ("responsible", "preferred_technician", "assigned_technician", "created_by")


def order_get(*, tenant: Tenant, pk: int) -> ServiceOrder:
    """One order of this tenant with everything its header shows; ServiceOrder.DoesNotExist
    for another tenant's order, like a missing one.

    The order's people are read by a second query rather than joined: joined, they made the
    statement eleven tables, past PostgreSQL's join_collapse_limit (8), and its planning took
    5-10 ms for a read of 0.2 ms (docs/performance.md, the order page)."""
    found = _order_with_header(tenant_id=tenant.pk, pk=int(pk))
    if not found:
        raise ServiceOrder.DoesNotExist("No service order of this tenant has this id.")
    order = found[0]
    _cache_people(order)
    return order


@precompiled("tenant_id", "pk")
def _order_with_header(*, tenant_id: int, pk: int) -> QuerySet:
    return ServiceOrder.objects.select_related(
        "customer", "agreement", "site", "contact", "stage", "sla"
    ).filter(tenant_id=tenant_id, pk=pk)


def _cache_people(order: ServiceOrder) -> None:
    fields = [ServiceOrder._meta.get_field(name) for name in ORDER_PEOPLE]
    ids = [getattr(order, field.attname) for field in fields]
    people = {}
    if any(ids):
        # Four places whatever the order names (0 for nobody: no user has id 0).
        found = _users_by_id(**{f"id{n}": user_id or 0 for n, user_id in enumerate(ids)})
        people = {user.pk: user for user in found}
    for field in fields:
        field.set_cached_value(order, people.get(getattr(order, field.attname)))


@precompiled("id0", "id1", "id2", "id3")
def _users_by_id(*, id0: int, id1: int, id2: int, id3: int) -> QuerySet:
    return User.objects.filter(pk__in=[id0, id1, id2, id3])


def order_day_is_open(*, tenant: Tenant, order: ServiceOrder) -> bool:
    """Whether the order's day is an open day of the tenant's business calendar (an order
    flagged for a holiday may have been moved onto one)."""
    day = order.calculated_date or order.preferred_date
    if day is None:
        return False
    calendar = sla_selectors.calendar_default(tenant=tenant)
    holidays = sla_selectors.holiday_dates(tenant=tenant, calendar=calendar, start=day, end=day)
    return sla_selectors.calendar_is_open(calendar, day, holidays)


def order_task_notes(*, tenant: Tenant, order: ServiceOrder) -> dict[int, ServiceOrderTask]:
    """The order's task relations copied from its agreement (with their notes), by task id."""
    return {
        link.task_id: link
        for link in _order_tasks(tenant_id=tenant.pk, order_id=order.pk)
        if link.internal_note or link.customer_note
    }


@precompiled("tenant_id", "order_id")
def _order_tasks(*, tenant_id: int, order_id: int) -> QuerySet:
    return (
        ServiceOrderTask.objects.filter(tenant_id=tenant_id, order_id=order_id)
        .select_related("task")
        .order_by("pk")
    )


def order_lines(*, tenant: Tenant, order: ServiceOrder) -> list[ServiceOrderLine]:
    return _order_lines(tenant_id=tenant.pk, order_id=order.pk)


@precompiled("tenant_id", "order_id")
def _order_lines(*, tenant_id: int, order_id: int) -> QuerySet:
    return (
        ServiceOrderLine.objects.filter(tenant_id=tenant_id, order_id=order_id)
        .select_related("service_object", "task", "item", "technician")
        .order_by("id")
    )


def agreement_get(*, tenant: Tenant, pk: int) -> Agreement:
    return agreement_selectors.agreement_get(tenant=tenant, pk=pk)


def customer_get(*, tenant: Tenant, pk: int) -> Customer:
    return customer_selectors.customer_get(tenant=tenant, pk=pk)


def customer_has_orders(*, tenant: Tenant, customer: Customer) -> bool:
    return ServiceOrder.objects.for_tenant(tenant).filter(customer=customer).exists()


def site_has_orders(*, tenant: Tenant, site) -> bool:
    return ServiceOrder.objects.for_tenant(tenant).filter(site=site).exists()


def contact_has_orders(*, tenant: Tenant, contact) -> bool:
    return ServiceOrder.objects.for_tenant(tenant).filter(contact=contact).exists()


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
    return GenerationRun.objects.select_related(
        "requested_by", "customer", "agreement_group", "responsible"
    ).get(tenant=tenant, pk=pk)


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


def agreement_group_choices(*, tenant: Tenant) -> QuerySet:
    return agreement_selectors.agreement_group_list(tenant=tenant).order_by("name")


def responsible_choices(*, tenant: Tenant) -> QuerySet:
    """Who may be responsible for agreements (the generation page's filter)."""
    return agreement_selectors.responsible_manager_choices(tenant=tenant)


def generation_run_notices(*, tenant: Tenant, run: GenerationRun) -> QuerySet:
    return (
        GenerationNotice.objects.for_tenant(tenant)
        .filter(run=run)
        .select_related("agreement", "agreement__customer", "agreement_line", "order")
        .order_by("agreement__number", "day", "id")
    )


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
    week = Q(preferred_date__gte=today, preferred_date__lte=today + datetime.timedelta(days=6))
    # Only the open orders are read (the state index), not every order the tenant ever had.
    open_orders = ServiceOrder.objects.for_tenant(tenant).filter(state__in=OPEN_STATES)
    return open_orders.aggregate(
        open=Count("id"),
        conflicts=Count("id", filter=Q(calendar_conflict=True)),
        unassigned_week=Count("id", filter=week & Q(assigned_technician__isnull=True)),
        **{state: Count("id", filter=Q(state=state)) for state in OPEN_STATES},
    )


def open_generation_error_count(*, tenant: Tenant) -> int:
    return GenerationError.objects.for_tenant(tenant).filter(resolved_at__isnull=True).count()


# --- The technician's pages ----------------------------------------------------------------------

# "My orders" groups: today's first, then the coming days, then those whose day has passed and
# that are still open, then those without a date.
TODAY, COMING, EARLIER, UNDATED = 0, 1, 2, 3
TECHNICIAN_ORDERS_LIMIT = 200


def _related_fields_except(relation: str, model, keep: tuple[str, ...]) -> list[str]:
    return [
        f"{relation}__{field.name}"
        for field in model._meta.concrete_fields
        if field.name not in keep and not field.primary_key and field.name != "tenant"
    ]


_DEFERRED_FOR_CARDS = (
    *_related_fields_except("customer", Customer, ("name",)),
    *_related_fields_except("stage", OrderStage, ("name",)),
    *_related_fields_except("site", CustomerSite, ("street", "postal_code", "city")),
)


def technician_orders(
    *, tenant: Tenant, technician, today: datetime.date, limit: int = TECHNICIAN_ORDERS_LIMIT
) -> list[ServiceOrder]:
    """The open orders assigned to ``technician``, each with its ``day_group`` (TODAY, COMING,
    EARLIER, UNDATED), in that order and by date within each."""
    day_group = Case(
        When(preferred_date=today, then=Value(TODAY)),
        When(preferred_date__gt=today, then=Value(COMING)),
        When(preferred_date__lt=today, then=Value(EARLIER)),
        default=Value(UNDATED),
        output_field=IntegerField(),
    )
    return list(
        ServiceOrder.objects.for_tenant(tenant)
        .filter(assigned_technician=technician, state__in=OPEN_STATES)
        .annotate(day_group=day_group)
        .select_related("customer", "site", "stage")
        # of the related rows only what a card shows (up to 200 cards: each field of each
        # related instance costs; the card is technician/_order_card.html)
        .defer(*_DEFERRED_FOR_CARDS)
        .order_by("day_group", "preferred_date", "planned_start", "number")[:limit]
    )


def technician_order_get(*, tenant: Tenant, pk: int, technician) -> ServiceOrder:
    """One order assigned to ``technician``; ServiceOrder.DoesNotExist for anyone else's order
    and for another tenant's, like a missing one."""
    return ServiceOrder.objects.select_related(
        "customer", "agreement", "site", "contact", "stage", "assigned_technician"
    ).get(tenant=tenant, pk=pk, assigned_technician=technician)


def order_photos(*, tenant: Tenant, order: ServiceOrder) -> list[OrderPhoto]:
    return _order_photos(tenant_id=tenant.pk, order_id=order.pk)


@precompiled("tenant_id", "order_id")
def _order_photos(*, tenant_id: int, order_id: int) -> QuerySet:
    return OrderPhoto.objects.filter(tenant_id=tenant_id, order_id=order_id).order_by("id")


def order_photo_get(*, tenant: Tenant, order: ServiceOrder, pk: int) -> OrderPhoto:
    return OrderPhoto.objects.get(tenant=tenant, order=order, pk=pk)


def order_sign_off_get(*, tenant: Tenant, order: ServiceOrder) -> OrderSignOff | None:
    """The order's sign-off (without its images), or None while it has none."""
    if order.signed_off_at is None:  # set with the sign-off, in its transaction
        return None
    return (
        OrderSignOff.objects.for_tenant(tenant)
        .filter(order=order)
        .defer("signature_png", "receipt_pdf")
        .select_related("technician")
        .first()
    )


def order_receipt_get(*, tenant: Tenant, order: ServiceOrder) -> OrderSignOff:
    """The order's sign-off with its receipt PDF; OrderSignOff.DoesNotExist while unsigned."""
    return OrderSignOff.objects.defer("signature_png").get(tenant=tenant, order=order)


def order_signed_off_at(*, tenant: Tenant, order: ServiceOrder) -> datetime.datetime | None:
    """When the customer signed the order's work receipt (None: not yet). The stage services
    ask this before an order leaves a stage that requires sign-off."""
    return order.signed_off_at


ITEM_CHOICES_LIMIT = 50


def item_list_active(*, tenant: Tenant, query: str = "") -> QuerySet:
    """The tenant's active items (matching ``query`` by number or name), by number."""
    qs = customer_selectors.item_list(tenant=tenant, search=query.strip(), status="active")
    return qs.order_by("number")


def item_choices(*, tenant: Tenant, query: str = "", limit: int = ITEM_CHOICES_LIMIT) -> list:
    """The first active items matching ``query``, for the item picker."""
    return list(item_list_active(tenant=tenant, query=query)[:limit])


def customer_object_choices(*, tenant: Tenant, order: ServiceOrder) -> QuerySet:
    """The objects of the order's customer, for the technician's line forms."""
    return customer_selectors.customer_objects(tenant=tenant, customer_id=order.customer_id)


def task_choices(*, tenant: Tenant) -> QuerySet:
    return customer_selectors.task_choices(tenant=tenant).filter(is_active=True)


# --- Stages, the timeline, progress ---------------------------------------------------------------


def order_current_stage(*, tenant: Tenant, order: ServiceOrder) -> OrderStage | None:
    """The order's stage; an order without one (made before the tree existed) counts as being
    at the first stage mapped to its state."""
    if order.stage_id is not None:
        return order.stage
    return OrderStage.objects.for_tenant(tenant).filter(state=order.state).first()


def cancel_stage(*, tenant: Tenant, stage: OrderStage | None) -> OrderStage | None:
    """Where cancelling from ``stage`` goes: its own next stage mapped to "cancelled", else the
    tenant's first such stage."""
    stages = OrderStage.objects.for_tenant(tenant).filter(state=OrderState.CANCELLED)
    if stage is not None:
        own = stages.filter(parent=stage).first()
        if own is not None:
            return own
    return stages.order_by("position", "id").first()


def cancel_reasons(*, tenant: Tenant, order: ServiceOrder) -> list[ReasonCode]:
    """The reason codes offered when cancelling ``order``: those of the stage it would go to."""
    target = cancel_stage(tenant=tenant, stage=order_current_stage(tenant=tenant, order=order))
    if target is None:
        return []
    return list(ReasonCode.objects.for_tenant(tenant).filter(stage=target))


def next_stages_of(
    *, tenant: Tenant, stage: OrderStage | None, state: str, reasons: str = "all"
) -> list[OrderStage]:
    """The stages an order at ``stage`` (in ``state``) may move to: the stage's children whose
    state can follow, then its parent when going back is allowed (``is_back`` set), with their
    reason codes prefetched: of each (``reasons="all"``), or only of those that require a
    reason (``"required"``: the office's order page offers no other)."""
    if stage is None:
        return []
    back_to = stage.parent_id if stage.back_allowed and stage.parent_id else 0  # 0: none
    candidates = _stage_children_and(tenant_id=tenant.pk, stage_id=stage.pk, other_id=back_to)
    result = []
    for candidate in candidates:
        if state_transition(state, candidate.state) is None:
            continue
        candidate.is_back = candidate.pk == stage.parent_id
        result.append(candidate)
    with_reasons = result if reasons == "all" else [c for c in result if c.requires_reason]
    prefetch_related_objects(with_reasons, "reasons")  # no statement for an empty list
    return result


@precompiled("tenant_id", "stage_id", "other_id")
def _stage_children_and(*, tenant_id: int, stage_id: int, other_id: int) -> QuerySet:
    """The stage's children and the stage ``other_id`` (0 for none), in their order."""
    return OrderStage.objects.filter(
        Q(parent_id=stage_id) | Q(pk=other_id), tenant_id=tenant_id
    ).order_by("position", "id")


def order_next_stages(
    *, tenant: Tenant, order: ServiceOrder, reasons: str = "all"
) -> list[OrderStage]:
    """The stages the order may move to now (next ones, then the previous one where allowed).
    Each has ``is_back`` and its ``reasons`` prefetched (see next_stages_of);
    ``requires_reason`` says whether a reason must be given."""
    stage = order_current_stage(tenant=tenant, order=order)
    return next_stages_of(tenant=tenant, stage=stage, state=order.state, reasons=reasons)


def order_is_signed_off(*, tenant: Tenant, order: ServiceOrder) -> bool:
    """May the order leave a stage that requires sign-off? (The customer has signed.)"""
    return order_signed_off_at(tenant=tenant, order=order) is not None


class Progress:
    IN_PROCESS = "in_process"
    POSTED = "posted"
    CANCELLED = "cancelled"


def progress_of(statuses) -> str:
    """An order's progress from its lines' statuses: all cancelled: cancelled; all posted or
    cancelled: posted; otherwise (or no lines) in process."""
    statuses = list(statuses)
    if statuses and all(s == LineStatus.CANCELLED for s in statuses):
        return Progress.CANCELLED
    if statuses and all(s in (LineStatus.POSTED, LineStatus.CANCELLED) for s in statuses):
        return Progress.POSTED
    return Progress.IN_PROCESS


def progress_label(progress: str) -> str:
    return {
        Progress.IN_PROCESS: pgettext("order progress", "In process"),
        Progress.POSTED: pgettext("order progress", "Posted"),
        Progress.CANCELLED: pgettext("order progress", "Cancelled"),
    }[progress]


def with_progress(qs: QuerySet) -> QuerySet:
    """Annotate ``progress`` (as progress_of, in SQL) on a queryset of orders."""
    lines = ServiceOrderLine.objects.filter(order=OuterRef("pk"), tenant=OuterRef("tenant"))
    open_lines = lines.filter(status=LineStatus.CREATED)
    live_lines = lines.exclude(status=LineStatus.CANCELLED)
    return qs.annotate(
        progress=Case(
            When(Exists(open_lines), then=Value(Progress.IN_PROCESS)),
            When(Exists(live_lines), then=Value(Progress.POSTED)),
            When(Exists(lines), then=Value(Progress.CANCELLED)),
            default=Value(Progress.IN_PROCESS),
        )
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    text: str
    actor: User | None
    reason: str = ""
    kind: str = "event"  # "stage" for a stage change, "event" for any other change


# Changes the stage log already tells, with their reasons: not repeated from the activity log.
_TIMELINE_SKIPPED_EVENTS = ["order.stage", "order.cancel", "order.revoke_cancel", "order.create"]


def order_timeline(*, tenant: Tenant, order: ServiceOrder) -> list[TimelineEntry]:
    """Every stage change (with its reason) and every other recorded change of the order,
    newest first: the stage log and the activity log merged, read in one statement.

    Written as SQL: through the ORM, the stage log with its four related tables and the
    activity log cost 2-3 ms of Python on every order page, for well under a millisecond of
    reading. Each table is filtered by the tenant as the ORM would (and row-level security
    filters it again)."""
    sql = _ORDER_TIMELINE_SQL.format(
        log=StageLog._meta.db_table,
        stage=OrderStage._meta.db_table,
        reason=ReasonCode._meta.db_table,
        event=AuditEvent._meta.db_table,
        user=User._meta.db_table,
    )
    params = {
        "tenant": tenant.pk,
        "order": order.pk,
        "target_type": ServiceOrder._meta.label_lower,
        "skipped": _TIMELINE_SKIPPED_EVENTS,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    entries, created_logged = [], False
    for row in rows:
        (source, at, kind, from_name, to_name, from_state, to_state, reason_name, reason_text,
         action, event_params, summary, actor_id, first_name, last_name, email) = row  # fmt: skip
        actor = (
            User(id=actor_id, first_name=first_name, last_name=last_name, email=email)
            if actor_id is not None
            else None
        )
        if source == "stage":
            created_logged = created_logged or kind == StageLogKind.CREATE
            source_name = from_name or _state_label(from_state)
            target_name = to_name or _state_label(to_state)
            reason = " · ".join(part for part in (reason_name, reason_text) if part)
            text = _stage_change_text(kind, source_name, target_name)
            entries.append(
                TimelineEntry(at=at, text=text, actor=actor, reason=reason, kind="stage")
            )
        else:
            event = AuditEvent(
                tenant_id=tenant.pk,
                action=action,
                target_type=ServiceOrder._meta.label_lower,
                target_id=order.pk,
                summary=summary,
                params=json.loads(event_params) if event_params else {},
            )
            entries.append(TimelineEntry(at=at, text=event_text(event), actor=actor))
    if not created_logged:  # generated orders
        entries.append(
            TimelineEntry(at=order.created_at, text=gettext("Created"), actor=order.created_by)
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


# The stage log in its order (at, id), then the activity log newest first, as the page lists
# them before sorting by time.
_ORDER_TIMELINE_SQL = """
SELECT source, at, kind, from_name, to_name, from_state, to_state, reason_name, reason_text,
    action, params, summary, actor_id, first_name, last_name, email
FROM (
    SELECT 1 AS branch, log.at AS sort_at, log.id AS sort_id,
        'stage' AS source, log.at, log.kind, from_stage.name AS from_name,
        to_stage.name AS to_name, log.from_state, log.to_state, reason.name AS reason_name,
        log.reason_text, NULL::text AS action, NULL::text AS params, NULL::text AS summary,
        actor.id AS actor_id, actor.first_name, actor.last_name, actor.email
    FROM {log} log
    LEFT JOIN {stage} from_stage
        ON from_stage.tenant_id = log.tenant_id AND from_stage.id = log.from_stage_id
    LEFT JOIN {stage} to_stage
        ON to_stage.tenant_id = log.tenant_id AND to_stage.id = log.to_stage_id
    LEFT JOIN {reason} reason
        ON reason.tenant_id = log.tenant_id AND reason.id = log.reason_code_id
    LEFT JOIN {user} actor ON actor.id = log.by_id
    WHERE log.tenant_id = %(tenant)s AND log.order_id = %(order)s
    UNION ALL
    SELECT 2, event.created_at, event.id,
        'event', event.created_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        event.action, event.params::text, event.summary,
        actor.id, actor.first_name, actor.last_name, actor.email
    FROM {event} event
    LEFT JOIN {user} actor ON actor.id = event.actor_id
    WHERE event.tenant_id = %(tenant)s AND event.target_type = %(target_type)s
        AND event.target_id = %(order)s AND event.action <> ALL(%(skipped)s)
) AS timeline
ORDER BY branch,
    CASE WHEN branch = 1 THEN sort_at END, CASE WHEN branch = 1 THEN sort_id END,
    sort_at DESC, sort_id DESC
"""


def _state_label(value: str) -> str:
    """What get_FOO_display says for an order state (the value itself if it is not one)."""
    try:
        return str(OrderState(value).label)
    except ValueError:
        return value


def _stage_change_text(kind: str, source: str, target: str) -> str:
    if kind == StageLogKind.CREATE:
        return gettext("Created at %(stage)s") % {"stage": target}
    if kind == StageLogKind.CANCEL:
        return gettext("Cancelled at %(stage)s") % {"stage": source}
    if kind == StageLogKind.REVOKE:
        return gettext("Cancellation revoked: back to %(stage)s") % {"stage": target}
    return gettext("%(from)s → %(to)s") % {"from": source, "to": target}


def stage_tree(*, tenant: Tenant) -> list:
    """The tenant's stages as a tree (web's object_tree shape: nodes with children), reason
    codes prefetched, in two queries."""
    stages = list(
        OrderStage.objects.for_tenant(tenant).prefetch_related("reasons").order_by("position", "id")
    )
    children: dict[int | None, list[OrderStage]] = {}
    for stage in stages:
        children.setdefault(stage.parent_id, []).append(stage)

    def build(stage, depth):
        stage.depth = depth
        stage.next_stages = [build(child, depth + 1) for child in children.get(stage.pk, [])]
        return stage

    roots = sorted(children.get(None, []), key=lambda s: (not s.is_initial, s.position, s.pk))
    return [build(root, 0) for root in roots]


def stage_get(*, tenant: Tenant, pk: int) -> OrderStage:
    return OrderStage.objects.select_related("parent").get(tenant=tenant, pk=pk)


def stage_choices(*, tenant: Tenant) -> QuerySet:
    return _stages.build(tenant_id=tenant.pk)


def stage_list(*, tenant: Tenant) -> list[OrderStage]:
    """stage_choices read (the order list's filter and bulk forms)."""
    return _stages(tenant_id=tenant.pk)


@precompiled("tenant_id")
def _stages(*, tenant_id: int) -> QuerySet:
    return OrderStage.objects.filter(tenant_id=tenant_id).order_by("position", "id")


def reason_code_get(*, tenant: Tenant, pk: int) -> ReasonCode:
    return ReasonCode.objects.select_related("stage").get(tenant=tenant, pk=pk)


def technician_choices(*, tenant: Tenant) -> QuerySet:
    """The tenant's active technicians (who may be assigned orders)."""
    return _technicians.build(tenant_id=tenant.pk)


def technician_list(*, tenant: Tenant) -> list[User]:
    """technician_choices read (the order page's assignment picker)."""
    return _technicians(tenant_id=tenant.pk)


@precompiled("tenant_id")
def _technicians(*, tenant_id: int) -> QuerySet:
    return tenancy_selectors.member_users_with(tenant=tenant_id, capability=Capability.WORK_ORDERS)


def move_targets(*, tenant: Tenant, order: ServiceOrder) -> list[ServiceOrder]:
    """move_target_orders read (for the order page's "move lines" form)."""
    if order.agreement_id is None:
        return []
    return _move_targets(tenant_id=tenant.pk, agreement_id=order.agreement_id, order_id=order.pk)


@precompiled("tenant_id", "agreement_id", "order_id")
def _move_targets(*, tenant_id: int, agreement_id: int, order_id: int) -> QuerySet:
    return (
        ServiceOrder.objects.filter(
            tenant_id=tenant_id, agreement_id=agreement_id, state__in=OPEN_STATES
        )
        .exclude(pk=order_id)
        .only("pk", "number", "preferred_date")
        .order_by("preferred_date", "number")
    )


def move_target_orders(*, tenant: Tenant, order: ServiceOrder) -> QuerySet:
    """The open orders of the same agreement the order's lines may move to (a queryset: the
    "move lines" form validates its choice in it)."""
    if order.agreement_id is None:
        return ServiceOrder.objects.none()
    return _move_targets.build(
        tenant_id=tenant.pk, agreement_id=order.agreement_id, order_id=order.pk
    )


# --- Web requests ---------------------------------------------------------------------------------

WEB_REQUEST_RELATED = ("customer", "site", "service_object", "order", "submitted_by", "decided_by")
# Waiting requests first, then the newest.
PENDING_FIRST = Case(
    When(state=WebRequestState.SUBMITTED, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def web_request_list(
    *, tenant: Tenant, state: str = "", customer_id: int | None = None
) -> QuerySet:
    qs = (
        WebRequest.objects.for_tenant(tenant)
        .select_related(*WEB_REQUEST_RELATED)
        .annotate(pending_rank=PENDING_FIRST)
    )
    if state:
        qs = qs.filter(state=state)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def web_request_get(*, tenant: Tenant, pk: int) -> WebRequest:
    return WebRequest.objects.for_tenant(tenant).select_related(*WEB_REQUEST_RELATED).get(pk=pk)


def web_request_photos(*, tenant: Tenant, web_request: WebRequest) -> list[WebRequestPhoto]:
    return list(WebRequestPhoto.objects.for_tenant(tenant).filter(request=web_request))


def web_request_photo_get(*, tenant: Tenant, web_request: WebRequest, pk: int) -> WebRequestPhoto:
    return WebRequestPhoto.objects.for_tenant(tenant).get(request=web_request, pk=pk)


def pending_web_request_count(*, tenant: Tenant) -> int:
    return WebRequest.objects.for_tenant(tenant).filter(state=WebRequestState.SUBMITTED).count()


# --- What a customer contact sees: their customer's requests and orders -------------------------


def customer_web_requests(*, tenant: Tenant, customer_id: int) -> QuerySet:
    return web_request_list(tenant=tenant, customer_id=customer_id)


def customer_web_request_get(*, tenant: Tenant, customer_id: int, pk: int) -> WebRequest:
    """One request of the contact's customer; WebRequest.DoesNotExist for another customer's
    (or tenant's), like a missing one."""
    return (
        WebRequest.objects.for_tenant(tenant)
        .select_related(*WEB_REQUEST_RELATED)
        .get(customer_id=customer_id, pk=pk)
    )


def customer_portal_orders(*, tenant: Tenant, customer_id: int) -> QuerySet:
    return (
        ServiceOrder.objects.for_tenant(tenant)
        .filter(customer_id=customer_id)
        .select_related("stage", "site", "assigned_technician")
    )


def customer_portal_order_get(*, tenant: Tenant, customer_id: int, pk: int) -> ServiceOrder:
    """One order of the contact's customer; ServiceOrder.DoesNotExist for another customer's."""
    return customer_portal_orders(tenant=tenant, customer_id=customer_id).get(pk=pk)


def order_service_objects(*, tenant: Tenant, order: ServiceOrder) -> list[ServiceObject]:
    """The objects the order's lines (not cancelled) work on, one query."""
    ids = (
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(order=order, service_object__isnull=False)
        .exclude(status=LineStatus.CANCELLED)
        .values("service_object_id")
    )
    return list(ServiceObject.objects.for_tenant(tenant).filter(pk__in=ids).order_by("number"))


def order_web_request(*, tenant: Tenant, order: ServiceOrder) -> WebRequest | None:
    """The web request an order was made from, if any."""
    return WebRequest.objects.for_tenant(tenant).filter(order=order).first()


def contact_counts(*, tenant: Tenant, customer_id: int) -> dict:
    """The contact's home tiles: their customer's waiting requests and open orders."""
    requests = WebRequest.objects.for_tenant(tenant).filter(
        customer_id=customer_id, state=WebRequestState.SUBMITTED
    )
    orders = ServiceOrder.objects.for_tenant(tenant).filter(
        customer_id=customer_id, state__in=OPEN_STATES
    )
    return {"open_requests": requests.count(), "open_orders": orders.count()}


def agreement_lines_to_draw(*, tenant: Tenant, order: ServiceOrder) -> list:
    """The lines of the order's agreement that "Add from agreement" offers."""
    if not order.agreement_id:
        return []
    return agreement_selectors.agreement_lines_to_draw(
        tenant=tenant, agreement_id=order.agreement_id
    )


# -- SLA clocks ---------------------------------------------------------------------------------


def clocks_due(*, tenant: Tenant, now: datetime.datetime, limit: int) -> list[OrderClock]:
    """Clocks whose pending escalation level is reached by ``now``, oldest first, at most
    ``limit``: read through the partial index on (tenant, next_escalation_at); paused, stopped
    and decided clocks have no ``next_escalation_at`` and are never read."""
    return list(
        OrderClock.objects.for_tenant(tenant)
        .filter(next_escalation_at__isnull=False, next_escalation_at__lte=now)
        .order_by("next_escalation_at", "id")[:limit]
    )


@dataclass(frozen=True)
class SlaSummary:
    """What an order page, list row or dispatch card shows of an order's clock."""

    clock: OrderClock
    status: str
    status_label: str
    started_at: datetime.datetime
    response_due: datetime.datetime | None
    resolution_due: datetime.datetime | None
    used: datetime.timedelta
    target: datetime.timedelta
    percent_used: int
    time_left: datetime.timedelta | None
    is_paused: bool
    is_stopped: bool
    is_decided: bool


def _summary(clock: OrderClock, calendar, now: datetime.datetime) -> SlaSummary:
    """The clock as of ``now``. Every stage change and manual action recomputes the stored
    figures, so a running clock has run without pause since ``used_as_of``: what it used since
    is the calendar's working time in between."""
    from sla import clock as sla_clock

    used = clock.used
    target = clock.resolution_target
    status = clock.status
    time_left = None
    if clock.is_running:
        used += sla_clock.working_time_between(calendar, clock.used_as_of, now)
        if status != ClockStatus.BREACHED:
            status = sla_clock.running_status(used, target, clock.warning_percent)
        time_left = target - used
    percent = int(used * 100 / target) if target else 0
    return SlaSummary(
        clock=clock,
        status=status,
        status_label=str(ClockStatus(status).label),
        started_at=clock.started_at,
        response_due=clock.response_due,
        resolution_due=clock.resolution_due,
        used=used,
        target=target,
        percent_used=percent,
        time_left=time_left,
        is_paused=clock.paused_since is not None,
        is_stopped=clock.stopped_at is not None,
        is_decided=clock.decided_at is not None,
    )


@precompiled("tenant_id", "order_id")
def _order_clock(*, tenant_id: int, order_id: int) -> QuerySet:
    return OrderClock.objects.filter(tenant_id=tenant_id, order_id=order_id).select_related(
        "calendar"
    )


def order_sla_summary(
    *, tenant: Tenant, order_ids, now: datetime.datetime | None = None
) -> dict[int, SlaSummary]:
    """The clocks of some orders by order id (orders without a clock are absent), as of
    ``now``: one query for the clocks and three per distinct calendar among them (a tenant has
    one or a few), whatever the number of orders."""
    from django.utils import timezone

    now = now or timezone.now()
    order_ids = list(order_ids)
    if len(order_ids) == 1:  # an order's page
        clocks = _order_clock(tenant_id=tenant.pk, order_id=int(order_ids[0]))
    else:
        clocks = list(
            OrderClock.objects.for_tenant(tenant)
            .filter(order_id__in=order_ids)
            .select_related("calendar")
        )
    calendars = {}
    for clock in clocks:
        if clock.calendar_id not in calendars:
            calendars[clock.calendar_id] = sla_selectors.clock_calendar(
                tenant=tenant, calendar=clock.calendar
            )
    return {clock.order_id: _summary(clock, calendars[clock.calendar_id], now) for clock in clocks}
