"""The billing run: every fee due on or before a date, exactly once, on the customers' drafts.

Due means ``next_due_on <= through`` (never ``==``): a run after downtime finds every
subscription it missed and loops until each is caught up, one fee per period. For each
subscription, in one savepoint: lock it, re-read what is due, create the period's regular fee
(and its reductions), put the lines on the customer's draft invoice
(``invoicing.services.add_to_draft_invoice``), advance ``next_period_start`` — all in the same
transaction. The database makes it exactly once: a regular fee is unique on (subscription,
period start) and a one-off fee on its source row; every writer locks the subscription first,
so an overlapping run waits and then finds nothing left to do.

Subscriptions are processed in chunks, each chunk in its own transaction committed with the
run's counters (the run page's progress bar); a subscription that fails (no price, a refused
line) is rolled back to its savepoint, recorded as a ``BillingError`` and skipped.
"""

import datetime
import logging
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.services import DraftLine, add_to_draft_invoice
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User
from tenancy.services import audit_record

from .. import pricing
from ..models import (
    BillingError,
    BillingRun,
    Fee,
    FeeKind,
    OneOffFee,
    PriceListRow,
    Reduction,
    RunTrigger,
    Subscription,
    SubscriptionPause,
    SubscriptionState,
)
from ..periods import due_on, factor_decimal, period_after, period_of

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200  # subscriptions per transaction
FEE_SOURCE = "subscription_fee"


@dataclass
class _Outcome:
    created: int = 0
    skipped: int = 0


# --- Entry points -------------------------------------------------------------------------------


def billing_run(
    *,
    tenant: Tenant,
    through: datetime.date | None = None,
    trigger: str = RunTrigger.SCHEDULE,
    by: User | None = None,
) -> BillingRun:
    """Bill everything due on or before ``through`` (default: today in the tenant's zone) now;
    returns the run with its counters."""
    with tenant_scope(tenant):
        run = billing_run_create(tenant=tenant, through=through, trigger=trigger, by=by)
    return billing_run_process(tenant=tenant, run_id=run.pk)


def billing_run_create(
    *,
    tenant: Tenant,
    through: datetime.date | None = None,
    trigger: str = RunTrigger.MANUAL,
    by: User | None = None,
) -> BillingRun:
    through = through or tenant.today()
    if through > tenant.today() + datetime.timedelta(days=366):
        raise ValidationError({"through": _("Bill at most one year ahead.")})
    return BillingRun.objects.create(
        tenant=tenant, trigger=trigger, requested_by=by, through=through
    )


def billing_run_enqueue(
    *, tenant: Tenant, by: User, through: datetime.date | None = None
) -> BillingRun:
    """The "Run billing" button: record the run, hand it to a worker once this commits."""
    from ..tasks import bill_run  # the task module imports this one

    run = billing_run_create(tenant=tenant, through=through, trigger=RunTrigger.MANUAL, by=by)
    kwargs = {"tenant_id": tenant.pk, "run_id": run.pk}
    transaction.on_commit(lambda: bill_run.apply_async(kwargs=kwargs), robust=True)
    return run


def billing_run_process(*, tenant: Tenant, run_id: int) -> BillingRun | None:
    """Process a recorded run chunk by chunk. Idempotent: a finished run is returned as it is;
    an unfinished one (its worker died) is processed again and bills only what is still due."""
    with tenant_scope(tenant):
        run = (
            BillingRun.objects.for_tenant(tenant)
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
    except Exception as exc:
        _record_run_failure(tenant, run, exc)
        raise
    return run


def due_subscription_ids(*, tenant: Tenant, through: datetime.date) -> list[int]:
    """Active subscriptions with a period or a one-off fee due on or before ``through``."""
    due = Q(next_due_on__lte=through)
    one_offs = (
        OneOffFee.objects.for_tenant(tenant)
        .filter(charge_on__lte=through)
        .exclude(
            pk__in=Fee.objects.for_tenant(tenant).filter(one_off__isnull=False).values("one_off")
        )
        .values("subscription_id")
    )
    return list(
        Subscription.objects.for_tenant(tenant)
        .filter(state=SubscriptionState.ACTIVE)
        .filter(due | Q(pk__in=one_offs))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Processing ---------------------------------------------------------------------------------


def _process(tenant: Tenant, run: BillingRun) -> None:
    with tenant_scope(tenant):
        ids = due_subscription_ids(tenant=tenant, through=run.through)
        run.subscriptions_total = len(ids)
        run.save(update_fields=["subscriptions_total"])
    for offset in range(0, len(ids), CHUNK_SIZE):
        _bill_chunk(tenant, run, ids[offset : offset + CHUNK_SIZE])
    with tenant_scope(tenant):
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        audit_record(
            tenant=tenant,
            actor=run.requested_by,
            action="subscriptions.bill",
            target=run,
            params={
                "through": run.through.isoformat(),
                "created": run.fees_created,
                "failed": run.subscriptions_failed,
            },
        )


def _bill_chunk(tenant: Tenant, run: BillingRun, ids: list[int]) -> None:
    with tenant_scope(tenant):
        rows = list(PriceListRow.objects.for_tenant(tenant))
        pauses: dict[int, list] = {}
        for pause in SubscriptionPause.objects.for_tenant(tenant).filter(subscription_id__in=ids):
            pauses.setdefault(pause.subscription_id, []).append((pause.start_date, pause.end_date))
        reductions: dict[int, list[Reduction]] = {}
        for reduction in Reduction.objects.for_tenant(tenant).filter(subscription_id__in=ids):
            reductions.setdefault(reduction.subscription_id, []).append(reduction)
        total = _Outcome()
        failed = 0
        for subscription_id in ids:
            try:
                with transaction.atomic():
                    outcome = _bill_subscription(
                        tenant,
                        run,
                        subscription_id,
                        rows=rows,
                        pauses=pauses.get(subscription_id, []),
                        reductions=reductions.get(subscription_id, []),
                    )
            except Exception as exc:  # recorded and skipped: one bad subscription never blocks
                logger.info("Billing subscription %s failed: %s", subscription_id, exc)
                BillingError.objects.create(
                    tenant=tenant,
                    run=run,
                    subscription_id=subscription_id,
                    message=_message(exc)[:2000],
                )
                failed += 1
                continue
            total.created += outcome.created
            total.skipped += outcome.skipped
        BillingRun.objects.for_tenant(tenant).filter(pk=run.pk).update(
            fees_created=F("fees_created") + total.created,
            fees_skipped=F("fees_skipped") + total.skipped,
            subscriptions_failed=F("subscriptions_failed") + failed,
            subscriptions_processed=F("subscriptions_processed") + len(ids),
        )
        run.fees_created += total.created
        run.fees_skipped += total.skipped
        run.subscriptions_failed += failed
        run.subscriptions_processed += len(ids)


def _bill_subscription(
    tenant: Tenant,
    run: BillingRun,
    subscription_id: int,
    *,
    rows: list[PriceListRow],
    pauses: list,
    reductions: list[Reduction],
) -> _Outcome:
    """Bill one subscription up to the run's date; it is locked, so a concurrent run waits
    here and then finds its periods billed."""
    outcome = _Outcome()
    subscription = (
        Subscription.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("group", "customer", "item")
        .get(pk=subscription_id)
    )
    if subscription.state != SubscriptionState.ACTIVE:
        outcome.skipped += 1  # paused or cancelled since the run listed it
        return outcome
    group = subscription.group
    lines: list[tuple[Fee, DraftLine]] = []
    while (
        subscription.next_due_on is not None
        and subscription.next_due_on <= run.through
        and (
            subscription.end_date is None or subscription.next_period_start <= subscription.end_date
        )
    ):
        period = period_of(group.period, subscription.next_period_start)
        billed = set(
            Fee.objects.for_tenant(tenant)
            .filter(subscription=subscription, period_start=period[0])
            .values_list("kind", flat=True)
        )
        if FeeKind.REGULAR in billed:
            outcome.skipped += 1
        else:
            drafts = pricing.period_fees(
                subscription, period, rows=rows, pauses=pauses, reductions=reductions
            )
            if billed:  # reductions of this period are still on a draft: not again
                drafts = [d for d in drafts if d.kind == FeeKind.REGULAR]
            for draft in drafts:
                lines.append(_fee_line(tenant, run, subscription, draft))
            outcome.created += 1
        following = period_after(group.period, period[0])
        subscription.next_period_start = following
        subscription.next_due_on = due_on(group.timing, period_of(group.period, following))
    for one_off in (
        OneOffFee.objects.for_tenant(tenant)
        .filter(subscription=subscription, charge_on__lte=run.through)
        .exclude(
            pk__in=Fee.objects.for_tenant(tenant)
            .filter(subscription=subscription)
            .filter(one_off__isnull=False)
            .values("one_off")
        )
        .order_by("charge_on", "pk")
    ):
        lines.append(_one_off_line(tenant, run, subscription, one_off))
        outcome.created += 1
    if lines:
        fees = Fee.objects.bulk_create([fee for fee, _line in lines])
        # A period paused throughout is recorded (billed once, at zero) but put on no invoice.
        charged = [(fee, line) for fee, (_fee, line) in zip(fees, lines, strict=True) if fee.amount]
        if charged:
            invoice = add_to_draft_invoice(
                tenant=tenant,
                customer=subscription.customer,
                currency=subscription.currency,
                lines=[replace(line, source=FEE_SOURCE, source_id=fee.pk) for fee, line in charged],
                by=run.requested_by,
            )
            Fee.objects.for_tenant(tenant).filter(pk__in=[fee.pk for fee, _ in charged]).update(
                invoice_id=invoice.pk
            )
    if not lines and not outcome.skipped:
        outcome.skipped += 1  # an overlapping run billed it while this one waited for the lock
    fields = ["next_period_start", "next_due_on"]
    if subscription.end_date is not None and subscription.next_period_start > subscription.end_date:
        before = subscription.state
        if subscription.cancel_at_period_end:
            subscription.cancel()
        else:
            subscription.end()
        fields.append("state")
        audit_record(
            tenant=tenant,
            actor=None,
            action=f"subscription.{'cancel' if subscription.cancel_at_period_end else 'end'}",
            target=subscription,
            params={"number": subscription.number},
            changes={"state": [before, subscription.state]},
        )
    subscription.save(update_fields=fields)
    return outcome


def _fee_line(tenant, run, subscription, draft: pricing.FeeDraft) -> tuple[Fee, DraftLine]:
    factor = factor_decimal(abs(draft.factor))
    fee = Fee(
        tenant=tenant,
        subscription=subscription,
        kind=draft.kind,
        period_start=draft.period[0],
        period_end=draft.period[1],
        description=draft.description[:200],
        unit_price=draft.unit_price,
        proration_factor=factor if draft.kind != FeeKind.PRICE_REDUCTION else 1,
        amount=draft.amount,
        currency=subscription.currency,
        run=run,
    )
    if draft.kind == FeeKind.REGULAR:
        line = DraftLine(
            description=_("%(description)s (%(start)s – %(end)s)")
            % {
                "description": draft.description,
                "start": draft.period[0].isoformat(),
                "end": draft.period[1].isoformat(),
            },
            quantity=1,
            unit_price=draft.unit_price,
            amount=draft.amount,
            period_start=draft.period[0],
            period_end=draft.period[1],
            proration_factor=factor,
            item=subscription.item,
        )
    else:
        line = DraftLine(
            description=draft.description,
            quantity=1,
            unit_price=draft.amount,
            amount=draft.amount,
            period_start=draft.period[0],
            period_end=draft.period[1],
            proration_factor=factor if draft.kind == FeeKind.REDUCTION_DAYS else None,
            item=subscription.item,
        )
    return fee, line


def _one_off_line(tenant, run, subscription, one_off: OneOffFee) -> tuple[Fee, DraftLine]:
    fee = Fee(
        tenant=tenant,
        subscription=subscription,
        kind=FeeKind.ONE_OFF,
        period_start=one_off.charge_on,
        period_end=one_off.charge_on,
        description=one_off.description[:200],
        unit_price=one_off.amount,
        proration_factor=1,
        amount=one_off.amount,
        currency=subscription.currency,
        one_off=one_off,
        run=run,
    )
    line = DraftLine(
        description=one_off.description,
        quantity=1,
        unit_price=one_off.amount,
        amount=one_off.amount,
        period_start=one_off.charge_on,
        period_end=one_off.charge_on,
        item=subscription.item,
    )
    return fee, line


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


def _record_run_failure(tenant: Tenant, run: BillingRun, exc: Exception) -> None:
    try:
        with tenant_scope(tenant):
            BillingRun.objects.for_tenant(tenant).filter(pk=run.pk).update(
                failure=_message(exc)[:2000]
            )
    except Exception:
        logger.exception("Could not record the failure of billing run %s", run.pk)


# --- Lines released by invoicing ----------------------------------------------------------------


def fees_released(*, tenant: Tenant, source_ids: list[int]) -> None:
    """Invoicing's release hook: fee lines left a draft without being invoiced (the draft was
    cancelled or the line removed). Their fees are deleted and a released regular fee's period
    becomes due again, so the next run bills it once more."""
    fees = list(
        Fee.objects.for_tenant(tenant)
        .filter(pk__in=source_ids)
        .select_related("subscription__group")
    )
    rewind: dict[int, datetime.date] = {}
    for fee in fees:
        if fee.kind == FeeKind.REGULAR:
            earliest = rewind.get(fee.subscription_id)
            rewind[fee.subscription_id] = min(earliest or fee.period_start, fee.period_start)
    Fee.objects.for_tenant(tenant).filter(pk__in=[fee.pk for fee in fees]).delete()
    for subscription in (
        Subscription.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("group")
        .filter(pk__in=list(rewind))
        .order_by("pk")
    ):
        start = rewind[subscription.pk]
        if subscription.next_period_start is None or start < subscription.next_period_start:
            group = subscription.group
            subscription.next_period_start = start
            subscription.next_due_on = due_on(group.timing, period_of(group.period, start))
            subscription.save(update_fields=["next_period_start", "next_due_on"])
