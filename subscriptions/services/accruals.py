"""Revenue accruals: a fee of a group with accrual on is recognised over its period.

When the invoice carrying the fee is issued (invoicing's issued hook), the fee's amount is split
into one entry per month (or quarter) of its period, the rounding difference in the last; the
entries sum to the invoiced amount exactly. The monthly job posts the entries of the months
that have ended (recognised). Crediting the invoice reverses what was not yet recognised: in
full when the whole fee is credited, otherwise the credited amount comes off the open entries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from tenancy.models import Tenant

from ..models import AccrualEntry, Fee
from ..periods import accrual_schedule, overlap
from .billing import FEE_SOURCE


def _fee_ids(lines, attribute: str = "") -> dict[int, object]:
    found = {}
    for line in lines:
        origin = getattr(line, attribute) if attribute else line
        if origin is not None and origin.source == FEE_SOURCE and origin.source_id is not None:
            found[origin.source_id] = line
    return found


def fees_issued(*, tenant: Tenant, invoice, lines) -> None:
    """Invoicing's issued hook: schedule the accruing fees of this invoice."""
    by_fee = _fee_ids(lines)
    if not by_fee:
        return
    issued_on = invoice.issue_date or tenant.today()
    fees = (
        Fee.objects.for_tenant(tenant)
        .filter(pk__in=list(by_fee), subscription__group__accrue=True)
        .select_related("subscription__group")
    )
    entries = []
    for fee in fees:
        amount = by_fee[fee.pk].amount
        per = fee.subscription.group.accrual_period
        # Over the days the fee charges: a subscription that started mid-year is recognised
        # from its start, not from January.
        subscription = fee.subscription
        served = overlap(
            (fee.period_start, fee.period_end),
            (subscription.start_date, subscription.end_date or fee.period_end),
        ) or (fee.period_start, fee.period_end)
        for month, share in accrual_schedule(amount, served, fee.currency, per=per):
            entries.append(
                AccrualEntry(
                    tenant=tenant,
                    fee=fee,
                    month=month,
                    amount=share,
                    currency=fee.currency,
                    invoiced_on=issued_on,
                )
            )
    AccrualEntry.objects.bulk_create(entries, ignore_conflicts=True)


def fees_credited(*, tenant: Tenant, credit_note, invoice, lines) -> None:
    """Invoicing's credited hook: reverse what was not yet recognised of the credited fees."""
    credited = _fee_ids(lines, "credited_line")
    if not credited:
        return
    now = timezone.now()
    open_entries = defaultdict(list)
    for entry in (
        AccrualEntry.objects.for_tenant(tenant)
        .select_for_update()
        .filter(fee_id__in=list(credited), posted_at__isnull=True, reversed_at__isnull=True)
        .order_by("fee_id", "month")
    ):
        open_entries[entry.fee_id].append(entry)
    for fee_id, entries in open_entries.items():
        amount = abs(credited[fee_id].amount)
        unrecognised = sum((e.amount for e in entries), Decimal(0))
        if amount >= abs(unrecognised):
            AccrualEntry.objects.for_tenant(tenant).filter(pk__in=[e.pk for e in entries]).update(
                reversed_at=now
            )
            continue
        # Partly credited: what stays is spread again over the same open months.
        sign = 1 if unrecognised >= 0 else -1
        remaining = unrecognised - sign * amount
        period = (entries[0].month, entries[-1].month)
        shares = dict(accrual_schedule(remaining, period, entries[0].currency))
        for entry in entries:
            entry.amount = shares.get(entry.month, Decimal(0))
        AccrualEntry.objects.bulk_update(entries, ["amount"])


@transaction.atomic
def accruals_post(*, tenant: Tenant, through: datetime.date | None = None) -> int:
    """The monthly job: recognise every open entry of a month that ended before ``through``
    (default today). Idempotent: posted entries are left alone."""
    through = through or tenant.today()
    first_open_month = through.replace(day=1)
    return (
        AccrualEntry.objects.for_tenant(tenant)
        .filter(month__lt=first_open_month, posted_at__isnull=True, reversed_at__isnull=True)
        .update(posted_at=timezone.now())
    )


@dataclass(frozen=True)
class DeferredMonth:
    month: datetime.date
    currency: str
    to_recognise: Decimal  # scheduled for this month (not reversed)
    recognised: Decimal  # of which posted
    deferred: Decimal  # invoiced by the month's end, scheduled for later months


def deferred_revenue(
    *, tenant: Tenant, start: datetime.date, end: datetime.date
) -> list[DeferredMonth]:
    """The deferred-revenue report, month by month from ``start`` to ``end``: constant in
    queries (two aggregates), whatever the number of fees."""
    first, last = start.replace(day=1), end.replace(day=1)
    live = AccrualEntry.objects.for_tenant(tenant).filter(reversed_at__isnull=True)
    per_month = {
        (row["month"], row["currency"]): row
        for row in live.filter(month__range=(first, last))
        .values("month", "currency")
        .annotate(
            scheduled=Sum("amount"),
            posted=Sum("amount", filter=Q(posted_at__isnull=False)),
        )
    }
    # Deferred at a month's end = invoiced on or before it, recognised in a later month.
    pairs = list(
        live.filter(month__gt=first)
        .values_list("invoiced_on", "month", "currency")
        .annotate(total=Sum("amount"))
    )
    currencies = sorted({c for _m, c in per_month} | {c for _i, _m, c, _t in pairs})
    rows = []
    month = first
    while month <= last:
        month_end = _month_end(month)
        for currency in currencies:
            found = per_month.get((month, currency), {})
            deferred = sum(
                (
                    total
                    for invoiced, later, cur, total in pairs
                    if cur == currency and invoiced <= month_end and later > month
                ),
                Decimal(0),
            )
            scheduled = found.get("scheduled") or Decimal(0)
            if not scheduled and not deferred:
                continue
            rows.append(
                DeferredMonth(
                    month, currency, scheduled, found.get("posted") or Decimal(0), deferred
                )
            )
        month = (month_end + datetime.timedelta(days=1)).replace(day=1)
    return rows


def _month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)
