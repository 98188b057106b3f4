"""Holidays from an iCal (.ics) file, read with the ``icalendar`` library.

Each VEVENT gives its start date and summary; an event lasting several days (DTEND after the
next day) gives one holiday per day, and a yearly recurring event (RRULE FREQ=YEARLY, as
exported by most public-holiday calendars) is expanded over the years asked for. Anything that
is not an iCal calendar, or a file over :data:`MAX_BYTES`, is refused with a sentence for the
user.
"""

import datetime

import icalendar
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 512 * 1024  # a country's holidays for decades fit in a few kilobytes
MAX_DAYS_PER_EVENT = 31  # a "holiday" longer than a month is a mistake in the file
MAX_HOLIDAYS = 2000


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s KB: is it really a holiday calendar?")
            % {"size": MAX_BYTES // 1024},
            code="too_large",
        )


def parse(content: bytes, *, years: range | None = None) -> list[tuple[datetime.date, str]]:
    """The file's holidays as (date, name) pairs sorted by date, one per date (the first
    event's name wins). ``years`` is where yearly recurring events are repeated (without it,
    each counts once, on its first date); dated events are taken as they are."""
    check_size(len(content))
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError):
        calendar = None
    if calendar is None or calendar.name != "VCALENDAR":
        raise ValidationError(_("This is not an iCal calendar file (.ics)."), code="not_ical")
    found: dict[datetime.date, str] = {}
    for event in calendar.walk("VEVENT"):
        try:
            days = _event_days(event, years)
        except (ValueError, TypeError, AttributeError):
            continue  # an event without a usable date: nothing to import from it
        name = str(event.get("SUMMARY", "")).strip() or _("Holiday")
        for day in days:
            found.setdefault(day, name)
        if len(found) > MAX_HOLIDAYS:
            raise ValidationError(
                _("The file holds more than %(count)s days off: import a shorter period.")
                % {"count": MAX_HOLIDAYS},
                code="too_many",
            )
    if not found:
        raise ValidationError(_("The file holds no events with a date."), code="empty")
    return sorted(found.items())


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise TypeError(value)


def _event_days(event, years: range | None) -> list[datetime.date]:
    start = _as_date(event.decoded("DTSTART"))
    end = _as_date(event.decoded("DTEND")) if event.get("DTEND") is not None else None
    length = max(1, (end - start).days) if end is not None else 1
    if length > MAX_DAYS_PER_EVENT:
        raise ValueError("too long")
    starts = [start]
    rule = event.get("RRULE")
    if rule and years is not None and rule.get("FREQ") == ["YEARLY"]:
        starts = []
        for year in years:
            try:
                starts.append(start.replace(year=year))
            except ValueError:
                continue  # 29 February in a common year
    return [each + datetime.timedelta(days=offset) for each in starts for offset in range(length)]
