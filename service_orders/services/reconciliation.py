"""Keeping generated orders in step with what agreements cover (customers.coverage).

When a change stops covering a visit (an agreement suspended, cancelled or expired, a line
stopped or rescheduled, a customer or service object deactivated), its open generated future
work is cancelled with the change's reason: an order whose every open line is no longer covered
is cancelled as a whole; an order that keeps other covered lines keeps them, and only the
uncovered lines are cancelled. Orders already started (in progress, on hold), completed, posted
or signed off are never touched, nor are orders whose stage forbids cancelling or changing
lines, nor lines added by hand.

What is covered is what generation would create now: the same planning (``generation``), for
suspended agreements outside their suspension. Each cancellation is recorded
(``CoverageCancellation``); when a later change covers the visit again (resume, restart, the old
schedule back), the cancellation is revoked. Then the affected active agreements are generated
from today (or, for a resume with back-fill, from the suspension's first day) to the look-ahead,
so a new schedule's dates and a resumed agreement's visits exist at once.

``coverage_preview`` says what ``coverage_apply`` would do, in a constant number of queries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, AgreementState
from customers.coverage import PREVIEW_LIMIT, AffectedRecord, CoverageChange, CoverageEffect
from tenancy.models import Tenant, User

from ..models import (
    CoverageCancellation,
    CoverageCause,
    GenerationTrigger,
    LineStatus,
    OrderStage,
    OrderState,
    Origin,
    ReasonCode,
    ServiceOrder,
    ServiceOrderLine,
)
from ..selectors import cancel_stage, order_generation_settings
from . import generation
from .line_changes import line_cancel, line_revoke_cancel
from .orders import order_cancel, order_revoke_cancel
from .stages import OrderTransitionRefused

KEY = "service_orders"
# Generated work reconciliation may cancel: not started yet.
UNSTARTED_STATES = (OrderState.NEW, OrderState.SCHEDULED)
# The cancelled stage's reason code for work an agreement no longer covers (default tree).
REASON_CODE = "agreement"


@dataclass
class _Plan:
    """What reconciling a change does: orders cancelled whole, lines cancelled alone (by order),
    cancellations revoked."""

    whole: dict[int, list[ServiceOrderLine]] = field(default_factory=dict)
    lines: dict[int, list[ServiceOrderLine]] = field(default_factory=dict)
    orders: dict[int, ServiceOrder] = field(default_factory=dict)
    restore: list[CoverageCancellation] = field(default_factory=list)
    new_lines: int = 0  # occurrences generation would add now

    @property
    def cancelled(self) -> int:
        return len(self.whole) + sum(len(lines) for lines in self.lines.values())


# --- The listener -------------------------------------------------------------------------------


def coverage_preview(*, tenant: Tenant, change: CoverageChange) -> CoverageEffect:
    plan = _plan(tenant, change)
    plan.new_lines = _new_lines(tenant, change)
    return _effect(plan)


def coverage_apply(*, tenant: Tenant, by: User | None, change: CoverageChange) -> CoverageEffect:
    """Restore what is covered again, cancel what is no longer covered, generate what is due;
    in the caller's transaction."""
    plan = _plan(tenant, change)
    restored = _restore(tenant, by, plan.restore)
    if restored:  # an order back in play may hold lines that are still not covered
        plan = _plan(tenant, change)
        plan.restore = []
    cancelled = _cancel(tenant, by, change, plan)
    created = _generate(tenant, by, change)
    effect = _effect(plan)
    return replace(effect, cancelled=cancelled, restored=restored, created=created)


# --- Planning -----------------------------------------------------------------------------------


def _scope(change: CoverageChange, prefix: str) -> Q:
    """The agreement lines a change may affect, as a filter on ``prefix`` (an agreement line)."""
    scope = Q(pk__in=[])
    if change.agreement_ids:
        scope |= Q(**{f"{prefix}__agreement_id__in": change.agreement_ids})
    if change.line_ids:
        scope |= Q(**{f"{prefix}_id__in": change.line_ids})
    if change.customer_ids:
        scope |= Q(**{f"{prefix}__agreement__customer_id__in": change.customer_ids})
    if change.object_ids:
        scope |= Q(**{f"{prefix}__service_object_id__in": change.object_ids})
    return scope


def _plan(tenant: Tenant, change: CoverageChange) -> _Plan:
    today = tenant.today()
    # A back-fill brings back the visits of the suspended period as well (done late).
    restore_from = min(change.generate_from or today, today)
    candidates = list(
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(_scope(change, "agreement_line"))
        .filter(
            status=LineStatus.CREATED,
            calculated_date__gte=today,
            order__origin=Origin.AGREEMENT,
            order__state__in=UNSTARTED_STATES,
            order__signed_off_at__isnull=True,
        )
        .select_related("order__stage")
        .order_by("calculated_date", "order_id", "pk")
    )
    restorable = list(
        CoverageCancellation.objects.for_tenant(tenant)
        .filter(_scope(change, "agreement_line"))
        .filter(restored_at__isnull=True, calculated_date__gte=restore_from)
        .select_related("order__stage", "line")
        .order_by("calculated_date", "order_id", "pk")
    )
    # Still cancelled as the change left it (not reopened or moved on by hand since).
    restorable = [
        c
        for c in restorable
        if (c.whole_order and c.order.state == OrderState.CANCELLED)
        or (
            not c.whole_order
            and c.line.status == LineStatus.CANCELLED
            and c.order.state in UNSTARTED_STATES
        )
    ]
    days = [line.calculated_date for line in candidates] + [c.calculated_date for c in restorable]
    if not days:
        return _Plan()
    agreement_ids = {line.order.agreement_id for line in candidates} | {
        c.agreement_id for c in restorable
    }
    wanted, unknown = _covered(tenant, agreement_ids, min(days), max(days))
    plan = _Plan(
        restore=[
            c
            for c in restorable
            if c.agreement_id not in unknown and (c.agreement_line_id, c.calculated_date) in wanted
        ]
    )
    uncovered: dict[int, list[ServiceOrderLine]] = defaultdict(list)
    for line in candidates:
        if line.order.agreement_id in unknown:
            continue  # its dates cannot be computed: leave its work as it is
        if (line.agreement_line_id, line.calculated_date) not in wanted:
            uncovered[line.order_id].append(line)
            plan.orders[line.order_id] = line.order
    if not uncovered:
        return plan
    # Every open line of those orders, by hand or generated, any date: what the order keeps.
    open_lines = defaultdict(set)
    for order_id, line_id in (
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(order_id__in=list(uncovered), status=LineStatus.CREATED)
        .values_list("order_id", "pk")
    ):
        open_lines[order_id].add(line_id)
    for order_id, lines in uncovered.items():
        stage: OrderStage | None = plan.orders[order_id].stage
        if open_lines[order_id] <= {line.pk for line in lines}:
            if stage is None or stage.can_cancel:
                plan.whole[order_id] = lines
        elif stage is None or stage.can_modify:
            plan.lines[order_id] = lines
    return plan


def _covered(
    tenant: Tenant, agreement_ids: set[int], start: datetime.date, end: datetime.date
) -> tuple[set[tuple[int, datetime.date]], set[int]]:
    """The (agreement line, date) occurrences that generation plans now for these agreements
    from ``start`` to ``end`` (suspended agreements outside their suspension), and the
    agreements whose dates could not be computed."""
    context = replace(
        generation._context(tenant, start, end), include_suspended=True, occurrences={}
    )
    wanted: set[tuple[int, datetime.date]] = set()
    unknown: set[int] = set()
    for chunk in generation._chunks(generation._agreement_ids_due(context, agreement_ids)):
        plans, failures = generation._plan_chunk(context, chunk)
        unknown.update(agreement.pk for agreement in failures)
        for planned_orders in plans.values():
            for planned in planned_orders:
                for planned_line in planned.lines:
                    wanted.add((planned_line.agreement_line.pk, planned_line.calculated_date))
    return wanted, unknown


def _generation_period(tenant: Tenant, change: CoverageChange):
    today = tenant.today()
    end = today + datetime.timedelta(days=order_generation_settings(tenant=tenant).horizon_days)
    start = min(change.generate_from, today)
    # One run covers at most generation.MAX_PERIOD_DAYS.
    return max(start, end - datetime.timedelta(days=generation.MAX_PERIOD_DAYS - 1)), end


def _agreements_to_generate(tenant: Tenant, change: CoverageChange) -> list[int] | None:
    """The active agreements the change touches (None: none)."""
    scope = Q(pk__in=change.agreement_ids) | Q(customer_id__in=change.customer_ids)
    if change.line_ids:
        scope |= Q(lines__pk__in=change.line_ids)
    if change.object_ids:
        scope |= Q(lines__service_object_id__in=change.object_ids)
    ids = list(
        Agreement.objects.for_tenant(tenant)
        .filter(scope, state=AgreementState.ACTIVE, is_template=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    return ids or None


def _new_lines(tenant: Tenant, change: CoverageChange) -> int:
    if change.generate_from is None:
        return 0
    agreement_ids = _agreements_to_generate(tenant, change)
    if agreement_ids is None:
        return 0
    start, end = _generation_period(tenant, change)
    plan = generation.generation_plan(
        tenant=tenant, period_start=start, period_end=end, agreement_ids=agreement_ids
    )
    return sum(len(planned.missing_lines) for planned in plan)


# --- Writing ------------------------------------------------------------------------------------


def _reason_code_id(tenant: Tenant, order: ServiceOrder) -> int | None:
    target = cancel_stage(tenant=tenant, stage=order.stage)
    if target is None:
        return None
    return (
        ReasonCode.objects.for_tenant(tenant)
        .filter(stage=target, code=REASON_CODE)
        .values_list("pk", flat=True)
        .first()
    )


def _cancel(tenant: Tenant, by: User | None, change: CoverageChange, plan: _Plan) -> int:
    note = change.note or _("No longer covered by the agreement.")
    records: list[CoverageCancellation] = []
    cancelled = 0
    for order_id, lines in plan.whole.items():
        order = plan.orders[order_id]
        try:
            order_cancel(
                tenant=tenant,
                by=by,
                order_id=order_id,
                reason=note,
                reason_code_id=_reason_code_id(tenant, order),
            )
        except OrderTransitionRefused:
            continue  # started meanwhile: never touched
        cancelled += 1
        records.extend(_record(tenant, change, line, whole=True) for line in lines)
    for order_id, lines in plan.lines.items():
        for line in lines:
            try:
                line_cancel(tenant=tenant, by=by, order_id=order_id, line_id=line.pk, reason=note)
            except OrderTransitionRefused:
                break  # the order started meanwhile: leave it
            cancelled += 1
            records.append(_record(tenant, change, line, whole=False))
    CoverageCancellation.objects.bulk_create(records)
    return cancelled


def _record(
    tenant: Tenant, change: CoverageChange, line: ServiceOrderLine, *, whole: bool
) -> CoverageCancellation:
    return CoverageCancellation(
        tenant=tenant,
        order_id=line.order_id,
        line=line,
        whole_order=whole,
        agreement_id=line.order.agreement_id,
        agreement_line_id=line.agreement_line_id,
        calculated_date=line.calculated_date,
        cause=change.cause
        if change.cause in CoverageCause.values
        else CoverageCause.AGREEMENT_CHANGED,
        suspension_id=change.suspension_id if change.cause == "agreement_suspended" else None,
    )


def _restore(tenant: Tenant, by: User | None, cancellations: list[CoverageCancellation]) -> int:
    restored_orders: set[int] = set()
    done: list[int] = []
    count = 0
    for cancellation in cancellations:
        try:
            if cancellation.whole_order:
                if cancellation.order_id not in restored_orders:
                    order_revoke_cancel(
                        tenant=tenant,
                        by=by,
                        order_id=cancellation.order_id,
                        reason=_("Covered by the agreement again."),
                    )
                    restored_orders.add(cancellation.order_id)
                    count += 1
            else:
                line_revoke_cancel(
                    tenant=tenant,
                    by=by,
                    order_id=cancellation.order_id,
                    line_id=cancellation.line_id,
                )
                count += 1
        except OrderTransitionRefused:
            continue  # changed by hand meanwhile: left as it is
        done.append(cancellation.pk)
    CoverageCancellation.objects.for_tenant(tenant).filter(pk__in=done).update(
        restored_at=timezone.now()
    )
    return count


def _generate(tenant: Tenant, by: User | None, change: CoverageChange) -> int:
    if change.generate_from is None:
        return 0  # the next run generates the new dates
    agreement_ids = _agreements_to_generate(tenant, change)
    if agreement_ids is None:
        return 0
    start, end = _generation_period(tenant, change)
    run = generation.generation_run(
        tenant=tenant,
        period_start=start,
        period_end=end,
        trigger=GenerationTrigger.CHANGE,
        by=by,
        agreement_ids=agreement_ids,
    )
    return run.lines_created


# --- What the confirmation says -----------------------------------------------------------------


def _label(order: ServiceOrder) -> str:
    return f"{order.number} · {order.description}"


def _effect(plan: _Plan) -> CoverageEffect:
    whole_orders = [(lines[0].calculated_date, plan.orders[pk]) for pk, lines in plan.whole.items()]
    records = [
        AffectedRecord(label=_label(order), day=day, detail="") for day, order in whole_orders
    ]
    for order_id, lines in plan.lines.items():
        order = plan.orders[order_id]
        for line in lines:
            records.append(
                AffectedRecord(
                    label=_label(order),
                    day=line.calculated_date,
                    detail=_("line: %(line)s") % {"line": line.description},
                )
            )
    records.sort(key=lambda record: (record.day, record.label))
    line_count = sum(len(lines) for lines in plan.lines.values())
    parts = []
    if plan.whole:
        parts.append(
            ngettext(
                "%(count)d service order will be cancelled",
                "%(count)d service orders will be cancelled",
                len(plan.whole),
            )
            % {"count": len(plan.whole)}
        )
    if line_count:
        parts.append(
            ngettext(
                "%(count)d line of other service orders will be cancelled",
                "%(count)d lines of other service orders will be cancelled",
                line_count,
            )
            % {"count": line_count}
        )
    restored_records = tuple(
        AffectedRecord(label=_label(c.order), day=c.calculated_date)
        for c in plan.restore[:PREVIEW_LIMIT]
    )
    restored_orders = {c.order_id for c in plan.restore if c.whole_order}
    restored_lines = sum(1 for c in plan.restore if not c.whole_order)
    restored_count = len(restored_orders) + restored_lines
    restored_summary = ""
    if restored_count:
        restored_summary = ngettext(
            "%(count)d cancelled visit comes back",
            "%(count)d cancelled visits come back",
            restored_count,
        ) % {"count": restored_count}
    if plan.new_lines:
        new = ngettext(
            "%(count)d new visit is generated",
            "%(count)d new visits are generated",
            plan.new_lines,
        ) % {"count": plan.new_lines}
        restored_summary = "; ".join(p for p in (restored_summary, new) if p)
    return CoverageEffect(
        key=KEY,
        cancelled=plan.cancelled,
        cancelled_records=tuple(records[:PREVIEW_LIMIT]),
        restored=restored_count,
        restored_records=restored_records,
        created=plan.new_lines,
        summary="; ".join(parts),
        restored_summary=restored_summary,
    )
