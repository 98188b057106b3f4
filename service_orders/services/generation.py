"""Generating service orders from agreements, exactly once.

For every active, non-template agreement of an active customer and every non-stopped line (a
line without an interval is one visit, on its start date), the occurrences inside (requested
period ∩ agreement dates ∩ line dates, after the line's "generated through" date), minus the days
of suspensions that were not back-filled, become order lines.

Consolidation (``_consolidate``): occurrences of one agreement with the same combine key (the
agreement's combine rule and the site) whose time windows overlap share one order, on the
earliest open day of the tenant's business calendar inside all their windows; the order keeps
that day as its ``calculated_date``, each line keeps its own. Where the windows hold no open day,
the order is created on the calculated date and flagged (``calendar_conflict``), as is a visit
of a "not on holidays" line whose date is a holiday. Deactivated customers and objects, and the
visits placed on closed days, are listed on the run (``GenerationNotice``).

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
from decimal import Decimal
from enum import Enum
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL
from django.db.models.sql.query import Query
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements import recurrence
from agreements import selectors as agreement_selectors
from agreements.models import (
    Agreement,
    AgreementLine,
    AgreementState,
    AgreementSuspension,
    AgreementTask,
    CombineRule,
    TimeWindow,
)
from agreements.rates import AgreementRates
from customers.models import CustomerSite, Item, ServiceObject, ServiceTask
from sla.models import BusinessCalendar
from sla.selectors import calendar_default, calendar_is_open, holiday_dates
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User
from tenancy.services import audit_record, sequence_next_numbers

from ..models import (
    GENERATION_TIME_LIMIT,
    OPEN_STATES,
    DeletedOccurrence,
    GenerationError,
    GenerationNotice,
    GenerationRun,
    GenerationTrigger,
    NoticeKind,
    Origin,
    Priority,
    ServiceOrder,
    ServiceOrderLine,
    ServiceOrderObject,
    ServiceOrderTask,
)
from ..selectors import order_generation_settings
from . import sla_clock
from .stages import stage_tree_ensure

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500  # agreements per transaction
INSERT_BATCH_SIZE = 5000  # rows per INSERT statement
MAX_PERIOD_DAYS = 731
# How far a "days before/after" window may reach (and how far around the period holidays are
# read): a visit is never moved by more than a year.
MAX_WINDOW_DAYS = 366


@dataclass
class PlannedLine:
    """One occurrence: an agreement line falling due on a date."""

    agreement_line: "_Line"
    calculated_date: datetime.date
    window: tuple[datetime.date, datetime.date]
    exists: bool  # an order line was generated for it already
    # A "not on holidays" line falling due on a holiday: its order is flagged.
    on_holiday: bool = False


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

    @cached_property
    def key(self) -> tuple[int, str, datetime.date]:
        # Set once: the order's agreement, combine key and date never change after planning.
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
    flagged: int = 0
    # (kind, agreement id, agreement line id, order id, day) for the run's notices.
    notices: list[tuple] = field(default_factory=list)

    def __iadd__(self, other: "_Counts") -> "_Counts":
        self.orders += other.orders
        self.lines += other.lines
        self.skipped += other.skipped
        self.flagged += other.flagged
        self.notices += other.notices
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
    # Orders get the agreement group's default SLA when the agreement names none.
    group_sla: bool = False
    # What the filters of the run or the page limit: customer, agreement group, responsible
    # person (ids) and line kind.
    filters: dict = field(default_factory=dict)
    _open: dict[datetime.date, bool] = field(default_factory=dict)
    _first_open: dict[tuple[datetime.date, datetime.date], datetime.date | None] = field(
        default_factory=dict
    )
    # Reconciliation asks what suspended agreements still cover: everything outside their
    # suspension (``services.reconciliation``). Generation itself never includes them.
    include_suspended: bool = False
    # A run leaves out of its plan the combine keys whose occurrences were all generated
    # (counted as skipped); the preview and reconciliation plan everything.
    skip_generated: bool = False
    # Each agreement's rate card (by agreement id), loaded per chunk (see _load_rates).
    rates: dict[int, AgreementRates] = field(default_factory=dict)
    # A line's price (by agreement line id): the same for each of its occurrences.
    prices: dict[int, object] = field(default_factory=dict)
    # An order's planned start (by day and preferred time), in the tenant's zone.
    starts: dict[tuple, datetime.datetime] = field(default_factory=dict)

    def is_open(self, day: datetime.date) -> bool:
        if day not in self._open:
            self._open[day] = calendar_is_open(self.calendar, day, self.holidays)
        return self._open[day]

    def first_open(self, start: datetime.date, end: datetime.date) -> datetime.date | None:
        """The earliest open day from ``start`` to ``end``, or None."""
        key = (start, end)
        if key not in self._first_open:
            day, found = start, None
            while day <= end:
                if self.is_open(day):
                    found = day
                    break
                day += datetime.timedelta(days=1)
            self._first_open[key] = found
        return self._first_open[key]

    def last_open(self, start: datetime.date, end: datetime.date) -> datetime.date | None:
        day = end
        while day >= start:
            if self.is_open(day):
                return day
            day -= datetime.timedelta(days=1)
        return None


# --- Public entry points ------------------------------------------------------------------------

# What a run may be limited to besides agreements (ids, and a line kind): the run's fields.
FILTER_FIELDS = ("customer_id", "agreement_group_id", "responsible_id", "line_kind")


def _clean_filters(filters: dict | None) -> dict:
    filters = filters or {}
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"Unknown generation filters: {sorted(unknown)}")
    return {name: value for name, value in filters.items() if value not in (None, "")}


def generation_plan(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    agreement_ids: Iterable[int] | None = None,
    filters: dict | None = None,
) -> list[PlannedOrder]:
    """What a run for this period would generate (the preview): every order by date, the ones
    generated already marked ``exists``. Agreements whose dates cannot be computed are left out
    (a run records them as errors). ``filters``: see ``FILTER_FIELDS``."""
    _validate_period(period_start, period_end)
    with tenant_scope(tenant):
        context = _context(tenant, period_start, period_end, filters=_clean_filters(filters))
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
    filters: dict | None = None,
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
            filters=filters,
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
    filters: dict | None = None,
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
        **_clean_filters(filters),
    )


def generation_run_enqueue(
    *,
    tenant: Tenant,
    period_start: datetime.date,
    period_end: datetime.date,
    by: User,
    agreement_ids: Iterable[int] | None = None,
    filters: dict | None = None,
) -> GenerationRun:
    """The "Generate" button: record the run and hand it to a background worker once this
    transaction commits. The run page follows it (queued, generating, finished). The worker
    reads the filters from the run."""
    from ..tasks import generate_orders_for_run  # the task module imports this one

    run = generation_run_create(
        tenant=tenant,
        period_start=period_start,
        period_end=period_end,
        trigger=GenerationTrigger.MANUAL,
        by=by,
        agreement_ids=agreement_ids,
        filters=filters,
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
        filters = {name: getattr(run, name) for name in FILTER_FIELDS}
        context = _context(
            tenant,
            run.period_start,
            run.period_end,
            by=by,
            run=run,
            filters=_clean_filters(filters),
        )
        agreement_ids = _agreement_ids_due(context, run.agreement_ids)
        with_open_errors = set(
            GenerationError.objects.for_tenant(tenant)
            .filter(_any(GenerationError, "agreement_id", agreement_ids), resolved_at__isnull=True)
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
                "flagged": run.orders_flagged,
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


def stranded_run_ids(*, tenant: Tenant, now: datetime.datetime | None = None) -> list[int]:
    """Runs that were recorded but never finished and no worker is on any more: queued for
    longer than a run may take, or picked up longer ago than that (the worker was killed). The
    daily job processes them (``generation_run_process`` only adds what is still missing)."""
    cutoff = (now or timezone.now()) - GENERATION_TIME_LIMIT
    with tenant_scope(tenant):
        return list(
            GenerationRun.objects.for_tenant(tenant)
            .filter(finished_at__isnull=True, started_at__lt=cutoff)
            .filter(Q(picked_up_at__isnull=True) | Q(picked_up_at__lt=cutoff))
            .order_by("started_at", "pk")
            .values_list("pk", flat=True)
        )


def combine_key(agreement: Agreement, line: "_Line", default_site_id: int | None = None) -> str:
    """Which order an occurrence goes into, by the agreement's combine rule and the site: one
    visit never covers objects at two sites. Lines at the customer's default site (or without
    an object) keep the rule's plain key; an object elsewhere adds its site."""
    rule = agreement.combine_rule
    if rule == CombineRule.PER_AGREEMENT:
        key = "agreement"
    elif rule == CombineRule.PER_OBJECT:
        return f"object:{line.service_object_id or 0}"  # an object is at one site
    elif rule == CombineRule.PER_TASK:
        key = f"task:{line.task_id or 0}"
    elif rule == CombineRule.PER_TECHNICIAN:
        key = f"technician:{line.technician_id or agreement.preferred_technician_id or 0}"
    else:
        raise ValueError(f"Unknown combine rule {rule!r}.")
    site_id = _line_site_id(line)
    if site_id and site_id != default_site_id:
        key = f"{key}@site:{site_id}"
    return key


def _line_site_id(line: "_Line") -> int | None:
    return line.service_object.site_id if line.service_object_id else None


# --- Planning -----------------------------------------------------------------------------------


def _validate_period(period_start: datetime.date, period_end: datetime.date) -> None:
    if period_end < period_start:
        raise ValidationError({"period_end": _("The end date cannot be before the start date.")})
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"period_end": _("Generate at most two years at a time.")})


def _context(tenant, period_start, period_end, by=None, run=None, filters=None) -> _Context:
    calendar = calendar_default(tenant=tenant)
    # Windows reach around the period: read the holidays they can touch.
    reach = datetime.timedelta(days=MAX_WINDOW_DAYS + 31)
    holidays = holiday_dates(
        tenant=tenant, calendar=calendar, start=period_start - reach, end=period_end + reach
    )
    context = _Context(
        tenant,
        period_start,
        period_end,
        calendar,
        frozenset(holidays),
        by,
        run,
        group_sla=order_generation_settings(tenant=tenant).group_sla_on_generated,
        filters=filters or {},
        skip_generated=run is not None,
    )
    if run is not None:  # writing: new orders start at the tenant's initial stage
        context.stage["initial"] = stage_tree_ensure(tenant=tenant).pk
    return context


def _agreements_due(context: _Context):
    states = [AgreementState.ACTIVE]
    if context.include_suspended:
        states.append(AgreementState.SUSPENDED)
    agreements = (
        Agreement.objects.for_tenant(context.tenant)
        .filter(state__in=states, is_template=False, start_date__lte=context.period_end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=context.period_start))
    )
    filters = context.filters
    if "customer_id" in filters:
        agreements = agreements.filter(customer_id=filters["customer_id"])
    if "agreement_group_id" in filters:
        agreements = agreements.filter(group_id=filters["agreement_group_id"])
    if "responsible_id" in filters:
        agreements = agreements.filter(responsible_id=filters["responsible_id"])
    return agreements


def _agreement_ids_due(context: _Context, agreement_ids: Iterable[int] | None) -> list[int]:
    agreements = _agreements_due(context)
    if agreement_ids is not None:
        agreements = agreements.filter(pk__in=list(agreement_ids))
    return list(agreements.order_by("pk").values_list("pk", flat=True))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for offset in range(0, len(ids), CHUNK_SIZE):
        yield ids[offset : offset + CHUNK_SIZE]


# What generation reads of an agreement line: plain values, no model instance (a chunk has
# hundreds of lines and every run reads them all).
_LINE_FIELDS = (
    "id",
    "agreement_id",
    "position",
    "kind",
    "description",
    "service_object_id",
    "task_id",
    "item_id",
    "technician_id",
    "quantity",
    "unit_price",
    "interval_unit",
    "interval_count",
    "excluded_months",
    "exclude_holidays",
    "time_window",
    "window_days_before",
    "window_days_after",
    "preferred_time",
    "start_date",
    "end_date",
    "generated_through",
    "series_anchor",
)


@dataclass(slots=True, eq=False)  # eq=False: a line is itself (hashable by identity)
class _Line:
    """An agreement line's values as generation reads them (``_LINE_FIELDS``), with its object,
    task and item (model instances: a chunk's lines share few of them)."""

    id: int
    agreement_id: int
    position: int
    kind: str
    description: str
    service_object_id: int | None
    task_id: int | None
    item_id: int | None
    technician_id: int | None
    quantity: Decimal
    unit_price: Decimal | None
    interval_unit: str
    interval_count: int
    excluded_months: list[int]
    exclude_holidays: bool
    time_window: str
    window_days_before: int
    window_days_after: int
    preferred_time: datetime.time | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    generated_through: datetime.date | None
    series_anchor: datetime.date | None
    service_object: "ServiceObject | _Object | None" = None
    task: ServiceTask | None = None
    item: Item | None = None

    @property
    def pk(self) -> int:
        return self.id

    def anchor(self, agreement: Agreement) -> datetime.date:
        """As ``AgreementLine.anchor``: kept across renewals, else the line's start, else the
        agreement's."""
        return self.series_anchor or self.start_date or agreement.start_date

    def get_kind_display(self) -> str:
        return str(_KIND_LABELS.get(self.kind, self.kind))


_KIND_LABELS = dict(AgreementLine._meta.get_field("kind").flatchoices)


def _any(model: type[Model], column: str, ids: Iterable[int]) -> RawSQL:
    """``table.column = ANY('{…}'::bigint[])``: a list of ids as one parameter, read by
    PostgreSQL's array input, rather than the ORM's ``IN (%s, %s, …)`` with one parameter per
    id (and one constant per id to parse and plan)."""
    quote = connection.ops.quote_name
    literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    # Safe: the table and column are quoted names from the model, the ids one parameter.
    return RawSQL(  # noqa: S611
        f"{quote(model._meta.db_table)}.{quote(column)} = ANY(%s::bigint[])",
        (literal,),
        output_field=BooleanField(),
    )


def _load_agreements(context: _Context, agreement_ids: list[int]) -> list[Agreement]:
    """The chunk's agreements (re-checked: one may have been suspended meanwhile) with the lines
    that generate in the period (``_Line``: values, not models) and the suspensions that were
    not back-filled (as (from, ends on) pairs)."""
    start, end = context.period_start, context.period_end
    # The group only for its default SLA (when the tenant uses it); the preview shows it too.
    related = (
        ("customer", "group") if context.group_sla or not context.skip_generated else ("customer",)
    )
    agreements = list(
        _agreements_due(context)
        .filter(_any(Agreement, "id", agreement_ids))
        .select_related(*related)
        .order_by("pk")
    )
    ids = [agreement.pk for agreement in agreements]
    lines = (
        AgreementLine.objects.for_tenant(context.tenant)
        .filter(_any(AgreementLine, "agreement_id", ids))
        .filter(is_stopped=False)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=end))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .filter(Q(generated_through__isnull=True) | Q(generated_through__lt=end))
        .order_by("position", "pk")
    )
    if "line_kind" in context.filters:
        lines = lines.filter(kind=context.filters["line_kind"])
    by_agreement: dict[int, list[_Line]] = {pk: [] for pk in ids}
    all_lines = [_Line(*row) for row in lines.values_list(*_LINE_FIELDS)]
    for line in all_lines:
        by_agreement[line.agreement_id].append(line)
    suspensions: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for agreement_id, suspended_from, resumed_on, resume_on in (
        AgreementSuspension.objects.for_tenant(context.tenant)
        .filter(_any(AgreementSuspension, "agreement_id", ids))
        .filter(backfill=False, suspended_from__lte=end)
        .filter(Q(resumed_on__isnull=True) | Q(resumed_on__gt=start))
        .values_list("agreement_id", "suspended_from", "resumed_on", "resume_on")
    ):
        # A suspension still running ends on its planned day, if it has one (``ends_on``).
        suspensions[agreement_id].append((suspended_from, resumed_on or resume_on))
    for agreement in agreements:
        agreement.generating_lines = by_agreement[agreement.pk]
        agreement.skipped_suspensions = suspensions[agreement.pk]
    # Read apart rather than joined (a chunk's lines share few items, tasks and objects).
    _attach(context, all_lines, Item, "item")
    _attach(context, all_lines, ServiceTask, "task")
    if context.skip_generated:  # a run reads of an object only its site and whether active
        _attach_objects(context, all_lines)
    else:  # the preview shows it
        _attach(context, all_lines, ServiceObject, "service_object")
    return agreements


@dataclass(slots=True, frozen=True)
class _Object:
    """What a run reads of a line's service object."""

    id: int
    site_id: int | None
    is_active: bool


def _attach_objects(context: _Context, lines: list[_Line]) -> None:
    ids = {line.service_object_id for line in lines} - {None}
    if not ids:
        return
    objects = {
        row[0]: _Object(*row)
        for row in ServiceObject.objects.for_tenant(context.tenant)
        .filter(_any(ServiceObject, "id", ids))
        .values_list("id", "site_id", "is_active")
    }
    for line in lines:
        if line.service_object_id is not None:
            line.service_object = objects.get(line.service_object_id)


def _attach(context: _Context, lines: list[_Line], model: type[Model], name: str) -> None:
    """Load the lines' ``name`` (``name``_id names a ``model``) in one query and set it on
    each line."""
    attname = f"{name}_id"
    ids = {getattr(line, attname) for line in lines} - {None}
    if not ids:
        return
    rows = {row.id: row for row in model.objects.for_tenant(context.tenant).filter(id__in=ids)}
    for line in lines:
        setattr(line, name, rows.get(getattr(line, attname)))


def _plan_chunk(
    context: _Context, agreement_ids: list[int]
) -> tuple[dict[Agreement, list[PlannedOrder]], dict[Agreement, str]]:
    """Every agreement's planned orders, and the message of each agreement that failed (an
    agreement with a line that cannot be priced is planned without that line and reported)."""
    agreements = _load_agreements(context, agreement_ids)
    line_ids = [line.pk for agreement in agreements for line in agreement.generating_lines]
    period = (context.period_start, context.period_end)
    generated = set(
        ServiceOrderLine.objects.for_tenant(context.tenant)
        .filter(_any(ServiceOrderLine, "agreement_line_id", line_ids))
        .filter(calculated_date__range=period)
        .values_list("agreement_line_id", "calculated_date")
    )
    # Occurrences whose order someone deleted count as generated: never created again.
    generated.update(
        DeletedOccurrence.objects.for_tenant(context.tenant)
        .filter(_any(DeletedOccurrence, "agreement_line_id", line_ids))
        .filter(calculated_date__range=period)
        .values_list("agreement_line_id", "calculated_date")
    )
    _load_rates(context, set(agreements))
    default_sites = _default_sites(context, {a.customer_id for a in agreements})
    plans: dict[Agreement, list[PlannedOrder]] = {}
    failures: dict[Agreement, str] = {}
    for agreement in agreements:
        agreement.default_site_id = default_sites.get(agreement.customer_id)
        agreement.generation_notices = []
        agreement.generation_skipped = 0  # occurrences left out of the plan: all generated
        try:
            plans[agreement], problems = _plan_agreement(context, agreement, generated)
        except Exception as exc:  # any bad record is reported, never fatal for the others
            failures[agreement] = _message(exc)
            continue
        if problems:
            failures[agreement] = " ".join(problems)
    return plans, failures


def _default_sites(context: _Context, customer_ids: set) -> dict[int, int]:
    return dict(
        CustomerSite.objects.for_tenant(context.tenant)
        .filter(_any(CustomerSite, "customer_id", customer_ids), is_default=True)
        .values_list("customer_id", "pk")
    )


def _plan_agreement(
    context: _Context,
    agreement: Agreement,
    generated: set[tuple[int, datetime.date]],
) -> tuple[list[PlannedOrder], list[str]]:
    """The agreement's orders: its occurrences, grouped by combine key, consolidated by their
    windows. Also the problems that kept a line out (reported as the agreement's error)."""
    if not agreement.customer.is_active:
        agreement.generation_notices.append((NoticeKind.CUSTOMER_INACTIVE, None, None))
        return [], []
    suspended = agreement.skipped_suspensions  # (from, ends on) pairs
    by_key: dict[str, list[tuple[_Line, list[datetime.date]]]] = {}
    problems: list[str] = []
    for line in agreement.generating_lines:
        if line.service_object_id and not line.service_object.is_active:
            agreement.generation_notices.append((NoticeKind.OBJECT_INACTIVE, line.pk, None))
            continue
        days = [
            day
            for day in _line_dates(context, agreement, line)
            if not any(_within(day, start, end) for start, end in suspended)
        ]
        if not days:
            continue
        if problem := _price_problem(context, agreement, line):
            problems.append(problem)
            continue
        key = combine_key(agreement, line, agreement.default_site_id)
        by_key.setdefault(key, []).append((line, days))
    planned_orders = []
    for key, members in by_key.items():
        if context.skip_generated and all(
            (line.pk, day) in generated for line, days in members for day in days
        ):
            # A run, and every occurrence of this combine key generated already (the re-run
            # that creates nothing): no windows to compute, no visits to form.
            agreement.generation_skipped += sum(len(days) for _line, days in members)
            continue
        occurrences = [
            PlannedLine(
                agreement_line=line,
                calculated_date=day,
                window=_window(context, agreement, line, day),
                exists=(line.pk, day) in generated,
                on_holiday=line.exclude_holidays and day in context.holidays,
            )
            for line, days in members
            for day in days
        ]
        planned_orders.extend(
            PlannedOrder(
                agreement=agreement,
                calculated_date=day,
                combine_key=key,
                calendar_conflict=flagged,
                lines=visit,
            )
            for day, flagged, visit in _consolidate(context, occurrences)
        )
    planned_orders.sort(key=lambda planned: (planned.calculated_date, planned.combine_key))
    return planned_orders, problems


def _price_problem(context: _Context, agreement: Agreement, line: "_Line") -> str | None:
    """An item's sales price is in the tenant's currency (the price list's): a line without a
    price of its own in an agreement of another currency cannot be priced."""
    if line.unit_price is not None or not line.item_id:
        return None
    if agreement.currency == context.tenant.currency:
        return None
    rates = context.rates.get(agreement.pk)
    rate = rates.item_rate(line.item) if rates is not None else None
    if rate is not None and rate.sales_price is not None:  # the rate card prices it
        return None
    return _(
        "Line %(position)s: the item's price is in %(item_currency)s but the agreement is in "
        "%(currency)s; give the line its own price."
    ) % {
        "position": line.position,
        "item_currency": context.tenant.currency,
        "currency": agreement.currency,
    }


def _window(
    context: _Context, agreement: Agreement, line: "_Line", day: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The days a visit due on ``day`` may move to, never outside the agreement's dates nor
    after the line ends (a line's start date may lie inside a window: it anchors the series).
    "Same week" and "same month" count open days only (their first to their last open day; the
    day itself when none is open); "days before/after" counts calendar days."""
    before = min(line.window_days_before, MAX_WINDOW_DAYS)
    after = min(line.window_days_after, MAX_WINDOW_DAYS)
    start, end = recurrence.time_window(day, line.time_window, before, after)
    start = max(start, agreement.start_date)
    end = min(end, agreement.end_date or end, line.end_date or end)
    if line.time_window in (TimeWindow.SAME_WEEK, TimeWindow.SAME_MONTH):
        first = context.first_open(start, end)
        if first is None:
            return day, day
        return first, context.last_open(start, end)
    return start, end


def _consolidate(
    context: _Context, occurrences: list[PlannedLine]
) -> list[tuple[datetime.date, bool, list[PlannedLine]]]:
    """Put occurrences of one combine key whose windows overlap onto as few visits as possible:
    (day, flagged, occurrences) per visit.

    Taken in order of their windows' first day, each occurrence joins the visit being formed
    while the windows still share an open day and the visit has no occurrence of the same line
    yet; the visit is on the earliest open day inside all its windows. A visit whose window has
    no open day is on the calculated date and flagged; only occurrences of that same date join
    it. A "not on holidays" line due on a holiday flags its visit too."""
    ordered = sorted(
        occurrences,
        key=lambda o: (
            o.window[0],
            o.calculated_date,
            o.agreement_line.position,
            o.agreement_line.pk,
        ),
    )
    visits: list[tuple[datetime.date, bool, list[PlannedLine]]] = []
    used: set[datetime.date] = set()  # one visit per day and combine key

    def free_day(lo: datetime.date, hi: datetime.date) -> datetime.date | None:
        day = context.first_open(lo, hi)
        while day is not None and day in used:
            day = context.first_open(day + datetime.timedelta(days=1), hi)
        return day

    def close(day: datetime.date | None, members: list[PlannedLine]) -> None:
        visit = _visit(day, members)
        used.add(visit[0])
        visits.append(visit)

    members: list[PlannedLine] = []
    lo = hi = day = None
    for occurrence in ordered:
        if members and occurrence.agreement_line not in {m.agreement_line for m in members}:
            new_lo, new_hi = max(lo, occurrence.window[0]), min(hi, occurrence.window[1])
            if new_lo <= new_hi:
                new_day = free_day(new_lo, new_hi)
                same_closed_date = (
                    day is None
                    and context.first_open(new_lo, new_hi) is None
                    and occurrence.calculated_date == members[0].calculated_date
                )
                if new_day is not None or same_closed_date:
                    members.append(occurrence)
                    lo, hi, day = new_lo, new_hi, new_day
                    continue
        if members:
            close(day, members)
        members = [occurrence]
        lo, hi = occurrence.window
        # Every open day of the window taken by another visit of this key: share the first.
        day = free_day(lo, hi) or context.first_open(lo, hi)
        if day is None:  # not even the calculated date's window has an open day
            lo = hi = occurrence.calculated_date
    if members:
        close(day, members)
    return visits


def _visit(
    day: datetime.date | None, members: list[PlannedLine]
) -> tuple[datetime.date, bool, list[PlannedLine]]:
    if day is None:
        return members[0].calculated_date, True, members
    return day, any(member.on_holiday for member in members), members


def _line_dates(context: _Context, agreement: Agreement, line: "_Line") -> list[datetime.date]:
    """The line's occurrences inside (period ∩ agreement dates ∩ line dates), after its
    "generated through" date. A line without an interval falls due once, on its anchor."""
    anchor = line.anchor(agreement)
    start = max(context.period_start, agreement.start_date, line.start_date or anchor)
    if line.generated_through is not None:
        start = max(start, line.generated_through + datetime.timedelta(days=1))
    end = min(
        context.period_end,
        agreement.end_date or context.period_end,
        line.end_date or context.period_end,
    )
    months = tuple(line.excluded_months)
    if not line.interval_unit:  # one-time work
        due = line.start_date or agreement.start_date
        return [due] if start <= due <= end and due.month not in months else []
    key = (line.interval_unit, line.interval_count, anchor, start, end, months)
    if key not in context.occurrences:
        context.occurrences[key] = recurrence.occurrences(
            unit=line.interval_unit,
            count=line.interval_count,
            anchor=anchor,
            start=start,
            end=end,
            excluded_months=months,
        )
    return context.occurrences[key]


def _within(day: datetime.date, start: datetime.date, end: datetime.date | None) -> bool:
    """Inside a suspension: from its first day up to, not including, the day it was resumed."""
    return start <= day and (end is None or day < end)


def _line_label(line: "_Line") -> str:
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
        # Combine keys left out of the plan: every occurrence generated already.
        counts.skipped += sum(
            agreement.generation_skipped for agreement in plans if agreement not in write_failures
        )
        failures.update(write_failures)
        succeeded = {agreement.pk for agreement in plans} - {a.pk for a in failures}
        _record_chunk(
            context,
            run,
            failures=failures,
            plans=plans,
            counts=counts,
            resolved=succeeded & with_open_errors,
            processed=len(agreement_ids),
        )
        if connection.savepoint_ids:  # inside a caller's transaction: leave it as it was
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
    rows = _generated_orders(context, to_write)
    existing = _existing_orders(context, to_write, rows)
    order_ids = {key: pk for key, (pk, state) in existing.items() if state in OPEN_STATES}
    # A visit planned since (by an earlier run, or for a line added later) that lies inside
    # the windows of the missing occurrences takes them, rather than a second trip.
    order_ids.update(
        _joinable_orders(
            context, [planned for planned in to_write if planned.key not in existing], rows
        )
    )
    new_orders = [
        planned
        for planned in to_write
        if planned.key not in order_ids and planned.key not in existing
    ]
    created_ids, orders_created = _insert_orders(context, new_orders)
    order_ids.update(created_ids)
    lines = [
        _line_row(context, order_ids[planned.key], line)
        for planned in to_write
        if planned.key in order_ids
        for line in planned.missing_lines
    ]
    inserted = _insert_ignoring_conflicts(
        ServiceOrderLine,
        lines,
        unique="service_orders_line_generated_once",
        returning=("id", "order_id"),
    )
    lines_created = len(inserted)
    _copy_relations(context, new_orders, created_ids)
    sla_clock.clocks_start_generated(tenant=context.tenant, order_ids=created_ids.values())
    notices = [
        (
            NoticeKind.NO_OPEN_DAY
            if not context.is_open(planned.calculated_date)
            else NoticeKind.HOLIDAY,
            planned.agreement.pk,
            None,
            created_ids[planned.key],
            planned.calculated_date,
        )
        for planned in new_orders
        if planned.calendar_conflict and planned.key in created_ids
    ]
    return _Counts(
        orders=orders_created,
        lines=lines_created,
        skipped=occurrences - lines_created,
        flagged=len(notices),
        notices=notices,
    )


def _generated_orders(
    context: _Context, planned_orders: list[PlannedOrder]
) -> list[tuple[int, str, datetime.date, int, str]]:
    """(agreement, combine key, date, id, state) of the generated orders of these planned
    orders' agreements from the first day of their windows to the last: what both
    ``_existing_orders`` and ``_joinable_orders`` look in, read once."""
    if not planned_orders:
        return []
    days = [planned.calculated_date for planned in planned_orders]
    windows = [line.window for planned in planned_orders for line in planned.missing_lines]
    return list(
        ServiceOrder.objects.for_tenant(context.tenant)
        .filter(
            _any(
                ServiceOrder, "agreement_id", {planned.agreement.pk for planned in planned_orders}
            ),
            origin=Origin.AGREEMENT,
            calculated_date__range=(
                min(days + [lo for lo, _hi in windows]),
                max(days + [hi for _lo, hi in windows]),
            ),
        )
        .order_by("calculated_date", "pk")
        .values_list("agreement_id", "generation_key", "calculated_date", "pk", "state")
    )


def _joinable_orders(
    context: _Context,
    planned_orders: list[PlannedOrder],
    rows: list[tuple[int, str, datetime.date, int, str]],
) -> dict[tuple[int, str, datetime.date], int]:
    """For planned orders whose own key has no order yet: an open generated order of the same
    agreement and combine key on an open day inside every missing occurrence's window (the
    earliest), which the missing lines then join."""
    wanted = {}
    for planned in planned_orders:
        missing = planned.missing_lines
        lo = max(p.window[0] for p in missing)
        hi = min(p.window[1] for p in missing)
        if lo <= hi:
            wanted[planned.key] = (lo, hi)
    if not wanted:
        return {}
    candidates: dict[tuple[int, str], list[tuple[datetime.date, int]]] = {}
    for agreement_id, key, day, pk, state in rows:  # in order of date
        if state in OPEN_STATES and context.is_open(day):
            candidates.setdefault((agreement_id, key), []).append((day, pk))
    found = {}
    for (agreement_id, key, day), (lo, hi) in wanted.items():
        for order_day, pk in candidates.get((agreement_id, key), ()):
            if lo <= order_day <= hi:
                found[(agreement_id, key, day)] = pk
                break
    return found


def _copy_relations(
    context: _Context,
    new_orders: list[PlannedOrder],
    created_ids: dict[tuple[int, str, datetime.date], int],
) -> None:
    """The agreement's object relations that an order's lines use go onto the new order, and
    its task relations that carry notes (internal: for the technician; customer: on the
    receipt); a task without notes is on the order's lines already."""
    created = [planned for planned in new_orders if planned.key in created_ids]
    if not created:
        return
    task_notes = {
        (link.agreement_id, link.task_id): link
        for link in AgreementTask.objects.for_tenant(context.tenant)
        .filter(_any(AgreementTask, "agreement_id", {planned.agreement.pk for planned in created}))
        .exclude(internal_note="", customer_note="")
    }
    objects, tasks = [], []
    for planned in created:
        order_id = created_ids[planned.key]
        lines = [p.agreement_line for p in planned.lines]
        for object_id in dict.fromkeys(
            ln.service_object_id for ln in lines if ln.service_object_id
        ):
            objects.append(
                {
                    "tenant_id": context.tenant.pk,
                    "order_id": order_id,
                    "service_object_id": object_id,
                }
            )
        for task_id in dict.fromkeys(ln.task_id for ln in lines if ln.task_id):
            link = task_notes.get((planned.agreement.pk, task_id))
            if link is None:  # the task is on the order's lines; the relation adds its notes
                continue
            tasks.append(
                {
                    "tenant_id": context.tenant.pk,
                    "order_id": order_id,
                    "task_id": task_id,
                    "internal_note": link.internal_note,
                    "customer_note": link.customer_note,
                }
            )
    _insert_ignoring_conflicts(
        ServiceOrderObject, objects, unique="so_order_object_once", returning=("id",)
    )
    _insert_ignoring_conflicts(
        ServiceOrderTask, tasks, unique="so_order_task_once", returning=("id",)
    )


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
    orders = [
        _order_row(context, planned, number)
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
    context: _Context, planned_orders: list[PlannedOrder], rows: list[tuple] | None = None
) -> dict[tuple[int, str, datetime.date], tuple[int, str]]:
    """(id, state) of the generated orders that already exist for these planned ones (looked
    up in ``rows`` of ``_generated_orders`` when the caller read them already)."""
    if not planned_orders:
        return {}
    wanted = {planned.key for planned in planned_orders}
    if rows is None:
        days = [planned.calculated_date for planned in planned_orders]
        rows = (
            ServiceOrder.objects.for_tenant(context.tenant)
            .filter(_any(ServiceOrder, "agreement_id", {key[0] for key in wanted}))
            .filter(origin=Origin.AGREEMENT)
            .filter(calculated_date__range=(min(days), max(days)))
            .values_list("agreement_id", "generation_key", "calculated_date", "pk", "state")
        )
    return {key: (pk, state) for *columns, pk, state in rows if (key := tuple(columns)) in wanted}


def _existing_order_ids(
    context: _Context, planned_orders: list[PlannedOrder]
) -> dict[tuple[int, str, datetime.date], int]:
    """The ids of the generated orders that already exist for these planned ones."""
    return {key: pk for key, (pk, _state) in _existing_orders(context, planned_orders).items()}


def _order_sla_id(context: _Context, agreement: Agreement) -> int | None:
    """The agreement's SLA; its group's default only when the tenant turned that on."""
    if agreement.sla_id:
        return agreement.sla_id
    if context.group_sla and agreement.group_id:
        return agreement.group.default_sla_id
    return None


def _order_row(context: _Context, planned: PlannedOrder, number: str) -> dict:
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
        or getattr(agreement, "default_site_id", None),
        "sla_id": _order_sla_id(context, agreement),
        "description": planned.description,
        "priority": Priority.NORMAL.value,
        "preferred_date": planned.calculated_date,
        "planned_start": _planned_start(context, planned.calculated_date, preferred_time),
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


def _planned_start(
    context: _Context, day: datetime.date, preferred_time: datetime.time | None
) -> datetime.datetime:
    key = (day, preferred_time)
    if key not in context.starts:
        context.starts[key] = recurrence.planned_start(day, preferred_time, context.tenant.zone)
    return context.starts[key]


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


def _line_price(context: _Context, line: "_Line"):
    """A generated line's unit price and cost: its own price, else the rate card's (an hour
    line by its task or category, a fee by its description, an item by the card or the item's
    own prices in the tenant's currency); the cost of every line from the card. Computed once
    per line and chunk: every occurrence of the line has the same."""
    price = context.prices.get(line.pk)
    if price is None:
        price = context.prices[line.pk] = context.rates[line.agreement_id].price(
            kind=line.kind,
            task=line.task if line.task_id else None,
            item=line.item if line.item_id else None,
            description=line.description,
            unit_price=line.unit_price,
        )
    return price


def _insert_ignoring_conflicts(
    model: type[Model], rows: list[dict], *, unique: str | None, returning: tuple[str, ...]
) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING ``returning``, for the rows actually inserted.

    Only duplicates under the model's ``unique`` constraint are skipped; any other violation
    (say, an order number that is already taken) still fails. ``unique=None``: a plain INSERT.

    ``rows`` map field attnames to plain values. Every other column gets its field's default,
    prepared once as ``Model.save()`` would prepare it (auto_now_add included), so a field added
    to the model later is written without touching this function. No model instances are built.

    What PostgreSQL parses is kept small, as in the floor's INSERT … SELECT: a column with one
    value for every row (the defaults, the tenant, the run) is one parameter; every other column
    travels as one array literal (``'{…}'::type[]``, read by PostgreSQL's array input in one go
    rather than parsed as thousands of constants), unnested into rows.
    """
    if not rows:
        return []
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), INSERT_BATCH_SIZE):
            query, params = _insert_statement(
                model, rows[offset : offset + INSERT_BATCH_SIZE], unique, returning
            )
            cursor.execute(query, params)
            inserted.extend(cursor.fetchall())
    return inserted


def _insert_statement(
    model: type[Model], batch: list[dict], unique: str | None, returning: tuple[str, ...]
) -> tuple[str, list]:
    """The INSERT of ``_insert_ignoring_conflicts`` for one batch of rows: (SQL, parameters)."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    blank = model()
    defaults = {f.attname: f.get_db_prep_save(f.pre_save(blank, True), connection) for f in fields}
    columns = ", ".join(quote(f.column) for f in fields)
    returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    conflict, target_params = "", []
    if unique is not None:
        target, target_params = _conflict_target(model, unique)
        conflict = f"ON CONFLICT {target} DO NOTHING "
    present = set().union(*(row.keys() for row in batch))
    selected, constants, arrays, array_params = [], [], [], []
    for column_field in fields:
        default = defaults[column_field.attname]
        if column_field.attname in present:
            values = [row.get(column_field.attname, default) for row in batch]
        else:  # the default in every row
            values = [default] * len(batch)
        db_type = column_field.db_type(connection)
        first = values[0]
        if _all_equal(values) and (arrays or column_field is not fields[-1]):
            selected.append(f"%s::{db_type}")
            constants.append(first)
            continue
        name = f"c{len(arrays)}"
        arrays.append(f"%s::{db_type}[]")
        array_params.append(_array_literal(values))
        selected.append(f"u.{name}")
    names = ", ".join(f"c{n}" for n in range(len(arrays)))
    query = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({names}) "
        f"{conflict}RETURNING {returned}"
    )
    return query, constants + array_params + target_params


def _all_equal(values: list) -> bool:
    first = values[0]
    kind = type(first)
    return all(value is first or (type(value) is kind and value == first) for value in values)


def _quoted(value) -> str:
    text = str(value.value if isinstance(value, Enum) else value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# How each kind of value is written as an element of an array literal (by exact type; a
# subclass, say a choices enum, goes through ``_element``).
_ELEMENT = {
    type(None): lambda value: "NULL",
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    datetime.date: str,  # 2026-05-01: nothing to quote
    datetime.datetime: _quoted,  # has a space
    str: _quoted,
}


def _element(value) -> str:
    write = _ELEMENT.get(type(value))
    if write is not None:
        return write(value)
    if isinstance(value, str):
        return _quoted(value)
    raise TypeError(type(value))


def _array_literal(values: list) -> object:
    """PostgreSQL's text form of an array of these values ('{1,NULL,"a \\"b\\""}'); the list
    itself (psycopg2 adapts it) for a value of another kind."""
    kinds = {type(value) for value in values} - {type(None)}
    if len(kinds) == 1:  # a column holds one kind of value: pick its writer once
        (kind,) = kinds
        write = _ELEMENT.get(kind) or (_quoted if issubclass(kind, str) else None)
        if write is not None:
            return "{" + ",".join(["NULL" if v is None else write(v) for v in values]) + "}"
    try:
        return "{" + ",".join(map(_element, values)) + "}"
    except TypeError:
        return values


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


def _record_chunk(
    context: _Context,
    run: GenerationRun,
    *,
    failures: dict[Agreement, str],
    plans: dict[Agreement, list[PlannedOrder]],
    counts: _Counts,
    resolved: set[int],
    processed: int,
) -> None:
    """The end of a chunk in one statement: its errors and notices inserted, the open errors of
    the agreements it generated resolved, the run's counters added to (each part a
    data-modifying WITH clause of the counters' UPDATE)."""
    parts: list[tuple[str, list]] = []
    errors = _error_rows(context, run, failures)
    if errors:
        parts.append(_insert_statement(GenerationError, errors, None, ("id",)))
    notices = _notice_rows(context, run, plans, counts.notices)
    if notices:
        parts.append(
            _insert_statement(GenerationNotice, notices, "so_notice_once_per_run", ("id",))
        )
    if resolved:
        parts.append(_resolve_statement(context, resolved))
    quote = connection.ops.quote_name
    counters = {
        "orders_flagged": counts.flagged,
        "orders_created": counts.orders,
        "lines_created": counts.lines,
        "occurrences_skipped": counts.skipped,
        "agreements_failed": len(failures),
        "agreements_processed": processed,
    }
    assignments = ", ".join(f"{quote(name)} = {quote(name)} + %s" for name in counters)
    with_sql = ", ".join(f"w{n} AS ({query})" for n, (query, _params) in enumerate(parts))
    query = (
        (f"WITH {with_sql} " if parts else "")
        + f"UPDATE {quote(GenerationRun._meta.db_table)} SET {assignments} "
        + "WHERE tenant_id = %s AND id = %s"
    )
    params = [p for _query, part_params in parts for p in part_params]
    params += [*counters.values(), context.tenant.pk, run.pk]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
    for name, value in counters.items():
        setattr(run, name, getattr(run, name) + value)


def _error_rows(context: _Context, run: GenerationRun, failures: dict[Agreement, str]) -> list:
    return [
        {
            "tenant_id": context.tenant.pk,
            "run_id": run.pk,
            "agreement_id": agreement.pk,
            "period_start": context.period_start,
            "period_end": context.period_end,
            "message": message,
        }
        for agreement, message in failures.items()
    ]


def _notice_rows(
    context: _Context,
    run: GenerationRun,
    plans: dict[Agreement, list[PlannedOrder]],
    written: list[tuple],
) -> list[dict]:
    """What the run left out (deactivated customers and objects) and the visits it placed on a
    closed day or a holiday. Once per run, even when the run is processed again (the insert
    skips what the run noted already)."""
    rows = [
        (kind, agreement.pk, line_id, None, day)
        for agreement in plans
        for kind, line_id, day in getattr(agreement, "generation_notices", ())
    ]
    return [
        {
            "tenant_id": context.tenant.pk,
            "run_id": run.pk,
            "kind": kind,
            "agreement_id": agreement_id,
            "agreement_line_id": line_id,
            "order_id": order_id,
            "day": day,
        }
        for kind, agreement_id, line_id, order_id, day in rows + list(written)
    ]


def _resolve_statement(context: _Context, agreement_ids: set[int]) -> tuple[str, list]:
    """A successful generation resolves an agreement's open errors for periods it covered."""
    query = GenerationError.objects.for_tenant(context.tenant).filter(
        _any(GenerationError, "agreement_id", agreement_ids),
        resolved_at__isnull=True,
        period_start__gte=context.period_start,
        period_end__lte=context.period_end,
    )
    compiler = query.query.chain(UpdateQuery)
    compiler.add_update_values({"resolved_at": timezone.now()})
    sql, params = compiler.get_compiler(connection=connection).as_sql()
    return f"{sql} RETURNING 1", list(params)
