"""What a subscription charges for one period: its price (own base price, or the most specific
price-list row), the index, proration by the days it covers, reductions. Pure given the rows:
the billing run and the preview load the rows once and call these for many subscriptions."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from .models import FeeKind, PriceListRow, Reduction, ReductionKind, Subscription
from .periods import (
    Period,
    covered_days,
    days,
    factor_decimal,
    indexed_price,
    overlap,
    prorated,
    proration,
)


@dataclass(frozen=True)
class FeeDraft:
    """A fee line before it is saved."""

    kind: str
    period: Period
    description: str
    unit_price: Decimal
    factor: Fraction
    amount: Decimal

    @property
    def factor_decimal(self) -> Decimal:
        return factor_decimal(self.factor)


def _specificity(row: PriceListRow, subscription: Subscription) -> int | None:
    """How specifically a row names the subscription (higher wins); None: not for it."""
    if row.subscription_id is not None:
        return 5 if row.subscription_id == subscription.pk else None
    if row.agreement_id is not None:
        return 4 if row.agreement_id == subscription.agreement_id else None
    if row.item_id is not None:
        return 3 if row.item_id == subscription.item_id else None
    if row.group_id is not None:
        return 2 if row.group_id == subscription.group_id else None
    return 1


def price_from_list(
    rows: Iterable[PriceListRow], subscription: Subscription, period: str, on: datetime.date
) -> PriceListRow | None:
    """The row that prices ``subscription`` for a period starting ``on``: same period kind and
    currency, valid from on or before ``on``; the most specific wins, then the latest
    valid-from."""
    best: tuple[int, datetime.date, int] | None = None
    chosen = None
    for row in rows:
        if row.period != period or row.currency != subscription.currency or row.valid_from > on:
            continue
        rank = _specificity(row, subscription)
        if rank is None:
            continue
        key = (rank, row.valid_from, row.pk or 0)
        if best is None or key > best:
            best, chosen = key, row
    return chosen


def base_price(
    subscription: Subscription, rows: Iterable[PriceListRow], on: datetime.date
) -> Decimal:
    if subscription.base_price is not None:
        return subscription.base_price
    row = price_from_list(rows, subscription, subscription.group.period, on)
    if row is None:
        raise ValidationError(
            _(
                "No price for %(number)s: give it a base price or add a price-list row for "
                "%(period)s in %(currency)s valid from %(date)s or earlier."
            )
            % {
                "number": subscription.number,
                "period": subscription.group.get_period_display().lower(),
                "currency": subscription.currency,
                "date": formats.date_format(on, "SHORT_DATE_FORMAT"),
            }
        )
    return row.price


def period_fees(
    subscription: Subscription,
    period: Period,
    *,
    rows: Iterable[PriceListRow],
    pauses: Sequence[Period] = (),
    reductions: Sequence[Reduction] = (),
) -> list[FeeDraft]:
    """The regular fee of one period and the reductions that apply to it. The regular fee is
    prorated by the days the subscription covers (start, end, pauses); reduction days come off
    as a negative line prorated by the same rule; price reductions as a negative amount; the
    reductions together never exceed the fee."""
    currency = subscription.currency
    price = indexed_price(base_price(subscription, rows, period[0]), subscription.index, currency)
    covered = covered_days(period, subscription.start_date, subscription.end_date, pauses)
    factor = proration(covered, period)
    amount = prorated(price, factor, currency)
    label = subscription.description
    fees = [FeeDraft(FeeKind.REGULAR, period, label, price, factor, amount)]
    left = amount
    for reduction in reductions:
        part = overlap(period, (reduction.start_date, reduction.end_date))
        if part is None or left <= 0:
            continue
        if reduction.kind == ReductionKind.DAYS:
            # The reduction's days the subscription would otherwise have been charged for.
            removed = covered - covered_days(
                period,
                subscription.start_date,
                subscription.end_date,
                [*pauses, part],
            )
            if removed <= 0:
                continue
            share = Fraction(removed, days(period))
            off = min(prorated(price, share, currency), left)
            fees.append(
                FeeDraft(
                    FeeKind.REDUCTION_DAYS,
                    part,
                    _("%(description)s: %(days)s reduction days")
                    % {"description": label, "days": removed},
                    price,
                    -share,
                    -off,
                )
            )
        else:
            off = min(reduction.amount, left)
            fees.append(
                FeeDraft(
                    FeeKind.PRICE_REDUCTION,
                    period,
                    reduction.reason or _("Price reduction"),
                    off,
                    Fraction(-1),
                    -off,
                )
            )
        left -= off
    return fees
