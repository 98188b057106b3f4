"""The SLA escalation sweep: clocks that reached an escalation level notify its people, once.

Each open clock carries ``next_escalation_at`` (the moment its next level is reached; NULL when
paused, stopped, settled or past its last level) and ``next_escalation_percent``. A sweep selects
the due clocks by that indexed column only — it never looks at the other open orders — in
batches locked with ``FOR UPDATE SKIP LOCKED``, so two workers sweeping one tenant share the work
instead of waiting on each other. Each batch is a handful of statements whatever its size:

1. in memory, for each clock, its next level and that level's moment
   (``sla_clock.escalation_advance``: the level's share of the resolution target in working time
   from the level just reached; a sweep after downtime finds it already past and escalates it
   in the next round of the same sweep, so nothing is skipped). A clock whose arithmetic fails
   is recorded as an ``EscalationFailure`` and left due for the next sweep; the others go on;
2. one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` of the ``Escalation`` rows: the unique
   (order, level) turns a second attempt (another worker, a retried task, a recomputed clock)
   into a no-op, and only the rows this sweep inserted notify anyone;
3. one insert of their notifications, in each person's language (``web.notifications``), with
   the e-mails sent once the transaction commits;
4. one ``UPDATE … FROM unnest(…)`` moving every clock of the batch to its next level.

If a batch's statements fail (a row the database refuses), the batch is rolled back to its
savepoint and redone clock by clock, each in its own savepoint, so one bad clock is recorded as
a failure and the others are escalated.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sla import clock as sla_clock
from sla.models import EscalationLevel
from sla.selectors import clock_calendar
from tenancy.models import Membership, Tenant, User
from web.notifications import notify_many

from ..models import Escalation, EscalationFailure, OrderClock
from .sla_clock import escalation_advance

logger = logging.getLogger(__name__)

BATCH = 500


def due_clocks(*, tenant: Tenant, now: datetime.datetime, limit: int, exclude=()):
    """The clocks whose next escalation level is due, oldest first (the partial index on
    (tenant, next_escalation_at) serves it)."""
    qs = OrderClock.objects.for_tenant(tenant).filter(next_escalation_at__lte=now)
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return qs.order_by("next_escalation_at", "pk")[:limit]


def sweep(*, tenant: Tenant, now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    """Escalate every clock of ``tenant`` due at ``now``; returns the escalations made. Runs in
    the caller's tenant scope (a transaction); each batch is locked and released with it."""
    now = now or timezone.now()
    escalated = 0
    failed: set[int] = set()
    calendars: dict[int | None, sla_clock.Calendar] = {}
    while True:
        with transaction.atomic():
            clocks = list(
                due_clocks(tenant=tenant, now=now, limit=batch, exclude=failed)
                .select_related("order__customer", "calendar")
                .select_for_update(skip_locked=True, of=("self",))
            )
            if not clocks:
                return escalated
            levels = _levels(tenant, {c.sla_id for c in clocks})
            people = _people(tenant, levels)
            plans = []
            for clock in clocks:
                try:
                    plans.append(_plan(tenant, clock, levels, people, calendars))
                except Exception as exc:  # noqa: BLE001 - recorded; the other clocks go on
                    _failed(tenant, clock, exc, now, failed)
            try:
                with transaction.atomic():
                    escalated += _write(tenant, plans, now)
            except Exception:  # noqa: BLE001 - redo one by one to find the clock at fault
                logger.exception("An escalation batch failed; retrying clock by clock")
                for plan in plans:
                    try:
                        with transaction.atomic():
                            escalated += _write(tenant, [plan], now)
                    except Exception as exc:  # noqa: BLE001
                        _failed(tenant, plan.clock, exc, now, failed)


@dataclass
class _Plan:
    """What the sweep does with one due clock: the level to record (None: the clock was due
    with no pending level) and where the clock goes next."""

    clock: OrderClock
    percent: int | None
    reached_at: datetime.datetime | None
    recipients: list[User]
    next_percent: int | None
    next_at: datetime.datetime | None


def _plan(tenant, clock: OrderClock, levels, people, calendars) -> _Plan:
    percent = clock.next_escalation_percent
    sla_levels = levels.get(clock.sla_id, [])
    level = next((lvl for lvl in sla_levels if lvl.percent == percent), None)
    recipients: list[User] = []
    if level is not None:
        key = f"user:{level.user_id}" if level.user_id else level.role
        recipients = people.get(key, [])
    if clock.calendar_id not in calendars:
        calendars[clock.calendar_id] = clock_calendar(tenant=tenant, calendar=clock.calendar)
    next_percent, next_at = escalation_advance(
        calendars[clock.calendar_id],
        clock,
        percent,
        clock.next_escalation_at,
        [lvl.percent for lvl in sla_levels],
    )
    return _Plan(clock, percent, clock.next_escalation_at, recipients, next_percent, next_at)


def _failed(tenant, clock: OrderClock, exc: Exception, now, failed: set[int]) -> None:
    logger.error("Escalating SLA clock %s failed: %r", clock.pk, exc)
    failed.add(clock.pk)
    EscalationFailure.objects.create(
        tenant=tenant,
        clock=clock,
        percent=clock.next_escalation_percent,
        failed_at=now,
        error=f"{exc.__class__.__name__}: {exc}"[:2000],
    )


ESCALATIONS_SQL = """
INSERT INTO {table} (tenant_id, clock_id, order_id, percent, reached_at, escalated_at, notified)
SELECT %s, c, o, p, r, %s, n
FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::timestamptz[], %s::int[])
     AS new(c, o, p, r, n)
ON CONFLICT (tenant_id, order_id, percent) DO NOTHING
RETURNING order_id, percent
"""

ADVANCE_SQL = """
UPDATE {table} AS c
SET next_escalation_at = new.at, next_escalation_percent = new.p
FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[]) AS new(id, at, p)
WHERE c.tenant_id = %s AND c.id = new.id
"""


def _write(tenant: Tenant, plans: list[_Plan], now: datetime.datetime) -> int:
    """Record, notify and advance ``plans`` in three or four statements; the escalations made."""
    if not plans:
        return 0
    pending = [p for p in plans if p.percent is not None]
    made: set[tuple[int, int]] = set()
    if pending:
        with connection.cursor() as cursor:
            cursor.execute(
                ESCALATIONS_SQL.format(table=Escalation._meta.db_table),
                [
                    tenant.pk,
                    now,
                    [p.clock.pk for p in pending],
                    [p.clock.order_id for p in pending],
                    [p.percent for p in pending],
                    [p.reached_at for p in pending],
                    [len({u.pk for u in p.recipients}) for p in pending],
                ],
            )
            made = set(cursor.fetchall())
    fresh = [p for p in pending if (p.clock.order_id, p.percent) in made]
    notify_many(tenant=tenant, items=[_notification(p) for p in fresh if p.recipients])
    with connection.cursor() as cursor:
        cursor.execute(
            ADVANCE_SQL.format(table=OrderClock._meta.db_table),
            [
                [p.clock.pk for p in plans],
                [p.next_at for p in plans],
                [p.next_percent if p.next_at is not None else None for p in plans],
                tenant.pk,
            ],
        )
    return len(fresh)


def _levels(tenant: Tenant, sla_ids: set[int]) -> dict[int, list[EscalationLevel]]:
    by_sla: dict[int, list[EscalationLevel]] = {}
    for level in (
        EscalationLevel.objects.for_tenant(tenant).filter(sla_id__in=sla_ids).order_by("percent")
    ):
        by_sla.setdefault(level.sla_id, []).append(level)
    return by_sla


def _people(tenant: Tenant, levels: dict[int, list[EscalationLevel]]) -> dict[str, list[User]]:
    """Active members of the tenant by role, and named members under "user:<id>" (a named person
    who is no longer a member is nobody to notify)."""
    wanted_roles = {lvl.role for lvls in levels.values() for lvl in lvls if lvl.role}
    wanted_users = {lvl.user_id for lvls in levels.values() for lvl in lvls if lvl.user_id}
    people: dict[str, list[User]] = {}
    if not wanted_roles and not wanted_users:
        return people
    for membership in (
        Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True)
        .filter(Q(role__in=wanted_roles) | Q(user_id__in=wanted_users))
        .select_related("user")
    ):
        if membership.role in wanted_roles:
            people.setdefault(membership.role, []).append(membership.user)
        if membership.user_id in wanted_users:
            people.setdefault(f"user:{membership.user_id}", []).append(membership.user)
    return people


def _notification(plan: _Plan):
    clock, percent = plan.clock, plan.percent
    order = clock.order

    def message() -> tuple[str, str]:
        title = _("Order %(number)s has used %(percent)s %% of its SLA time") % {
            "number": order.number,
            "percent": percent,
        }
        due = (
            date_format(timezone.localtime(clock.resolution_due), "SHORT_DATETIME_FORMAT")
            if clock.resolution_due
            else "—"
        )
        body = _(
            "Service order %(number)s (%(customer)s) reached the escalation level of "
            "%(percent)s %% of its resolution time. Resolution due: %(due)s."
        ) % {
            "number": order.number,
            "customer": order.customer,
            "percent": percent,
            "due": due,
        }
        return title, body

    return (
        plan.recipients,
        f"sla-escalation:{order.pk}:{percent}",
        reverse("service_orders:order_detail", args=[order.pk]),
        message,
    )
