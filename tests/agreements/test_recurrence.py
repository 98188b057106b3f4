"""Occurrence dates, time windows and planned start times of agreement lines (no database)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

from agreements.recurrence import occurrences, planned_start, time_window

d = datetime.date
WARSAW = ZoneInfo("Europe/Warsaw")


def test_every_10_days_over_a_month_gives_3_occurrences():
    dates = occurrences(
        unit="day", count=10, anchor=d(2026, 4, 1), start=d(2026, 4, 1), end=d(2026, 4, 30)
    )

    assert dates == [d(2026, 4, 1), d(2026, 4, 11), d(2026, 4, 21)]


def test_a_line_anchored_on_the_31st_takes_the_last_day_of_shorter_months():
    dates = occurrences(
        unit="month", count=1, anchor=d(2026, 1, 31), start=d(2026, 1, 1), end=d(2026, 5, 31)
    )

    assert dates == [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30), d(2026, 5, 31)]


def test_a_line_anchored_on_the_30th_gets_29_february_in_a_leap_year():
    dates = occurrences(
        unit="month", count=1, anchor=d(2027, 11, 30), start=d(2028, 1, 1), end=d(2028, 3, 31)
    )

    assert dates == [d(2028, 1, 30), d(2028, 2, 29), d(2028, 3, 30)]


def test_yearly_from_29_february_falls_on_28_february_in_other_years():
    dates = occurrences(
        unit="year", count=1, anchor=d(2024, 2, 29), start=d(2024, 1, 1), end=d(2028, 12, 31)
    )

    assert dates == [d(2024, 2, 29), d(2025, 2, 28), d(2026, 2, 28), d(2027, 2, 28), d(2028, 2, 29)]


def test_quarterly_is_every_three_calendar_months_from_the_anchor():
    dates = occurrences(
        unit="quarter", count=1, anchor=d(2025, 11, 30), start=d(2026, 1, 1), end=d(2026, 12, 31)
    )

    assert dates == [d(2026, 2, 28), d(2026, 5, 30), d(2026, 8, 30), d(2026, 11, 30)]


def test_every_two_weeks_keeps_the_phase_of_an_anchor_long_ago():
    # Monday 6 Jan 2020 + 326 weeks = Monday 6 Apr 2026 (even: in the series), then 20 April.
    dates = occurrences(
        unit="week", count=2, anchor=d(2020, 1, 6), start=d(2026, 4, 1), end=d(2026, 4, 30)
    )

    assert dates == [d(2026, 4, 6), d(2026, 4, 20)]


@pytest.mark.parametrize(
    ("unit", "count", "frequency", "interval"),
    [
        ("day", 3, DAILY, 3),
        ("week", 3, WEEKLY, 3),
        ("month", 5, MONTHLY, 5),
        ("quarter", 1, MONTHLY, 3),
        ("year", 2, MONTHLY, 24),
    ],
)
def test_a_late_window_gives_the_series_counted_from_the_anchor(unit, count, frequency, interval):
    anchor = d(2019, 8, 31)
    from_anchor = rrule(
        frequency,
        interval=interval,
        dtstart=datetime.datetime(2019, 8, 31),
        until=datetime.datetime(2031, 12, 31),
        **({"bymonthday": (28, 29, 30, 31), "bysetpos": -1} if frequency == MONTHLY else {}),
    )
    expected = [m.date() for m in from_anchor if m.date() >= d(2026, 1, 1)]

    dates = occurrences(
        unit=unit, count=count, anchor=anchor, start=d(2026, 1, 1), end=d(2031, 12, 31)
    )

    assert dates == expected
    assert dates


def test_nothing_before_the_anchor():
    dates = occurrences(
        unit="week", count=1, anchor=d(2026, 4, 20), start=d(2026, 4, 1), end=d(2026, 4, 30)
    )

    assert dates == [d(2026, 4, 20), d(2026, 4, 27)]


def test_no_visits_in_august():
    dates = occurrences(
        unit="month",
        count=1,
        anchor=d(2026, 1, 15),
        start=d(2026, 6, 1),
        end=d(2026, 10, 31),
        excluded_months=[8],
    )

    assert dates == [d(2026, 6, 15), d(2026, 7, 15), d(2026, 9, 15), d(2026, 10, 15)]


def test_excluding_august_does_not_shift_a_quarterly_series():
    dates = occurrences(
        unit="quarter",
        count=1,
        anchor=d(2026, 2, 10),
        start=d(2026, 1, 1),
        end=d(2026, 12, 31),
        excluded_months=[8],
    )

    assert dates == [d(2026, 2, 10), d(2026, 5, 10), d(2026, 11, 10)]


def test_every_month_excluded_means_no_visit():
    dates = occurrences(
        unit="day",
        count=1,
        anchor=d(2026, 1, 1),
        start=d(2026, 1, 1),
        end=d(2026, 1, 31),
        excluded_months=range(1, 13),
    )

    assert dates == []


def test_holidays_are_left_out():
    holidays = {d(2026, 12, 25), d(2026, 12, 26), d(2027, 1, 1)}

    dates = occurrences(
        unit="day",
        count=1,
        anchor=d(2026, 12, 23),
        start=d(2026, 12, 23),
        end=d(2026, 12, 27),
        holidays=holidays,
    )

    assert dates == [d(2026, 12, 23), d(2026, 12, 24), d(2026, 12, 27)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"unit": "fortnight", "count": 1}, "Unknown interval unit 'fortnight'"),
        ({"unit": "week", "count": 0}, "at least 1"),
        ({"unit": "month", "count": 1, "excluded_months": [13]}, r"1\.\.12"),
    ],
)
def test_impossible_intervals_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        occurrences(anchor=d(2026, 1, 1), start=d(2026, 1, 1), end=d(2026, 1, 31), **arguments)


@pytest.mark.parametrize(
    ("kind", "before", "after", "expected"),
    [
        ("exact", 0, 0, (d(2026, 4, 15), d(2026, 4, 15))),
        ("same_week", 0, 0, (d(2026, 4, 13), d(2026, 4, 19))),  # Wednesday → Monday..Sunday
        ("same_month", 0, 0, (d(2026, 4, 1), d(2026, 4, 30))),
        ("days_around", 3, 5, (d(2026, 4, 12), d(2026, 4, 20))),
    ],
)
def test_time_windows(kind, before, after, expected):
    assert time_window(d(2026, 4, 15), kind, before, after) == expected


def test_same_week_window_crosses_a_month_and_year_end():
    assert time_window(d(2026, 12, 31), "same_week") == (d(2026, 12, 28), d(2027, 1, 3))


def test_same_month_window_in_february_of_a_leap_year():
    assert time_window(d(2028, 2, 10), "same_month") == (d(2028, 2, 1), d(2028, 2, 29))


def test_an_unknown_time_window_is_refused():
    with pytest.raises(ValueError, match="Unknown time window"):
        time_window(d(2026, 4, 15), "whenever")


def test_planned_start_stays_at_8_local_across_the_spring_dst_change():
    # Warsaw moves its clocks forward on the last Sunday of March (29 March 2026).
    weekly = occurrences(
        unit="week", count=1, anchor=d(2026, 3, 22), start=d(2026, 3, 22), end=d(2026, 3, 29)
    )
    starts = [planned_start(day, None, "Europe/Warsaw") for day in weekly]

    assert [start.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M") for start in starts] == [
        "2026-03-22 08:00",
        "2026-03-29 08:00",
    ]
    assert [start.astimezone(datetime.UTC).hour for start in starts] == [7, 6]


def test_planned_start_stays_at_the_preferred_time_across_the_autumn_dst_change():
    # And back on the last Sunday of October (25 October 2026).
    weekly = occurrences(
        unit="week", count=1, anchor=d(2026, 10, 18), start=d(2026, 10, 18), end=d(2026, 10, 25)
    )
    starts = [planned_start(day, datetime.time(14, 30), WARSAW) for day in weekly]

    assert [start.astimezone(WARSAW).time() for start in starts] == [datetime.time(14, 30)] * 2
    assert [start.astimezone(datetime.UTC).hour for start in starts] == [12, 13]


def test_a_preferred_time_the_clocks_skip_becomes_the_real_instant():
    start = planned_start(d(2026, 3, 29), datetime.time(2, 30), WARSAW)

    assert start.strftime("%H:%M %z") == "03:30 +0200"
