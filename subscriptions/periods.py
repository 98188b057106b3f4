"""Invoicing periods and proration: pure functions of dates, no database, no clock.

Periods are aligned to the calendar: a week starts on Monday, a month on its 1st, a quarter on
1 January, April, July or October, a half-year on 1 January or July, a year on 1 January. A
period is a pair of dates ``(start, end)``, both included. Subscriptions starting or ending
inside a period are charged for the days they cover: the factor is days covered ÷ days of the
period, from the period boundaries and the subscription's dates (never from the day the run
happens), and is stored on the fee line.
"""

import datetime
import functools
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta

ONE_DAY = datetime.timedelta(days=1)
_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
# Digits after the decimal point per currency (ISO 4217); two for any other.
_CURRENCY_DIGITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "TND": 3}
FACTOR_PLACES = Decimal("0.000001")

Period = tuple[datetime.date, datetime.date]


@functools.lru_cache(maxsize=4096)  # pure; a run asks for the same few periods
def period_start_of(kind: str, day: datetime.date) -> datetime.date:
    """The first day of the ``kind`` period that contains ``day``."""
    if kind == "week":
        return day - datetime.timedelta(days=day.weekday())
    months = _MONTHS[kind]
    first_month = (day.month - 1) // months * months + 1
    return datetime.date(day.year, first_month, 1)


@functools.lru_cache(maxsize=4096)  # pure; a run asks for the same few periods
def period_after(kind: str, start: datetime.date) -> datetime.date:
    """The first day of the period that follows the one starting on ``start``."""
    if kind == "week":
        return start + datetime.timedelta(days=7)
    return start + relativedelta(months=_MONTHS[kind])


@functools.lru_cache(maxsize=4096)  # pure; a run asks for the same few periods
def period_of(kind: str, day: datetime.date) -> Period:
    """The period (first and last day) that contains ``day``."""
    start = period_start_of(kind, day)
    return start, period_after(kind, start) - ONE_DAY


def due_on(timing: str, period: Period) -> datetime.date:
    """The day a period's fee falls due: its first day in advance, the day after its last in
    arrears."""
    return period[0] if timing == "advance" else period[1] + ONE_DAY


def periods_between(kind: str, first: datetime.date, last: datetime.date) -> list[Period]:
    """Every period that overlaps ``first``…``last`` (both included), in order."""
    periods = []
    start = period_start_of(kind, first)
    while start <= last:
        following = period_after(kind, start)
        periods.append((start, following - ONE_DAY))
        start = following
    return periods


def days(period: Period) -> int:
    return (period[1] - period[0]).days + 1


def overlap(a: Period, b: Period) -> Period | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start <= end else None


def covered_days(
    period: Period,
    start_date: datetime.date,
    end_date: datetime.date | None,
    excluded: Iterable[Period] = (),
) -> int:
    """Days of ``period`` inside the subscription's dates, minus the ``excluded`` ranges
    (pauses); ranges that overlap each other are counted once."""
    active = overlap(period, (start_date, end_date or period[1]))
    if active is None:
        return 0
    gone: set[datetime.date] = set()
    for range_ in excluded:
        part = overlap(active, range_)
        if part is not None:
            gone.update(part[0] + datetime.timedelta(days=n) for n in range(days(part)))
    return days(active) - len(gone)


def proration(covered: int, period: Period) -> Fraction:
    """The exact share of the period's fee that ``covered`` days are charged."""
    return Fraction(covered, days(period))


def currency_digits(currency: str) -> int:
    return _CURRENCY_DIGITS.get(currency.upper(), 2)


def round_money(value: Decimal | Fraction, currency: str) -> Decimal:
    """Half-up to the currency's precision (a Fraction is divided out exactly first)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    quantum = Decimal(1).scaleb(-currency_digits(currency))
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def prorated(price: Decimal, factor: Fraction, currency: str) -> Decimal:
    """``price × factor``, computed exactly and rounded once, half-up."""
    exact = Fraction(price) * factor
    return round_money(exact, currency)


def factor_decimal(factor: Fraction) -> Decimal:
    """The factor as stored on the fee line (six places, half-up)."""
    return (Decimal(factor.numerator) / Decimal(factor.denominator)).quantize(
        FACTOR_PLACES, rounding=ROUND_HALF_UP
    )


def indexed_price(base: Decimal, index: Decimal, currency: str) -> Decimal:
    """Price = base × index ÷ 100, half-up to the currency's precision."""
    return round_money(base * index / Decimal(100), currency)


def months_of(period: Period) -> list[datetime.date]:
    """The first day of every calendar month that ``period`` touches."""
    month = period[0].replace(day=1)
    months = []
    while month <= period[1]:
        months.append(month)
        month += relativedelta(months=1)
    return months


def accrual_schedule(
    amount: Decimal, period: Period, currency: str, *, per: str = "month"
) -> list[tuple[datetime.date, Decimal]]:
    """An amount recognised over a period: equal shares per month (or quarter) it spans, each
    rounded half-up, the rounding difference in the last share, so the shares sum to the
    amount exactly. A yearly fee gives 12 monthly amounts."""
    months = months_of(period)
    if per == "quarter":
        months = [m for m in months if m == months[0] or (m.month - 1) % 3 == 0]
    share = round_money(amount / len(months), currency)
    shares = [share] * (len(months) - 1)
    return list(zip(months, [*shares, amount - sum(shares, Decimal(0))], strict=True))
