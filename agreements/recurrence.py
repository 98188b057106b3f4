"""When an agreement line's work falls due: occurrence dates, time windows, planned start times.

Pure functions of dates, no database. Dates are calendar days in the tenant's time zone; only
``planned_start`` turns a day into an instant, through the zone, so a visit planned for 08:00
stays at 08:00 local time on both sides of a DST change.

Occurrences come from ``dateutil.rrule``: months are real calendar months (a line anchored on the
31st falls on the 30th, 28th or 29th in shorter months and on the 31st again where it exists),
a quarter is 3 months and a year 12 months (29 February → 28 February in other years).
"""

import calendar
import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rruleset

from .models import IntervalUnit, TimeWindow

DEFAULT_START_TIME = datetime.time(8, 0)

_DAY_RULES = {IntervalUnit.DAY: (DAILY, 1), IntervalUnit.WEEK: (WEEKLY, 7)}
_MONTHS_PER_UNIT = {IntervalUnit.MONTH: 1, IntervalUnit.QUARTER: 3, IntervalUnit.YEAR: 12}
ALL_MONTHS = frozenset(range(1, 13))


def occurrences(
    *,
    unit: str,
    count: int,
    anchor: datetime.date,
    start: datetime.date,
    end: datetime.date,
    excluded_months: Iterable[int] = (),
    holidays: Iterable[datetime.date] = (),
) -> list[datetime.date]:
    """The dates from ``start`` to ``end`` (inclusive) on which a line recurring every ``count``
    ``unit``s from ``anchor`` falls due, except in ``excluded_months`` and on ``holidays``.

    Raises ValueError for an unknown unit, a count below 1 or a month outside 1..12.
    """
    if count < 1:
        raise ValueError(f"The interval count must be at least 1, not {count}.")
    allowed_months = _allowed_months(excluded_months)
    start = max(start, anchor)
    if start > end or not allowed_months:
        return []
    bymonth = None if allowed_months == ALL_MONTHS else tuple(sorted(allowed_months))
    schedule = rruleset()
    schedule.rrule(_rule(unit, count, anchor, start, bymonth))
    for holiday in holidays:
        if start <= holiday <= end:
            schedule.exdate(_midnight(holiday))
    return [moment.date() for moment in schedule.between(_midnight(start), _midnight(end), True)]


def never_due(
    *, unit: str, count: int, anchor: datetime.date, excluded_months: Iterable[int]
) -> bool:
    """Whether a line can never fall due because every month its series reaches is excluded
    (a yearly line anchored in August with August excluded; a quarterly line anchored in
    January with January, April, July and October excluded). Week and day series move through
    every month, so only excluding all twelve stops them."""
    excluded = frozenset(excluded_months)
    if not excluded:
        return False
    if excluded >= ALL_MONTHS:
        return True
    if not unit:  # one visit, on the anchor
        return anchor.month in excluded
    if unit in _MONTHS_PER_UNIT:
        step = _MONTHS_PER_UNIT[unit] * max(count, 1)
        reached = {(anchor.month - 1 + k * step) % 12 + 1 for k in range(12)}
        return reached <= excluded
    return False


def _allowed_months(excluded_months: Iterable[int]) -> frozenset[int]:
    excluded = frozenset(excluded_months)
    if not excluded <= ALL_MONTHS:
        raise ValueError(f"Excluded months must be 1..12, not {sorted(excluded - ALL_MONTHS)}.")
    return ALL_MONTHS - excluded


def _rule(
    unit: str,
    count: int,
    anchor: datetime.date,
    start: datetime.date,
    bymonth: tuple[int, ...] | None,
) -> rrule:
    # The rule starts at the last period boundary on or before ``start`` rather than at the
    # anchor: the same series, without walking through years of past occurrences.
    if unit in _DAY_RULES:
        frequency, days_per_unit = _DAY_RULES[unit]
        step = days_per_unit * count
        periods_passed = (start - anchor).days // step
        first = anchor + datetime.timedelta(days=periods_passed * step)
        return rrule(frequency, interval=count, dtstart=_midnight(first), bymonth=bymonth)
    if unit in _MONTHS_PER_UNIT:
        step = _MONTHS_PER_UNIT[unit] * count
        months_passed = (start.year - anchor.year) * 12 + start.month - anchor.month
        month_index = anchor.month - 1 + months_passed // step * step
        first = datetime.date(anchor.year + month_index // 12, month_index % 12 + 1, 1)
        return rrule(
            MONTHLY,
            interval=step,
            dtstart=_midnight(first),
            bymonth=bymonth,
            **_same_day_of_month(anchor.day),
        )
    raise ValueError(f"Unknown interval unit {unit!r}.")


def _same_day_of_month(day: int) -> dict:
    """The anchor's day of the month, or the month's last day when the month is shorter."""
    if day <= 28:
        return {"bymonthday": day}
    # The last of the candidate days 28..day that the month has.
    return {"bymonthday": tuple(range(28, day + 1)), "bysetpos": -1}


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day)


def time_window(
    day: datetime.date, kind: str, days_before: int = 0, days_after: int = 0
) -> tuple[datetime.date, datetime.date]:
    """The first and last day a visit due on ``day`` may be scheduled on."""
    if kind == TimeWindow.EXACT:
        return day, day
    if kind == TimeWindow.SAME_WEEK:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if kind == TimeWindow.SAME_MONTH:
        last_day = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last_day)
    if kind == TimeWindow.DAYS_AROUND:
        return (
            day - datetime.timedelta(days=days_before),
            day + datetime.timedelta(days=days_after),
        )
    raise ValueError(f"Unknown time window {kind!r}.")


def planned_start(
    day: datetime.date, preferred_time: datetime.time | None, zone: ZoneInfo | str
) -> datetime.datetime:
    """``day`` at the preferred local time (08:00 without one), as an aware datetime in
    ``zone``."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    local = datetime.datetime.combine(day, preferred_time or DEFAULT_START_TIME, tzinfo=zone)
    # A time the clocks skip (02:30 on the night they go forward) names no instant; the round
    # trip through UTC turns it into the real one (03:30).
    return local.astimezone(datetime.UTC).astimezone(zone)
