"""SLA clock arithmetic: pure functions, no ORM.

A :class:`Calendar` describes when a business is open, in its own time zone: weekly working
windows (several per weekday, e.g. 08:00–12:00 and 13:00–17:00), holidays (closed all day) and
one-off exceptions (a date closed, or open with other hours). Every function takes and returns
aware datetimes in UTC; the local wall-clock arithmetic happens in the calendar's zone with
``zoneinfo``, so a working window on a DST-change day lasts exactly as long as it really does
(08:00–16:00 is eight real hours; 00:00–06:00 is five on a spring-forward night, seven on a
fall-back one).

Working time is real elapsed time inside open windows. The clock of an order:

* starts at :func:`next_open` of its creation moment;
* runs during open windows, except inside *pauses* (intervals in which the order sat in a stage
  that stops the SLA clock, derived from the stage log); a pause with ``end=None`` is still going;
* is due when the running working time reaches the target:
  ``due = start + target + paused working time`` (:func:`due_at`).

``due_at`` with a fraction of the target gives the moment a warning or escalation level is reached.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
END_OF_DAY = time(0, 0)  # as a window end: midnight at the end of the day (24:00)
# Searching forward for an open moment stops after this many days: a calendar closed for longer
# (or never open) is an error, not an endless loop.
MAX_SEARCH_DAYS = 3 * 366


class CalendarNeverOpen(ValueError):
    """The calendar has no open window within the search horizon."""


@dataclass(frozen=True, order=True)
class Window:
    """A daily working window in local wall-clock time; ``end == time(0)`` means 24:00."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("Window times are local wall-clock times without a time zone.")
        if self.end_minutes <= self.start_minutes:
            raise ValueError("A working window must end after it starts.")

    @property
    def start_minutes(self) -> float:
        return _minutes(self.start)

    @property
    def end_minutes(self) -> float:
        return 24 * 60 if self.end == END_OF_DAY else _minutes(self.end)

    def overlaps(self, other: Window) -> bool:
        return self.start_minutes < other.end_minutes and other.start_minutes < self.end_minutes


def _minutes(value: time) -> float:
    return value.hour * 60 + value.minute + value.second / 60 + value.microsecond / 60_000_000


def check_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Windows sorted; ValueError if two of them overlap (touching is allowed)."""
    ordered = tuple(sorted(windows))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.overlaps(after):
            raise ValueError(f"Working windows {before} and {after} overlap.")
    return ordered


@dataclass(frozen=True)
class Calendar:
    """When a business is open.

    ``weekly`` maps Python weekday numbers (0 = Monday … 6 = Sunday) to that day's windows.
    ``holidays`` are closed all day. ``exceptions`` override a date: an empty tuple closes it,
    windows open it with those hours (a holiday with an exception takes the exception's hours).
    """

    time_zone: str
    weekly: Mapping[int, tuple[Window, ...]]
    holidays: frozenset[date] = frozenset()
    exceptions: Mapping[date, tuple[Window, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))
        weekly = {}
        for weekday, windows in self.weekly.items():
            if weekday not in range(7):
                raise ValueError("Weekdays are numbered 0 to 6.")
            weekly[weekday] = check_windows(windows)
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(
            self, "exceptions", {day: check_windows(ws) for day, ws in self.exceptions.items()}
        )

    def windows_for(self, day: date) -> tuple[Window, ...]:
        """The local windows of one date, exceptions and holidays applied."""
        if day in self.exceptions:
            return self.exceptions[day]
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())

    def open_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The date's windows as UTC intervals (real elapsed time, DST included)."""
        zone = self.zone
        intervals = []
        for window in self.windows_for(day):
            start = _to_utc(datetime.combine(day, window.start), zone)
            end_day = day + timedelta(days=1) if window.end == END_OF_DAY else day
            end = _to_utc(datetime.combine(end_day, window.end), zone)
            if end > start:  # a window lying wholly in a spring-forward gap has no length
                intervals.append((start, end))
        return intervals

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall time (fall-back) is its first occurrence; a non-existent one
    # (spring-forward gap) is read with the offset before the change, which lands after the gap.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Clock arithmetic needs aware datetimes.")
    return moment.astimezone(UTC)


def open_intervals(
    calendar: Calendar, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals (UTC) from ``start`` on, clipped to [start, end); endless if no ``end``.

    Raises CalendarNeverOpen when no window opens for MAX_SEARCH_DAYS in a row.
    """
    start = _utc(start)
    end = _utc(end) if end is not None else None
    # A window belongs to its local date; begin one day early so a window of the previous local
    # date that is still open at ``start`` (ends at 24:00 in the zone) is not missed.
    day = calendar.local_date(start) - timedelta(days=1)
    closed_days = 0
    while True:
        intervals = calendar.open_on(day)
        if intervals:
            closed_days = 0
        else:
            closed_days += 1
            if closed_days > MAX_SEARCH_DAYS:
                raise CalendarNeverOpen("The calendar has no open window in the search horizon.")
        for open_start, open_end in intervals:
            if end is not None and open_start >= end:
                return
            if open_end <= start:
                continue
            yield max(open_start, start), open_end if end is None else min(open_end, end)
        day += timedelta(days=1)
        if end is not None and _to_utc(datetime.combine(day, time.min), calendar.zone) >= end:
            return


def is_open(calendar: Calendar, moment: datetime) -> bool:
    moment = _utc(moment)
    return any(
        open_start <= moment < open_end
        for open_start, open_end in calendar.open_on(calendar.local_date(moment))
        + calendar.open_on(calendar.local_date(moment) - timedelta(days=1))
    )


def next_open(calendar: Calendar, moment: datetime) -> datetime:
    """``moment`` itself if the calendar is open then, else the start of the next window."""
    for open_start, _open_end in open_intervals(calendar, moment):
        return open_start
    raise CalendarNeverOpen("The calendar has no open window in the search horizon.")


def working_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Open time between two instants (zero if ``end`` is not after ``start``)."""
    if _utc(end) <= _utc(start):
        return ZERO
    return sum((b - a for a, b in open_intervals(calendar, start, end)), ZERO)


def add_working_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which ``amount`` of working time after ``start`` has elapsed."""
    return due_at(calendar, start, amount, ())


# -- intervals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """An interval in which the clock did not run; ``end=None``: still paused."""

    start: datetime
    end: datetime | None = None


def merge_pauses(pauses: Iterable[Pause | tuple[datetime, datetime | None]]) -> list[Pause]:
    """Pauses in UTC, sorted, overlapping or touching ones merged, empty ones dropped."""
    items = []
    for pause in pauses:
        start, end = (pause.start, pause.end) if isinstance(pause, Pause) else pause
        start = _utc(start)
        end = _utc(end) if end is not None else None
        if end is not None and end <= start:
            continue
        items.append(Pause(start, end))
    items.sort(key=lambda p: p.start)
    merged: list[Pause] = []
    for pause in items:
        if merged:
            last = merged[-1]
            if last.end is None:
                break  # an open pause swallows everything after it
            if pause.start <= last.end:
                end = None if pause.end is None else max(last.end, pause.end)
                merged[-1] = Pause(last.start, end)
                continue
        merged.append(pause)
    return merged


def _running(
    interval: tuple[datetime, datetime], pauses: Sequence[Pause], starts: Sequence[datetime]
) -> Iterator[tuple[datetime, datetime]]:
    """Parts of ``interval`` outside the (merged, sorted) pauses."""
    cursor, end = interval
    index = max(bisect.bisect_right(starts, cursor) - 1, 0)
    while cursor < end and index < len(pauses):
        pause = pauses[index]
        if pause.end is not None and pause.end <= cursor:
            index += 1
            continue
        if pause.start >= end:
            break
        if pause.start > cursor:
            yield cursor, pause.start
        if pause.end is None:
            return
        cursor = max(cursor, pause.end)
        index += 1
    if cursor < end:
        yield cursor, end


def working_time_used(
    calendar: Calendar,
    started_at: datetime,
    until: datetime,
    pauses: Iterable[Pause | tuple[datetime, datetime | None]] = (),
) -> timedelta:
    """Running working time of a clock between its start and ``until`` (pauses excluded)."""
    if _utc(until) <= _utc(started_at):
        return ZERO
    merged = merge_pauses(pauses)
    starts = [p.start for p in merged]
    total = ZERO
    for interval in open_intervals(calendar, started_at, until):
        for a, b in _running(interval, merged, starts):
            total += b - a
    return total


def due_at(
    calendar: Calendar,
    started_at: datetime,
    target: timedelta,
    pauses: Iterable[Pause | tuple[datetime, datetime | None]] = (),
    *,
    now: datetime | None = None,
) -> datetime | None:
    """When the clock's running working time reaches ``target``.

    That is start + target + the working time spent in pauses before then. If an open-ended pause
    begins before the target is reached, the due time is not known: ``None``, unless ``now`` is
    given, in which case the pause is taken to end at ``now`` (the due time if resumed now).
    """
    if target < ZERO:
        raise ValueError("A target cannot be negative.")
    started_at = _utc(started_at)
    merged = merge_pauses(pauses)
    if merged and merged[-1].end is None:
        if now is None:
            open_pause_start = merged[-1].start
        else:
            now = _utc(now)
            last = merged[-1]
            merged[-1] = Pause(last.start, max(now, last.start))
            merged = merge_pauses(merged)
            open_pause_start = None
    else:
        open_pause_start = None
    if target == ZERO:
        return started_at
    starts = [p.start for p in merged]
    remaining = target
    for interval in open_intervals(calendar, started_at):
        if open_pause_start is not None and interval[0] >= open_pause_start:
            return None
        for a, b in _running(interval, merged, starts):
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        if open_pause_start is not None and interval[1] > open_pause_start:
            return None
    raise CalendarNeverOpen(
        "The calendar has no open window in the search horizon."
    )  # pragma: no cover


# -- status ----------------------------------------------------------------------------------

ON_TRACK = "on_track"
AT_RISK = "at_risk"
BREACHED = "breached"


def percent_used(used: timedelta, target: timedelta) -> Decimal:
    """Share of the target used, in percent (one decimal place)."""
    if target <= ZERO:
        raise ValueError("A target must be positive.")
    return (
        Decimal(used / timedelta(microseconds=1))
        * 100
        / Decimal(target / timedelta(microseconds=1))
    ).quantize(Decimal("0.1"))


def running_status(used: timedelta, target: timedelta, warning_percent: int) -> str:
    """On track, at risk (warning threshold reached) or breached (target exceeded)."""
    if used > target:
        return BREACHED
    if percent_used(used, target) >= warning_percent:
        return AT_RISK
    return ON_TRACK


def fraction_of(target: timedelta, percent: int | Decimal) -> timedelta:
    """``percent`` % of a target, to the microsecond (an escalation level's working time)."""
    micros = Decimal(target // timedelta(microseconds=1)) * Decimal(percent) / 100
    return timedelta(microseconds=int(micros.to_integral_value()))
