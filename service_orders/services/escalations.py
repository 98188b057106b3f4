"""The SLA escalation sweep: clocks that reached an escalation level notify its people, once.

Each open clock carries ``next_escalation_at`` (the moment its next level is reached; NULL when
paused, stopped, settled or past its last level) and ``next_escalation_percent``. A sweep selects
the due clocks by that indexed column only — it never looks at the other open orders — in
batches locked with ``FOR UPDATE SKIP LOCKED``, so two workers sweeping one tenant share the work
instead of waiting on each other. For each clock, in its own savepoint:

1. ``Escalation(order, percent)`` is inserted; the unique constraint on (order, level) turns a
   second attempt (another worker, a retried task, a recomputed clock) into a no-op;
2. the level's people (a role of the tenant or a named member) are notified in their language,
   with an e-mail sent once the transaction commits (web.notifications);
3. the clock moves on to the next level: its moment is the level's share of the resolution
   target in working time from the level just reached (the clock has run since: a pause would
   have emptied ``next_escalation_at``). A sweep after downtime finds that moment already past
   and escalates it in the same sweep, so nothing is skipped.

A clock that fails is rolled back to its savepoint, recorded as an ``EscalationFailure`` and
left due for the next sweep; the others go on.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sla import clock as sla_clock
from sla.models import EscalationLevel
from sla.selectors import clock_calendar
from tenancy.models import Membership, Tenant, User
from web.notifications import notify

from ..models import Escalation, EscalationFailure, OrderClock

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
            for clock in clocks:
                percent = clock.next_escalation_percent
                try:
                    with transaction.atomic():
                        if _escalate(tenant, clock, now, levels, people, calendars):
                            escalated += 1
                except Exception as exc:  # noqa: BLE001 - recorded; the other clocks go on
                    logger.exception("Escalating SLA clock %s failed", clock.pk)
                    failed.add(clock.pk)
                    EscalationFailure.objects.create(
                        tenant=tenant,
                        clock=clock,
                        percent=percent,
                        failed_at=now,
                        error=f"{exc.__class__.__name__}: {exc}"[:2000],
                    )


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


def _escalate(
    tenant: Tenant,
    clock: OrderClock,
    now: datetime.datetime,
    levels: dict[int, list[EscalationLevel]],
    people: dict[str, list[User]],
    calendars: dict,
) -> bool:
    """Escalate ``clock``'s due level and move it on; False when it was escalated before."""
    percent = clock.next_escalation_percent
    reached_at = clock.next_escalation_at
    sla_levels = levels.get(clock.sla_id, [])
    level = next((lvl for lvl in sla_levels if lvl.percent == percent), None)
    made = False
    if percent is not None:
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    tenant=tenant,
                    clock=clock,
                    order=clock.order,
                    percent=percent,
                    reached_at=reached_at,
                    escalated_at=now,
                )
        except IntegrityError:
            pass  # escalated before (by another worker or an earlier try): nobody again
        else:
            made = True
            if level is not None:
                recipients = people.get(level.role) if level.role else None
                if level.user_id:
                    recipients = people.get(f"user:{level.user_id}")
                notified = _notify(tenant, clock, percent, recipients or [])
                Escalation.objects.for_tenant(tenant).filter(
                    order=clock.order, percent=percent
                ).update(notified=notified)
    _advance(tenant, clock, percent, reached_at, sla_levels, calendars)
    return made


def _advance(tenant, clock, percent, reached_at, sla_levels, calendars) -> None:
    """The next level above ``percent`` and the moment it is reached (NULL: none left)."""
    following = [lvl.percent for lvl in sla_levels if percent is None or lvl.percent > percent]
    next_percent = min(following) if following else None
    next_at = None
    if next_percent is not None and clock.resolution_target and reached_at is not None:
        key = clock.calendar_id
        if key not in calendars:
            calendars[key] = clock_calendar(tenant=tenant, calendar=clock.calendar)
        already = sla_clock.fraction_of(clock.resolution_target, percent or 0)
        more = sla_clock.fraction_of(clock.resolution_target, next_percent) - already
        next_at = sla_clock.add_working_time(calendars[key], reached_at, more)
    OrderClock.objects.for_tenant(tenant).filter(pk=clock.pk).update(
        next_escalation_at=next_at,
        next_escalation_percent=next_percent if next_at is not None else None,
    )


def _notify(tenant: Tenant, clock: OrderClock, percent: int, recipients: list[User]) -> int:
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

    made = notify(
        tenant=tenant,
        recipients=recipients,
        key=f"sla-escalation:{order.pk}:{percent}",
        url=reverse("service_orders:order_detail", args=[order.pk]),
        message=message,
    )
    return len(made)
