"""The SLA clock of service orders: which SLA applies, when it started, paused, is due, and how
it ended.

The arithmetic is ``sla.clock`` (pure functions); this module feeds it the order's recorded
facts: the applied SLA and calendar, the creation moment, and the pauses *derived* from the stage
log (time in a stage that stops SLA time, and time completed or cancelled before a reopen) and
from manual stops. So recomputing after a calendar or SLA edit (:func:`clocks_recompute`) gives
the same answer the live clock would have, and the live clock is just a recompute after each
stage change (:func:`clock_on_stage_change`, called in the stage change's transaction).

Met or breached is decided once, at the first completion, and kept (a later reopen or calendar
edit never flips it); a breach seen while running stays a breach.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sla import clock as sla_clock
from sla.models import BusinessCalendar, ServiceLevelAgreement, SlaTarget
from sla.selectors import (
    calendar_default,
    clock_calendar,
    escalation_percents,
    sla_settings,
    sla_target,
)
from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import (
    ClockEvent,
    ClockEventKind,
    ClockStatus,
    OrderClock,
    OrderState,
    Origin,
    ServiceOrder,
    SlaSource,
    StageLog,
)

DONE_STATES = (OrderState.COMPLETED, OrderState.POSTED)


class ClockActionRefused(Exception):
    """The clock is not in a state the manual action applies to (someone changed it first)."""

    def __init__(self, clock: OrderClock, message: str):
        super().__init__(message)
        self.clock = clock
        self.message = message


# -- which SLA applies ----------------------------------------------------------------------------


def applicable_sla(
    *, tenant: Tenant, order: ServiceOrder
) -> tuple[ServiceLevelAgreement | None, str]:
    """The order's own > agreement's > agreement group's > customer's > tenant default."""
    if order.sla_id:
        return order.sla, SlaSource.ORDER
    agreement = order.agreement if order.agreement_id else None
    if agreement is not None:
        if agreement.sla_id:
            return agreement.sla, SlaSource.AGREEMENT
        if agreement.group_id and agreement.group.default_sla_id:
            return agreement.group.default_sla, SlaSource.AGREEMENT_GROUP
    if order.customer.sla_id:
        return order.customer.sla, SlaSource.CUSTOMER
    settings = sla_settings(tenant=tenant)
    if settings.default_sla_id:
        return settings.default_sla, SlaSource.TENANT
    return None, ""


def _calendar_of(tenant: Tenant, sla: ServiceLevelAgreement) -> BusinessCalendar | None:
    if sla.calendar_id:
        return sla.calendar
    return calendar_default(tenant=tenant)


# -- deriving the pauses ----------------------------------------------------------------------


def clock_pauses(
    *, logs: Iterable[StageLog], events: Iterable[ClockEvent]
) -> list[sla_clock.Pause]:
    """The intervals the clock did not run, from the stage log and the manual events (in time
    order): in a stage that stops SLA time, completed, posted or cancelled (until reopened), or
    stopped by hand (until started by hand). An interval still going has ``end=None``."""
    pauses: list[sla_clock.Pause] = []
    since: datetime.datetime | None = None  # paused by the stage/state since
    for log in logs:
        stage_stops = log.to_stage is not None and log.to_stage.stops_sla
        closed = log.to_state in DONE_STATES or log.to_state == OrderState.CANCELLED
        if stage_stops or closed:
            if since is None:
                since = log.at
        elif since is not None:
            pauses.append(sla_clock.Pause(since, log.at))
            since = None
    if since is not None:
        pauses.append(sla_clock.Pause(since, None))
    stopped: datetime.datetime | None = None
    for event in events:
        if event.kind == ClockEventKind.STOP and stopped is None:
            stopped = event.at
        elif event.kind == ClockEventKind.START and stopped is not None:
            pauses.append(sla_clock.Pause(stopped, event.at))
            stopped = None
    if stopped is not None:
        pauses.append(sla_clock.Pause(stopped, None))
    return pauses


def _logs(tenant: Tenant, order_id: int) -> list[StageLog]:
    return list(
        StageLog.objects.for_tenant(tenant)
        .filter(order_id=order_id)
        .select_related("to_stage")
        .order_by("at", "id")
    )


def _events(tenant: Tenant, clock: OrderClock) -> list[ClockEvent]:
    return list(ClockEvent.objects.for_tenant(tenant).filter(clock=clock).order_by("at", "id"))


# -- computing ----------------------------------------------------------------------------------


def _first_response(logs: Iterable[StageLog]) -> datetime.datetime | None:
    """The first time the order left "new" for work (scheduled or in progress) or was done."""
    for log in logs:
        if log.from_state == OrderState.NEW and log.to_state not in (
            OrderState.NEW,
            OrderState.CANCELLED,
        ):
            return log.at
    return None


def _compute(
    clock: OrderClock,
    calendar: sla_clock.Calendar,
    logs: list[StageLog],
    events: list[ClockEvent],
    percents: list[int],
    now: datetime.datetime,
) -> None:
    """Refresh the derived fields of an undecided clock from its facts (in memory)."""
    pauses = clock_pauses(logs=logs, events=events)
    merged = sla_clock.merge_pauses(pauses)
    last_manual = next(
        (e for e in reversed(events) if e.kind in (ClockEventKind.STOP, ClockEventKind.START)),
        None,
    )
    stopped = last_manual is not None and last_manual.kind == ClockEventKind.STOP
    clock.stopped_at = last_manual.at if stopped else None
    open_pause = merged[-1] if merged and merged[-1].end is None else None
    clock.paused_since = open_pause.start if open_pause is not None else None
    clock.responded_at = _first_response(logs)
    clock.resolution_due = sla_clock.due_at(
        calendar, clock.started_at, clock.resolution_target, merged
    )
    clock.response_due = (
        sla_clock.due_at(calendar, clock.started_at, clock.response_target, merged)
        if clock.response_target
        else None
    )
    clock.used = sla_clock.working_time_used(calendar, clock.started_at, now, merged)
    clock.used_as_of = now
    if clock.breached_at is None and clock.used > clock.resolution_target:
        clock.breached_at = clock.resolution_due
    if clock.breached_at is not None:
        clock.status = ClockStatus.BREACHED
    else:
        clock.status = sla_clock.running_status(
            clock.used, clock.resolution_target, clock.warning_percent
        )
    _schedule_escalation(clock, calendar, merged, percents)
    clock.recomputed_at = now


def _schedule_escalation(
    clock: OrderClock,
    calendar: sla_clock.Calendar,
    pauses: list[sla_clock.Pause],
    percents: list[int],
) -> None:
    """The pending level's moment; none while paused (the sweep must not select it)."""
    pending = clock.next_escalation_percent
    if pending is None or pending not in percents:
        later = [p for p in percents if pending is None or p >= pending]
        pending = later[0] if later else None
    clock.next_escalation_percent = pending
    if pending is None or clock.paused_since is not None:
        clock.next_escalation_at = None
        return
    clock.next_escalation_at = sla_clock.due_at(
        calendar, clock.started_at, sla_clock.fraction_of(clock.resolution_target, pending), pauses
    )


def _decide(clock: OrderClock, status: str, at: datetime.datetime) -> None:
    clock.status = status
    clock.decided_at = at
    clock.next_escalation_at = None


# -- starting -------------------------------------------------------------------------------------


def clock_start(
    *, tenant: Tenant, order: ServiceOrder, now: datetime.datetime | None = None
) -> OrderClock | None:
    """Give a new order its clock, if an SLA with a target for its priority applies (and, for a
    generated order, the tenant wants clocks on those). Idempotent: an existing clock is kept."""
    existing = OrderClock.objects.for_tenant(tenant).filter(order=order).first()
    if existing is not None:
        return existing
    if order.origin == Origin.AGREEMENT and not sla_settings(tenant=tenant).clock_on_generated:
        return None
    sla, source = applicable_sla(tenant=tenant, order=order)
    if sla is None or sla.is_suspended:
        return None
    target = sla_target(tenant=tenant, sla=sla, priority=order.priority)
    if target is None:
        return None
    calendar_record = _calendar_of(tenant, sla)
    calendar = clock_calendar(tenant=tenant, calendar=calendar_record)
    now = now or timezone.now()
    created = order.created_at or now
    clock = OrderClock(
        tenant=tenant,
        order=order,
        sla=sla,
        sla_source=source,
        calendar=calendar_record,
        priority=order.priority,
        response_target=(
            datetime.timedelta(minutes=target.response_minutes) if target.response_minutes else None
        ),
        resolution_target=datetime.timedelta(minutes=target.resolution_minutes),
        warning_percent=sla.warning_percent,
        created_at=created,
        started_at=sla_clock.next_open(calendar, created),
        used_as_of=now,
    )
    _compute(
        clock,
        calendar,
        _logs(tenant, order.pk),
        [],
        escalation_percents(tenant=tenant, sla=sla),
        now,
    )
    clock.save()
    return clock


def clocks_start_generated(*, tenant: Tenant, order_ids: Iterable[int]) -> int:
    """Clocks for orders a generation run created (if the tenant wants them); the count made."""
    order_ids = list(order_ids)
    if not order_ids or not SlaTarget.objects.for_tenant(tenant).exists():
        return 0  # no SLA has a target: no order can get a clock (one query, then done)
    if not sla_settings(tenant=tenant).clock_on_generated:
        return 0
    orders = (
        ServiceOrder.objects.for_tenant(tenant)
        .filter(pk__in=order_ids)
        .select_related("sla", "agreement__sla", "agreement__group__default_sla", "customer__sla")
    )
    return sum(1 for order in orders if clock_start(tenant=tenant, order=order) is not None)


# -- following the stage log ------------------------------------------------------------------


def clock_check_completion(
    *, tenant: Tenant, order: ServiceOrder, to_state: str, late_reason: str
) -> None:
    """Before an order is completed: ValidationError (field ``late_reason``) when its time was
    exceeded, the tenant asks for a reason and none is given."""
    if to_state not in DONE_STATES or order.state in DONE_STATES:
        return
    clock = OrderClock.objects.for_tenant(tenant).filter(order=order).first()
    if clock is None or clock.decided_at is not None or late_reason.strip():
        return
    if not sla_settings(tenant=tenant).require_late_reason:
        return
    calendar = clock_calendar(tenant=tenant, calendar=clock.calendar)
    now = timezone.now()
    _compute(clock, calendar, _logs(tenant, order.pk), _events(tenant, clock), [], now)
    if clock.status == ClockStatus.BREACHED:
        raise ValidationError(
            {"late_reason": _("The SLA time of this order is exceeded: say why it is late.")}
        )


def _closed(state: str | None) -> bool:
    return state in DONE_STATES or state == OrderState.CANCELLED


def _stops_time(stage, state: str | None) -> bool:
    """Does an order at ``stage`` in ``state`` stop its clock? (As ``clock_pauses`` reads it.)"""
    return (stage is not None and stage.stops_sla) or _closed(state)


def clock_on_stage_change(
    *,
    tenant: Tenant,
    order: ServiceOrder,
    log: StageLog,
    late_reason: str = "",
    by: User | None = None,
) -> OrderClock | None:
    """Follow a stage change (in its transaction): pause, resume, decide met/breached at the
    first completion, cancel with the order, reopen a cancelled clock when the cancel is
    revoked. Returns the clock (None for an order without one, or when the change cannot
    move it: see ``_stops_time``)."""
    if (
        _stops_time(log.from_stage, log.from_state) == _stops_time(log.to_stage, log.to_state)
        and not _closed(log.from_state)
        and not _closed(log.to_state)
    ):
        # Between two open stages that both run (or both stop) SLA time: the pauses derived
        # from the log do not change, so neither do the due time and the escalation; the time
        # passing (at risk, breached) is the sweep's. Saves the clock's recompute (six
        # statements) on every planning move.
        return None
    clock = (
        OrderClock.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("calendar")
        .filter(order=order)
        .first()
    )
    if clock is None:
        return None
    now = log.at
    reopened = (
        clock.status == ClockStatus.CANCELLED
        and log.to_state != OrderState.CANCELLED
        and not ClockEvent.objects.for_tenant(tenant)
        .filter(clock=clock, kind=ClockEventKind.CANCEL)
        .exists()
    )
    if reopened:
        clock.decided_at = None
    if clock.decided_at is not None:
        return clock
    calendar = clock_calendar(tenant=tenant, calendar=clock.calendar)
    events = _events(tenant, clock)
    _compute(
        clock,
        calendar,
        _logs(tenant, order.pk),
        events,
        escalation_percents(tenant=tenant, sla=clock.sla),
        now,
    )
    if log.to_state == OrderState.CANCELLED:
        _decide(clock, ClockStatus.CANCELLED, now)
    elif log.to_state in DONE_STATES:
        met = clock.breached_at is None and clock.used <= clock.resolution_target
        _decide(clock, ClockStatus.MET if met else ClockStatus.BREACHED, now)
        if not met and late_reason.strip():
            clock.late_reason = late_reason.strip()
            ClockEvent.objects.create(
                tenant=tenant,
                clock=clock,
                kind=ClockEventKind.LATE,
                reason=clock.late_reason,
                by=by,
                at=now,
            )
    clock.save()
    return clock


# -- manual actions -------------------------------------------------------------------------------


def _locked_clock(tenant: Tenant, order_id: int) -> OrderClock:
    return (
        OrderClock.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("order", "calendar", "sla")
        .get(order_id=order_id)
    )


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    return reason


@transaction.atomic
def clock_manual(
    *, tenant: Tenant, order_id: int, by: User, action: str, reason: str
) -> OrderClock:
    """Stop, start or cancel an order's clock by hand, with a reason.

    OrderClock.DoesNotExist for an order without a clock (or another tenant's);
    ValidationError (``reason``) without a reason; ClockActionRefused when the clock is not in a
    state the action applies to (stopping a clock that is not running, starting one not stopped
    by hand, anything on a decided clock)."""
    reason = _reason_required(reason)
    clock = _locked_clock(tenant, order_id)
    if clock.decided_at is not None:
        raise ClockActionRefused(clock, _("The SLA clock of this order is already decided."))
    if action == ClockEventKind.STOP and not clock.is_running:
        raise ClockActionRefused(clock, _("The SLA clock is not running."))
    if action == ClockEventKind.START and clock.stopped_at is None:
        raise ClockActionRefused(clock, _("The SLA clock was not stopped by hand."))
    if action not in (ClockEventKind.STOP, ClockEventKind.START, ClockEventKind.CANCEL):
        raise ValueError(action)
    now = timezone.now()
    ClockEvent.objects.create(tenant=tenant, clock=clock, kind=action, reason=reason, by=by, at=now)
    calendar = clock_calendar(tenant=tenant, calendar=clock.calendar)
    _compute(
        clock,
        calendar,
        _logs(tenant, order_id),
        _events(tenant, clock),
        escalation_percents(tenant=tenant, sla=clock.sla),
        now,
    )
    if action == ClockEventKind.CANCEL:
        _decide(clock, ClockStatus.CANCELLED, now)
    clock.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action=f"order.clock_{action}",
        target=clock.order,
        params={"number": clock.order.number, "reason": reason},
    )
    return clock


# -- recomputing ----------------------------------------------------------------------------------


def clock_recompute(
    *, tenant: Tenant, clock_id: int, now: datetime.datetime | None = None
) -> OrderClock | None:
    """Recompute one undecided clock from its facts with the SLA's and calendar's current
    values (targets, threshold, windows); a decided clock is left as it is."""
    with transaction.atomic():
        clock = (
            OrderClock.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("sla", "calendar", "order")
            .filter(pk=clock_id, decided_at__isnull=True)
            .first()
        )
        if clock is None:
            return None
        target = sla_target(tenant=tenant, sla=clock.sla, priority=clock.priority)
        if target is not None:
            clock.resolution_target = datetime.timedelta(minutes=target.resolution_minutes)
            clock.response_target = (
                datetime.timedelta(minutes=target.response_minutes)
                if target.response_minutes
                else None
            )
        clock.warning_percent = clock.sla.warning_percent
        calendar = clock_calendar(tenant=tenant, calendar=clock.calendar)
        clock.started_at = sla_clock.next_open(calendar, clock.created_at)
        clock.breached_at = None  # re-derived; a decided clock never comes here
        _compute(
            clock,
            calendar,
            _logs(tenant, clock.order_id),
            _events(tenant, clock),
            escalation_percents(tenant=tenant, sla=clock.sla),
            now or timezone.now(),
        )
        clock.save()
        return clock


def open_clock_ids(
    *, tenant: Tenant, calendar_id: int | None = None, sla_id: int | None = None
) -> list[int]:
    """Undecided clocks using a calendar or an SLA (what an edit of it affects)."""
    qs = OrderClock.objects.for_tenant(tenant).filter(decided_at__isnull=True)
    if calendar_id is not None:
        qs = qs.filter(calendar_id=calendar_id)
    if sla_id is not None:
        qs = qs.filter(sla_id=sla_id)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def clocks_recompute(
    *, tenant: Tenant, calendar_id: int | None = None, sla_id: int | None = None
) -> tuple[int, int]:
    """Recompute the open clocks an edit affects, one savepoint each: a failing clock does not
    stop the others. Returns (recomputed, failed)."""
    done = failed = 0
    for clock_id in open_clock_ids(tenant=tenant, calendar_id=calendar_id, sla_id=sla_id):
        try:
            if clock_recompute(tenant=tenant, clock_id=clock_id) is not None:
                done += 1
        except Exception:  # noqa: BLE001 - isolate one clock's failure, keep the rest going
            failed += 1
    return done, failed


def escalation_advance(
    calendar: sla_clock.Calendar,
    clock: OrderClock,
    percent: int | None,
    reached_at: datetime.datetime | None,
    percents: Iterable[int],
) -> tuple[int | None, datetime.datetime | None]:
    """The level after ``percent`` (reached at ``reached_at``) and the moment it is reached:
    its share of the resolution target in working time after the level just reached. The one
    way a clock moves to its next level (the escalation sweep calls it; a recompute schedules
    from the start with :func:`_schedule_escalation`). The clock ran since ``reached_at``: a
    pause would have emptied ``next_escalation_at`` and it would not be due. (None, None): no
    level left."""
    following = [p for p in percents if percent is None or p > percent]
    next_percent = min(following) if following else None
    if next_percent is None or not clock.resolution_target or reached_at is None:
        return None, None
    already = sla_clock.fraction_of(clock.resolution_target, percent or 0)
    more = sla_clock.fraction_of(clock.resolution_target, next_percent) - already
    return next_percent, sla_clock.add_working_time(calendar, reached_at, more)


def demo_created_at(
    *, tenant: Tenant, clock: OrderClock, share: int, now: datetime.datetime
) -> datetime.datetime:
    """The creation moment from which ``share`` % of the clock's resolution target in working
    time has passed by ``now`` on its calendar (for demo data and journeys that travel a clock
    back: the clock then runs from that moment, as if the order had been made then)."""
    calendar = clock_calendar(tenant=tenant, calendar=clock.calendar)
    wanted = sla_clock.fraction_of(clock.resolution_target, share)
    early, late = now - datetime.timedelta(days=120), now
    for _step in range(40):  # bisection to well under a second
        middle = early + (late - early) / 2
        if sla_clock.working_time_between(calendar, middle, now) > wanted:
            early = middle
        else:
            late = middle
    return late
