"""Generating service orders from agreements, exactly once.

For every active, non-template agreement and every non-stopped line with an interval, the
occurrences inside (requested period ∩ agreement dates ∩ line dates), minus the days of
suspensions that were not back-filled, become order lines; occurrences on the same date with the
same combine key (the agreement's combine rule) share one order.

Exactly once is the database's job, not this module's: an order line is unique on (agreement
line, calculated date) and a generated order on (agreement, combine key, calculated date). Rows
are inserted with ON CONFLICT DO NOTHING, so a re-run, two runs at once or a retry after a crash
never create anything twice and never fail on a conflict. (Two runs at once can leave a gap in
the order numbers: the loser's reserved numbers go unused. Order numbers need not be gapless.)

Agreements are processed in chunks, each in its own transaction: data loaded in a few queries,
dates computed in Python, orders and lines written in bulk. One agreement whose dates cannot be
computed, or whose rows the database refuses, is recorded as a ``GenerationError`` and skipped;
the rest of its chunk and the run go on.

A run is recorded (``generation_run_create``), then processed (``generation_run_process``): at
once by the daily job, the command and the demo seed (``generation_run``), by a background
worker for the page's "Generate" button (``generation_run_enqueue``). Each chunk commits the
run's counters, so its page shows the progress.
"""

import datetime
import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Model, Prefetch, Q
from django.db.models.sql.query import Query
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements import recurrence
from agreements import selectors as agreement_selectors
from agreements.models import (
    Agreement,
    AgreementLine,
    AgreementState,
    AgreementSuspension,
    CombineRule,
)
from agreements.rates import AgreementRates
from customers.models import CustomerSite
from sla.models import BusinessCalendar
from sla.selectors import calendar_default, calendar_is_open, holiday_dates
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User
from tenancy.services import audit_record, sequence_next_numbers

from ..models import (
    OPEN_STATES,
    DeletedOccurrence,
    GenerationError,
    GenerationRun,
    GenerationTrigger,
    Origin,
    Priority,
    ServiceOrder,
    ServiceOrderLine,
)
from ..selectors import order_generation_settings
from .stages import stage_tree_ensure

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500  # agreements per transaction
INSERT_BATCH_SIZE = 5000  # rows per INSERT statement
MAX_PERIOD_DAYS = 731


@dataclass
class PlannedLine:
    """One occurrence: an agreement line falling due on a date."""

    agreement_line: AgreementLine
    calculated_date: datetime.date
    window: tuple[datetime.date, datetime.date]
    exists: bool  # an order line was generated for it already


@dataclass
class PlannedOrder:
    """The occurrences of one agreement on one date that share one order (its combine key)."""

    agreement: Agreement
    calculated_date: datetime.date
    combine_key: str
    calendar_conflict: bool
    lines: list[PlannedLine] = field(default_factory=list)
    # The order generated for this date and combine key earlier, if any (filled in by the
    # preview; a run looks it up only for the orders that still miss a line).
    existing_order_id: int | None = None

    @property
    def customer(self):
        return self.agreement.customer

    @property
    def missing_lines(self) -> list[PlannedLine]:
        return [planned for planned in self.lines if not planned.exists]

    @property
    def exists(self) -> bool:
        """Every occurrence of this order was generated already."""
        return not self.missing_lines

    @property
    def key(self) -> tuple[int, str, datetime.date]:
        return (self.agreement.pk, self.combine_key, self.calculated_date)

    @property
    def description(self) -> str:
        labels = dict.fromkeys(_line_label(p.agreement_line) for p in self.lines)
        parts = [self.agreement.description, ", ".join(label for label in labels if label)]
        return " · ".join(part for part in parts if part)[:300]


@dataclass
class _Counts:
    orders: int = 0
    lines: int = 0
    skipped: int = 0

    def __iadd__(self, other: "_Counts") -> "_Counts":
        self.orders += other.orders
        self.lines += other.lines
        self.skipped += other.skipped
        return self


@dataclass(frozen=True)
class _Context:
    """What every chunk of one tenant's run shares."""

    tenant: Tenant
    period_start: datetime.date
    period_end: datetime.date
    calendar: BusinessCalendar | None
    holidays: frozenset[datetime.date]
    by: User | None = None
    run: GenerationRun | None = None
    # Lines of many agreements share their interval and anchor: compute each series once.
    occurrences: dict[tuple, list[datetime.date]] = field(default_factory=dict)
    # The initial stage's id ("initial"), where generated orders start.
    stage: dict[str, int] = field(default_factory=dict)
    # Each agreement's rate card (by agreement id), loaded per chunk (see _load_rates).
    rates: dict[int, AgreementRates] = field(default_factory=dict)

    def is_open(self, day: datetime.date) -> bool:
        return calendar_is_open(self.calendar, day, self.holidays)


# --- Public entry points ------------------------------------------------------------------------


def generation_plan(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    agreement_ids: Iterable[int] | None = None,
) -> list[PlannedOrder]:
    """What a run for this period would generate (the preview): every order by date, the ones
    generated already marked ``exists``. Agreements whose dates cannot be computed are left out
    (a run records them as errors)."""
    _validate_period(period_start, period_end)
    with tenant_scope(tenant):
        context = _context(tenant, period_start, period_end)
        plan: list[PlannedOrder] = []
        for chunk in _chunks(_agreement_ids_due(context, agreement_ids)):
            plans, _failures = _plan_chunk(context, chunk)
            planned_orders = list(itertools.chain.from_iterable(plans.values()))
            order_ids = _existing_order_ids(context, planned_orders)
            for planned in planned_orders:
                planned.existing_order_id = order_ids.get(planned.key)
            plan.extend(planned_orders)
    plan.sort(key=lambda p: (p.calculated_date, p.agreement.number, p.combine_key))
    return plan


def generation_run(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    trigger: str,
    by: User | None = None,
    agreement_ids: Iterable[int] | None = None,
) -> GenerationRun:
    """Generate the orders for the period now; returns the run with its counters."""
    with tenant_scope(tenant):
        run = generation_run_create(
            tenant=tenant,
            period_start=period_start,
            period_end=period_end,
            trigger=trigger,
            by=by,
            agreement_ids=agreement_ids,
        )
    return generation_run_process(tenant=tenant, run_id=run.pk)


def generation_run_create(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    trigger: str,
    by: User | None = None,
    agreement_ids: Iterable[int] | None = None,
) -> GenerationRun:
    """Record a run that is still to be processed (``generation_run_process``)."""
    _validate_period(period_start, period_end)
    return GenerationRun.objects.create(
        tenant=tenant,
        trigger=trigger,
        requested_by=by,
        period_start=period_start,
        period_end=period_end,
        agreement_ids=sorted(set(agreement_ids)) if agreement_ids is not None else None,
    )


def generation_run_enqueue(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    by: User,
    agreement_ids: Iterable[int] | None = None,
) -> GenerationRun:
    """The "Generate" button: record the run and hand it to a background worker once this
    transaction commits. The run page follows it (queued, generating, finished)."""
    from ..tasks import generate_orders_for_run  # the task module imports this one

    run = generation_run_create(
        tenant=tenant,
        period_start=period_start,
        period_end=period_end,
        trigger=GenerationTrigger.MANUAL,
        by=by,
        agreement_ids=agreement_ids,
    )
    kwargs = {"tenant_id": tenant.pk, "run_id": run.pk}
    # robust: a broker that is down must not turn the committed request into an error page;
    # the run then stays queued, and its page says it is waiting for a worker.
    transaction.on_commit(lambda: generate_orders_for_run.apply_async(kwargs=kwargs), robust=True)
    return run


def generation_run_process(*, tenant: Tenant, run_id: int) -> GenerationRun | None:
    """Process a recorded run: generate its period, chunk by chunk (each chunk committed with
    the run's counters, so its page shows progress), then mark it finished.

    Idempotent: a finished run is returned as it is; an unfinished one (redelivered after its
    worker died) is processed again, which creates only what is still missing (the database
    refuses duplicates) and adds to its counters. None when the run does not exist."""
    with tenant_scope(tenant):
        run = (
            GenerationRun.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("requested_by")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.finished_at is not None:
            return run
        run.picked_up_at = timezone.now()
        run.failure = ""
        run.save(update_fields=["picked_up_at", "failure"])
    try:
        _process(tenant, run)
    except Exception as exc:  # the task's soft time limit (SoftTimeLimitExceeded) included
        _record_run_failure(tenant, run, exc)
        raise
    return run


def _process(tenant: Tenant, run: GenerationRun) -> None:
    with tenant_scope(tenant):
        by = run.requested_by
        context = _context(tenant, run.period_start, run.period_end, by=by, run=run)
        agreement_ids = _agreement_ids_due(context, run.agreement_ids)
        with_open_errors = set(
            GenerationError.objects.for_tenant(tenant)
            .filter(resolved_at__isnull=True, agreement_id__in=agreement_ids)
            .values_list("agreement_id", flat=True)
        )
        run.agreements_total = len(agreement_ids)
        run.save(update_fields=["agreements_total"])
    for chunk in _chunks(agreement_ids):
        _generate_chunk(context, run, chunk, with_open_errors)
    with tenant_scope(tenant):
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        audit_record(
            tenant=tenant,
            actor=by,
            action="service_orders.generate",
            target=run,
            params={
                "orders": run.orders_created,
                "lines": run.lines_created,
                "start": run.period_start.isoformat(),
                "end": run.period_end.isoformat(),
                "failed": run.agreements_failed,
            },
        )


def _record_run_failure(tenant: Tenant, run: GenerationRun, exc: Exception) -> None:
    """Say on the run why it stopped, so its page does not show it generating. Best effort:
    the database may be what failed."""
    try:
        with tenant_scope(tenant):
            GenerationRun.objects.for_tenant(tenant).filter(pk=run.pk).update(
                failure=_message(exc)[:2000]
            )
    except Exception:
        logger.exception("Could not record the failure of generation run %s", run.pk)


def catch_up_period(
    *, tenant: Tenant, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The period the daily job covers: from the earliest of today, the day after the last
    successful daily run's period and the start of any unresolved error, to today plus the
    tenant's look-ahead. So a run after downtime creates every missed occurrence."""
    today = today or tenant.today()
    start = today
    with tenant_scope(tenant):
        horizon = order_generation_settings(tenant=tenant).horizon_days
        last_end = (
            GenerationRun.objects.for_tenant(tenant)
            .filter(trigger=GenerationTrigger.SCHEDULE, finished_at__isnull=False)
            .order_by("-started_at", "-pk")
            .values_list("period_end", flat=True)
            .first()
        )
        earliest_error = (
            GenerationError.objects.for_tenant(tenant)
            .filter(
                resolved_at__isnull=True,
                agreement__state=AgreementState.ACTIVE,
                agreement__is_template=False,
            )
            .order_by("period_start")
            .values_list("period_start", flat=True)
            .first()
        )
    if last_end is not None:
        start = min(start, last_end + datetime.timedelta(days=1))
    if earliest_error is not None:
        start = min(start, earliest_error)
    end = today + datetime.timedelta(days=horizon)
    # No longer than one run may cover: an error left open for years must not make every
    # daily run fail from then on.
    return max(start, end - datetime.timedelta(days=MAX_PERIOD_DAYS - 1)), end


def combine_key(agreement: Agreement, line: AgreementLine) -> str:
    """Which order of its date an occurrence goes into, by the agreement's combine rule."""
    rule = agreement.combine_rule
    if rule == CombineRule.PER_AGREEMENT:
        return "agreement"
    if rule == CombineRule.PER_OBJECT:
        return f"object:{line.service_object_id or 0}"
    if rule == CombineRule.PER_TASK:
        return f"task:{line.task_id or 0}"
    if rule == CombineRule.PER_TECHNICIAN:
        return f"technician:{line.technician_id or agreement.preferred_technician_id or 0}"
    raise ValueError(f"Unknown combine rule {rule!r}.")


# --- Planning -----------------------------------------------------------------------------------


def _validate_period(period_start: datetime.date, period_end: datetime.date) -> None:
    if period_end < period_start:
        raise ValidationError({"period_end": _("The end date cannot be before the start date.")})
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"period_end": _("Generate at most two years at a time.")})


def _context(tenant, period_start, period_end, by=None, run=None) -> _Context:
    calendar = calendar_default(tenant=tenant)
    holidays = holiday_dates(tenant=tenant, calendar=calendar, start=period_start, end=period_end)
    context = _Context(tenant, period_start, period_end, calendar, frozenset(holidays), by, run)
    if run is not None:  # writing: new orders start at the tenant's initial stage
        context.stage["initial"] = stage_tree_ensure(tenant=tenant).pk
    return context


def _agreements_due(context: _Context):
    return (
        Agreement.objects.for_tenant(context.tenant)
        .filter(state=AgreementState.ACTIVE, is_template=False, start_date__lte=context.period_end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=context.period_start))
    )


def _agreement_ids_due(context: _Context, agreement_ids: Iterable[int] | None) -> list[int]:
    agreements = _agreements_due(context)
    if agreement_ids is not None:
        agreements = agreements.filter(pk__in=list(agreement_ids))
    return list(agreements.order_by("pk").values_list("pk", flat=True))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for offset in range(0, len(ids), CHUNK_SIZE):
        yield ids[offset : offset + CHUNK_SIZE]


def _load_agreements(context: _Context, agreement_ids: list[int]) -> list[Agreement]:
    """The chunk's agreements (re-checked: one may have been suspended meanwhile) with the lines
    that generate in the period and the suspensions that were not back-filled."""
    start, end = context.period_start, context.period_end
    lines = (
        AgreementLine.objects.for_tenant(context.tenant)
        .filter(is_stopped=False)
        .exclude(interval_unit="")
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=end))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .order_by("position", "pk")
    )
    suspensions = (
        AgreementSuspension.objects.for_tenant(context.tenant)
        .filter(backfill=False, suspended_from__lte=end)
        .filter(Q(resumed_on__isnull=True) | Q(resumed_on__gt=start))
    )
    return list(
        _agreements_due(context)
        .filter(pk__in=agreement_ids)
        .select_related("customer")
        .prefetch_related(
            Prefetch("lines", queryset=lines, to_attr="generating_lines"),
            # Prefetched rather than joined: a chunk's lines share few items, tasks and objects.
            "generating_lines__item",
            "generating_lines__task",
            "generating_lines__service_object",
            Prefetch("suspensions", queryset=suspensions, to_attr="skipped_suspensions"),
        )
        .order_by("pk")
    )


def _plan_chunk(
    context: _Context, agreement_ids: list[int]
) -> tuple[dict[Agreement, list[PlannedOrder]], dict[Agreement, str]]:
    """Every agreement's planned orders, and the message of each agreement that failed."""
    agreements = _load_agreements(context, agreement_ids)
    line_ids = [line.pk for agreement in agreements for line in agreement.generating_lines]
    period = (context.period_start, context.period_end)
    generated = set(
        ServiceOrderLine.objects.for_tenant(context.tenant)
        .filter(agreement_line_id__in=line_ids, calculated_date__range=period)
        .values_list("agreement_line_id", "calculated_date")
    )
    # Occurrences whose order someone deleted count as generated: never created again.
    generated.update(
        DeletedOccurrence.objects.for_tenant(context.tenant)
        .filter(agreement_line_id__in=line_ids, calculated_date__range=period)
        .values_list("agreement_line_id", "calculated_date")
    )
    plans: dict[Agreement, list[PlannedOrder]] = {}
    failures: dict[Agreement, str] = {}
    for agreement in agreements:
        try:
            plans[agreement] = _plan_agreement(context, agreement, generated)
        except Exception as exc:  # any bad record is reported, never fatal for the others
            failures[agreement] = _message(exc)
    return plans, failures


def _plan_agreement(
    context: _Context,
    agreement: Agreement,
    generated: set[tuple[int, datetime.date]],
) -> list[PlannedOrder]:
    suspended = [(s.suspended_from, s.resumed_on) for s in agreement.skipped_suspensions]
    planned_orders: dict[tuple[datetime.date, str], PlannedOrder] = {}
    for line in agreement.generating_lines:
        for day in _line_dates(context, agreement, line):
            if any(_within(day, start, end) for start, end in suspended):
                continue
            window = recurrence.time_window(
                day, line.time_window, line.window_days_before, line.window_days_after
            )
            key = combine_key(agreement, line)
            planned = planned_orders.get((day, key))
            if planned is None:
                planned = planned_orders[(day, key)] = PlannedOrder(
                    agreement=agreement,
                    calculated_date=day,
                    combine_key=key,
                    calendar_conflict=not context.is_open(day),
                )
            planned.lines.append(
                PlannedLine(
                    agreement_line=line,
                    calculated_date=day,
                    window=window,
                    exists=(line.pk, day) in generated,
                )
            )
    return sorted(
        planned_orders.values(), key=lambda planned: (planned.calculated_date, planned.combine_key)
    )


def _line_dates(
    context: _Context, agreement: Agreement, line: AgreementLine
) -> list[datetime.date]:
    """The line's occurrences inside (period ∩ agreement dates ∩ line dates)."""
    anchor = line.start_date or agreement.start_date
    start = max(context.period_start, agreement.start_date, anchor)
    end = min(
        context.period_end,
        agreement.end_date or context.period_end,
        line.end_date or context.period_end,
    )
    months = tuple(line.excluded_months)
    key = (
        line.interval_unit,
        line.interval_count,
        anchor,
        start,
        end,
        months,
        line.exclude_holidays,
    )
    if key not in context.occurrences:
        context.occurrences[key] = recurrence.occurrences(
            unit=line.interval_unit,
            count=line.interval_count,
            anchor=anchor,
            start=start,
            end=end,
            excluded_months=months,
            holidays=context.holidays if line.exclude_holidays else (),
        )
    return context.occurrences[key]


def _within(day: datetime.date, start: datetime.date, end: datetime.date | None) -> bool:
    """Inside a suspension: from its first day up to, not including, the day it was resumed."""
    return start <= day and (end is None or day < end)


def _line_label(line: AgreementLine) -> str:
    return line.description or (line.task.name if line.task_id else "")


def _message(exc: Exception) -> str:
    return str(exc) or exc.__class__.__name__


# --- Writing ------------------------------------------------------------------------------------


def _generate_chunk(
    context: _Context, run: GenerationRun, agreement_ids: list[int], with_open_errors: set[int]
) -> None:
    """Plan and write one chunk of agreements in one transaction."""
    with tenant_scope(context.tenant):
        # Foreign keys are checked at commit by default; check them per statement here, so
        # that a refused row fails inside the savepoint that can be rolled back on its own.
        _set_constraints("IMMEDIATE")
        plans, failures = _plan_chunk(context, agreement_ids)
        counts, write_failures = _write_chunk(context, plans)
        failures.update(write_failures)
        _record_failures(context, run, failures)
        succeeded = {agreement.pk for agreement in plans} - {a.pk for a in failures}
        _resolve_errors(context, succeeded & with_open_errors)
        _add_to_counters(run, counts, failed=len(failures), processed=len(agreement_ids))
        _set_constraints("DEFERRED")


def _set_constraints(mode: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS ALL {mode}")


def _write_chunk(
    context: _Context, plans: dict[Agreement, list[PlannedOrder]]
) -> tuple[_Counts, dict[Agreement, str]]:
    """Write the whole chunk at once; if the database refuses that, write agreement by
    agreement, each in its own savepoint, to find and record the one it refuses."""
    try:
        with transaction.atomic():
            return _write_plans(context, itertools.chain.from_iterable(plans.values())), {}
    except Exception:
        return _write_one_by_one(context, plans)


def _write_one_by_one(
    context: _Context, plans: dict[Agreement, list[PlannedOrder]]
) -> tuple[_Counts, dict[Agreement, str]]:
    counts, failures = _Counts(), {}
    for agreement, planned_orders in plans.items():
        try:
            with transaction.atomic():
                counts += _write_plans(context, planned_orders)
        except Exception as exc:
            failures[agreement] = _message(exc)
    return counts, failures


def _write_plans(context: _Context, planned_orders: Iterable[PlannedOrder]) -> _Counts:
    """Insert the missing orders, then the missing lines. Rows another run created in the
    meantime are skipped by the unique constraints and counted as existing."""
    planned_orders = list(planned_orders)
    occurrences = sum(len(planned.lines) for planned in planned_orders)
    to_write = [planned for planned in planned_orders if not planned.exists]
    if not to_write:
        return _Counts(skipped=occurrences)
    _load_rates(context, {planned.agreement for planned in to_write})
    # An order of the same date and combine key may exist (a line was added to the agreement
    # since): the missing lines join it while it is open. One a person has closed (cancelled)
    # stays as they left it; those occurrences count as skipped.
    existing = _existing_orders(context, to_write)
    order_ids = {key: pk for key, (pk, state) in existing.items() if state in OPEN_STATES}
    created_ids, orders_created = _insert_orders(
        context, [planned for planned in to_write if planned.key not in existing]
    )
    order_ids.update(created_ids)
    lines = [
        _line_row(context, order_ids[planned.key], line)
        for planned in to_write
        if planned.key in order_ids
        for line in planned.missing_lines
    ]
    lines_created = len(
        _insert_ignoring_conflicts(
            ServiceOrderLine, lines, unique="service_orders_line_generated_once", returning=("id",)
        )
    )
    return _Counts(orders=orders_created, lines=lines_created, skipped=occurrences - lines_created)


def _insert_orders(
    context: _Context, new_orders: list[PlannedOrder]
) -> tuple[dict[tuple[int, str, datetime.date], int], int]:
    """Insert orders for the planned ones; returns every planned order's id (inserted now or
    by a concurrent run) and how many this call inserted."""
    if not new_orders:
        return {}, 0
    numbers = sequence_next_numbers(
        tenant=context.tenant, key="service_order", count=len(new_orders)
    )
    default_sites = dict(
        CustomerSite.objects.for_tenant(context.tenant)
        .filter(is_default=True, customer_id__in={p.agreement.customer_id for p in new_orders})
        .values_list("customer_id", "pk")
    )
    orders = [
        _order_row(context, planned, number, default_sites)
        for planned, number in zip(new_orders, numbers, strict=True)
    ]
    inserted = _insert_ignoring_conflicts(
        ServiceOrder,
        orders,
        unique="service_orders_order_generated_once",
        returning=("id", "agreement_id", "generation_key", "calculated_date"),
    )
    order_ids = {(agreement_id, key, day): pk for pk, agreement_id, key, day in inserted}
    taken = [planned for planned in new_orders if planned.key not in order_ids]
    if taken:  # a concurrent run created these after this chunk was planned: use those
        order_ids.update(_existing_order_ids(context, taken))
    return order_ids, len(inserted)


def _existing_orders(
    context: _Context, planned_orders: list[PlannedOrder]
) -> dict[tuple[int, str, datetime.date], tuple[int, str]]:
    """(id, state) of the generated orders that already exist for these planned ones."""
    if not planned_orders:
        return {}
    wanted = {planned.key for planned in planned_orders}
    days = [planned.calculated_date for planned in planned_orders]
    rows = (
        ServiceOrder.objects.for_tenant(context.tenant)
        .filter(origin=Origin.AGREEMENT, agreement_id__in={key[0] for key in wanted})
        .filter(calculated_date__range=(min(days), max(days)))
        .values_list("agreement_id", "generation_key", "calculated_date", "pk", "state")
    )
    return {key: (pk, state) for *columns, pk, state in rows if (key := tuple(columns)) in wanted}


def _existing_order_ids(
    context: _Context, planned_orders: list[PlannedOrder]
) -> dict[tuple[int, str, datetime.date], int]:
    """The ids of the generated orders that already exist for these planned ones."""
    return {key: pk for key, (pk, _state) in _existing_orders(context, planned_orders).items()}


def _order_row(
    context: _Context, planned: PlannedOrder, number: str, default_sites: dict[int, int]
) -> dict:
    agreement = planned.agreement
    lines = [p.agreement_line for p in planned.lines]
    service_object = next((line.service_object for line in lines if line.service_object_id), None)
    preferred_time = next((line.preferred_time for line in lines if line.preferred_time), None)
    technician_id = next((line.technician_id for line in lines if line.technician_id), None)
    return {
        "tenant_id": context.tenant.pk,
        "number": number,
        "customer_id": agreement.customer_id,
        "agreement_id": agreement.pk,
        "site_id": (service_object.site_id if service_object else None)
        or default_sites.get(agreement.customer_id),
        "description": planned.description,
        "priority": Priority.NORMAL.value,
        "preferred_date": planned.calculated_date,
        "planned_start": recurrence.planned_start(
            planned.calculated_date, preferred_time, context.tenant.zone
        ),
        # Every line's visit must stay inside its own window: the order gets their overlap.
        "window_start": max(p.window[0] for p in planned.lines),
        "window_end": min(p.window[1] for p in planned.lines),
        "responsible_id": agreement.responsible_id,
        "contact_id": agreement.contact_id,
        "preferred_technician_id": technician_id or agreement.preferred_technician_id,
        "origin": Origin.AGREEMENT.value,
        "calendar_conflict": planned.calendar_conflict,
        "calculated_date": planned.calculated_date,
        "generation_key": planned.combine_key,
        "created_by_id": context.by.pk if context.by else None,
        "generation_run_id": context.run.pk if context.run else None,
        "stage_id": context.stage.get("initial"),
    }


def _line_row(context: _Context, order_id: int, planned: PlannedLine) -> dict:
    line = planned.agreement_line
    price = _line_price(context, line)
    return {
        "tenant_id": context.tenant.pk,
        "order_id": order_id,
        "kind": line.kind,
        "description": _line_label(line)[:200],
        "service_object_id": line.service_object_id,
        "task_id": line.task_id,
        "item_id": line.item_id,
        "technician_id": line.technician_id,
        "quantity": line.quantity,
        "unit_price": price.unit_price,
        "cost_price": price.cost_price,
        "agreement_line_id": line.pk,
        "calculated_date": planned.calculated_date,
    }


# --- Prices: the agreement's rate card (agreements.rates) ---------------------------------------


def _load_rates(context: _Context, agreements: set[Agreement]) -> None:
    """The rate cards of these agreements, in one query for those not loaded yet."""
    missing = [agreement for agreement in agreements if agreement.pk not in context.rates]
    if missing:
        context.rates.update(
            agreement_selectors.agreement_rates_for(tenant=context.tenant, agreements=missing)
        )


def _line_price(context: _Context, line: AgreementLine):
    """A generated line's unit price and cost: its own price, else the rate card's (an hour
    line by its task or category, a fee by its description, an item by the card or the item's
    own prices in the tenant's currency); the cost of every line from the card."""
    return context.rates[line.agreement_id].price(
        kind=line.kind,
        task=line.task if line.task_id else None,
        item=line.item if line.item_id else None,
        description=line.description,
        unit_price=line.unit_price,
    )


def _insert_ignoring_conflicts(
    model: type[Model], rows: list[dict], *, unique: str, returning: tuple[str, ...]
) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING ``returning``, for the rows actually inserted.

    Only duplicates under the model's ``unique`` constraint are skipped; any other violation
    (say, an order number that is already taken) still fails.

    ``rows`` map field attnames to plain values. Every other column gets its field's default,
    prepared once as ``Model.save()`` would prepare it (auto_now_add included), so a field added
    to the model later is written without touching this function. Values travel as one array per
    column (``SELECT * FROM unnest(...)``): far less for PostgreSQL to parse than thousands of
    VALUES tuples, and no model instances to build.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    blank = model()
    defaults = {f.attname: f.get_db_prep_save(f.pre_save(blank, True), connection) for f in fields}
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    target, target_params = _conflict_target(model, unique)
    query = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT {target} DO NOTHING RETURNING {returned}"
    )
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), INSERT_BATCH_SIZE):
            batch = rows[offset : offset + INSERT_BATCH_SIZE]
            cursor.execute(
                query,
                [[row.get(name, default) for row in batch] for name, default in defaults.items()]
                + target_params,
            )
            inserted.extend(cursor.fetchall())
    return inserted


def _conflict_target(model: type[Model], constraint_name: str) -> tuple[str, list]:
    """``(columns) WHERE condition`` of a (partial) unique constraint, for ON CONFLICT."""
    constraint = next(c for c in model._meta.constraints if c.name == constraint_name)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in constraint.fields)
    if constraint.condition is None:
        return f"({columns})", []
    query = Query(model=model, alias_cols=False)
    where = query.build_where(constraint.condition)
    condition, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return f"({columns}) WHERE {condition}", list(params)


# --- Bookkeeping --------------------------------------------------------------------------------


def _record_failures(context: _Context, run: GenerationRun, failures: dict[Agreement, str]) -> None:
    GenerationError.objects.bulk_create(
        GenerationError(
            tenant=context.tenant,
            run=run,
            agreement=agreement,
            period_start=context.period_start,
            period_end=context.period_end,
            message=message,
        )
        for agreement, message in failures.items()
    )


def _resolve_errors(context: _Context, agreement_ids: set[int]) -> None:
    """A successful generation resolves an agreement's open errors for periods it covered."""
    if not agreement_ids:
        return
    GenerationError.objects.for_tenant(context.tenant).filter(
        agreement_id__in=agreement_ids,
        resolved_at__isnull=True,
        period_start__gte=context.period_start,
        period_end__lte=context.period_end,
    ).update(resolved_at=timezone.now())


def _add_to_counters(run: GenerationRun, counts: _Counts, *, failed: int, processed: int) -> None:
    GenerationRun.objects.for_tenant(run.tenant_id).filter(pk=run.pk).update(
        orders_created=F("orders_created") + counts.orders,
        lines_created=F("lines_created") + counts.lines,
        occurrences_skipped=F("occurrences_skipped") + counts.skipped,
        agreements_failed=F("agreements_failed") + failed,
        agreements_processed=F("agreements_processed") + processed,
    )
    run.orders_created += counts.orders
    run.lines_created += counts.lines
    run.occurrences_skipped += counts.skipped
    run.agreements_failed += failed
    run.agreements_processed += processed
