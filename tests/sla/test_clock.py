"""The SLA clock arithmetic (sla/clock.py): table-driven cases and properties.

Expected instants are written as local wall-clock times in the calendar's zone and converted
here, so a case reads like the situation it describes ("created Saturday → Monday 08:00").
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import clock
from sla.clock import Calendar, Pause, Window

H = timedelta(hours=1)
M = timedelta(minutes=1)


def lunch_break_calendar(zone="Europe/Warsaw", holidays=(), exceptions=None) -> Calendar:
    """Monday to Friday 08:00–12:00 and 13:00–17:00."""
    day = (Window(time(8), time(12)), Window(time(13), time(17)))
    return Calendar(
        zone,
        dict.fromkeys(range(5), day),
        frozenset(holidays),
        exceptions or {},
    )


def local(cal: Calendar, *args, fold=0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(cal.time_zone), fold=fold).astimezone(UTC)


WARSAW = lunch_break_calendar()
# 2026-12-05 is a Saturday, 2026-12-07 a Monday.


@pytest.mark.parametrize(
    ("created", "expected_start"),
    [
        pytest.param((2026, 12, 5, 10, 0), (2026, 12, 7, 8, 0), id="saturday-to-monday-0800"),
        pytest.param((2026, 12, 7, 12, 30), (2026, 12, 7, 13, 0), id="lunch-break-to-1300"),
        pytest.param((2026, 12, 7, 6, 59), (2026, 12, 7, 8, 0), id="early-morning"),
        pytest.param((2026, 12, 7, 9, 15), (2026, 12, 7, 9, 15), id="open-starts-at-once"),
        pytest.param((2026, 12, 7, 17, 0), (2026, 12, 8, 8, 0), id="closing-time-next-morning"),
        pytest.param((2026, 12, 4, 18, 0), (2026, 12, 7, 8, 0), id="friday-evening"),
    ],
)
def test_clock_starts_at_next_open_moment(created, expected_start):
    assert clock.next_open(WARSAW, local(WARSAW, *created)) == local(WARSAW, *expected_start)


def test_created_on_a_holiday_starts_next_working_morning():
    # 2026-12-24/25 closed (Christmas Eve is a public holiday in Poland from 2025), 26 a Saturday.
    cal = lunch_break_calendar(holidays={date(2026, 12, 24), date(2026, 12, 25)})
    assert clock.next_open(cal, local(cal, 2026, 12, 24, 9)) == local(cal, 2026, 12, 28, 8)


def test_exception_closes_a_day_or_opens_it_with_other_hours():
    cal = lunch_break_calendar(
        holidays={date(2026, 12, 24)},
        exceptions={
            date(2026, 12, 8): (),  # closed for stocktaking
            date(2026, 12, 12): (Window(time(9), time(13)),),  # a Saturday open in the morning
            date(2026, 12, 24): (Window(time(10), time(12)),),  # holiday, but on call 10–12
        },
    )
    assert clock.next_open(cal, local(cal, 2026, 12, 8, 9)) == local(cal, 2026, 12, 9, 8)
    assert clock.next_open(cal, local(cal, 2026, 12, 12, 7)) == local(cal, 2026, 12, 12, 9)
    assert clock.next_open(cal, local(cal, 2026, 12, 24, 7)) == local(cal, 2026, 12, 24, 10)
    assert (
        clock.working_time_between(cal, local(cal, 2026, 12, 12, 0), local(cal, 2026, 12, 13, 0))
        == 4 * H
    )


@pytest.mark.parametrize(
    ("start", "target", "expected_due"),
    [
        pytest.param((2026, 12, 7, 8, 0), 4 * H, (2026, 12, 7, 12, 0), id="morning-window-exactly"),
        pytest.param((2026, 12, 7, 11, 0), 2 * H, (2026, 12, 7, 14, 0), id="over-lunch"),
        pytest.param((2026, 12, 7, 16, 0), 2 * H, (2026, 12, 8, 9, 0), id="over-night"),
        pytest.param((2026, 12, 4, 16, 0), 2 * H, (2026, 12, 7, 9, 0), id="over-weekend"),
        pytest.param((2026, 12, 7, 8, 0), 40 * H, (2026, 12, 11, 17, 0), id="one-working-week"),
    ],
)
def test_due_is_start_plus_target_in_working_time(start, target, expected_due):
    started = local(WARSAW, *start)
    due = clock.add_working_time(WARSAW, started, target)
    assert due == local(WARSAW, *expected_due)
    assert clock.working_time_between(WARSAW, started, due) == target


def test_paused_across_a_night_and_a_weekend_pushes_due_by_the_paused_working_time():
    started = local(WARSAW, 2026, 12, 3, 8)  # Thursday
    target = 16 * H
    # Waiting on the customer Thursday 15:00 → Monday 10:00: Thu 2 h + Fri 8 h + Mon 2 h open.
    pauses = [Pause(local(WARSAW, 2026, 12, 3, 15), local(WARSAW, 2026, 12, 7, 10))]
    due = clock.due_at(WARSAW, started, target, pauses)
    paused_working = clock.working_time_between(WARSAW, *pauses[0].__dict__.values())
    assert paused_working == 12 * H
    assert due == clock.add_working_time(WARSAW, started, target + paused_working)
    # Thursday 6 h used before the pause; Monday 10–12 and 13–17, then Tuesday 8–12.
    assert due == local(WARSAW, 2026, 12, 8, 12)
    assert clock.working_time_used(WARSAW, started, due, pauses) == target


def test_open_pause_leaves_due_unknown_or_projects_it_from_now():
    started = local(WARSAW, 2026, 12, 7, 8)
    pauses = [Pause(local(WARSAW, 2026, 12, 7, 10), None)]
    assert clock.due_at(WARSAW, started, 4 * H, pauses) is None
    now = local(WARSAW, 2026, 12, 8, 9)
    # 2 h used before the pause; 2 h left from now.
    assert clock.due_at(WARSAW, started, 4 * H, pauses, now=now) == local(WARSAW, 2026, 12, 8, 11)
    # A pause that starts after the target was reached does not change the due time.
    late_pause = [Pause(local(WARSAW, 2026, 12, 7, 14), None)]
    assert clock.due_at(WARSAW, started, 4 * H, late_pause) == local(WARSAW, 2026, 12, 7, 12)


def test_resolved_straight_from_the_paused_stage_counts_only_time_before_the_pause():
    started = local(WARSAW, 2026, 12, 7, 8)
    paused_at = local(WARSAW, 2026, 12, 7, 11)
    resolved_at = local(WARSAW, 2026, 12, 9, 15)
    used = clock.working_time_used(WARSAW, started, resolved_at, [Pause(paused_at, resolved_at)])
    assert used == 3 * H
    assert clock.running_status(used, 4 * H, 75) == clock.AT_RISK


def test_reopened_after_completion_counts_the_completed_gap_as_paused():
    # Completed Monday 12:00, reopened Wednesday 8:00: the gap is not the company's time.
    started = local(WARSAW, 2026, 12, 7, 8)
    completed_gap = Pause(local(WARSAW, 2026, 12, 7, 12), local(WARSAW, 2026, 12, 9, 8))
    due = clock.due_at(WARSAW, started, 6 * H, [completed_gap])
    assert due == local(WARSAW, 2026, 12, 9, 10)


def test_calendar_edited_mid_order_recomputes_from_the_same_intervals():
    started = local(WARSAW, 2026, 12, 7, 8)
    pauses = [Pause(local(WARSAW, 2026, 12, 7, 9), local(WARSAW, 2026, 12, 7, 14))]
    before = clock.due_at(WARSAW, started, 8 * H, pauses)
    longer_days = Calendar(
        "Europe/Warsaw", {weekday: (Window(time(7), time(19)),) for weekday in range(5)}
    )
    after = clock.due_at(longer_days, started, 8 * H, pauses)
    assert before == local(WARSAW, 2026, 12, 8, 12)
    # 07:00–19:00: 1 h used before the pause, 5 h after it on Monday, 2 h more on Tuesday.
    assert after == local(longer_days, 2026, 12, 8, 9)


# -- DST ---------------------------------------------------------------------------------------


def round_the_clock(zone: str) -> Calendar:
    return Calendar(zone, {weekday: (Window(time(0), time(0)),) for weekday in range(7)})


@pytest.mark.parametrize(
    ("zone", "day", "real_hours"),
    [
        pytest.param("Europe/Warsaw", date(2026, 3, 29), 23, id="warsaw-spring-forward"),
        pytest.param("Europe/Warsaw", date(2026, 10, 25), 25, id="warsaw-fall-back"),
        pytest.param("Europe/Warsaw", date(2026, 12, 7), 24, id="warsaw-ordinary"),
        # Brazil's DST (abolished 2019) changed at local midnight.
        pytest.param("America/Sao_Paulo", date(2018, 11, 4), 23, id="sao-paulo-spring-forward"),
        pytest.param("America/Sao_Paulo", date(2019, 2, 16), 25, id="sao-paulo-fall-back"),
        pytest.param("America/Sao_Paulo", date(2019, 11, 3), 24, id="sao-paulo-after-abolition"),
    ],
)
def test_a_whole_day_lasts_its_real_length_across_dst(zone, day, real_hours):
    cal = round_the_clock(zone)
    start = clock.next_open(cal, local(cal, day.year, day.month, day.day, 0, 0))
    end = local(cal, *(day + timedelta(days=1)).timetuple()[:3])
    assert clock.working_time_between(cal, start, end) == real_hours * H


@pytest.mark.parametrize(
    ("zone", "night", "window_hours"),
    [
        pytest.param("Europe/Warsaw", date(2026, 3, 29), 5, id="warsaw-spring-forward"),
        pytest.param("Europe/Warsaw", date(2026, 10, 25), 7, id="warsaw-fall-back"),
    ],
)
def test_a_night_shift_window_counts_real_hours(zone, night, window_hours):
    cal = Calendar(zone, {night.weekday(): (Window(time(0), time(6)),)})
    start = local(cal, night.year, night.month, night.day, 0)
    assert clock.working_time_between(cal, start, start + 10 * H) == window_hours * H
    assert clock.add_working_time(cal, start, window_hours * H) == local(
        cal, night.year, night.month, night.day, 6
    )


def test_office_hours_on_a_dst_week_end_at_local_closing_time():
    # Warsaw, week of the spring change: Friday 16:00 + 2 working hours = Monday 9:00 local,
    # though one real hour less passed over the weekend than on an ordinary one.
    cal = lunch_break_calendar()
    started = local(cal, 2026, 3, 27, 16)
    due = clock.add_working_time(cal, started, 2 * H)
    assert due == local(cal, 2026, 3, 30, 9)
    assert due - started == (2 * 24 + 17 - 1) * H
    # And in autumn one real hour more.
    started = local(cal, 2026, 10, 23, 16)
    due = clock.add_working_time(cal, started, 2 * H)
    assert due == local(cal, 2026, 10, 26, 9)
    assert due - started == (2 * 24 + 17 + 1) * H


def test_sao_paulo_midnight_change_does_not_lose_the_morning():
    # 2018-11-04 00:00 did not exist in São Paulo (clocks went to 01:00): a 08:00 start is 08:00.
    cal = Calendar("America/Sao_Paulo", {6: (Window(time(8), time(12)),)})
    assert clock.next_open(cal, local(cal, 2018, 11, 3, 23)) == local(cal, 2018, 11, 4, 8)
    assert clock.next_open(cal, local(cal, 2018, 11, 3, 23)).hour == 10  # UTC-2 that day


# -- status and validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "status"),
    [
        (5 * H, clock.ON_TRACK),
        (6 * H, clock.AT_RISK),
        (8 * H, clock.AT_RISK),
        (8 * H + M, clock.BREACHED),
    ],
)
def test_running_status(used, status):
    assert clock.running_status(used, 8 * H, 75) == status


def test_fraction_of_target():
    assert clock.fraction_of(8 * H, 75) == 6 * H
    assert clock.fraction_of(8 * H, 150) == 12 * H


@pytest.mark.parametrize(
    "windows",
    [
        (Window(time(8), time(12)), Window(time(11), time(15))),
        (Window(time(8), time(17)), Window(time(9), time(10))),
    ],
)
def test_overlapping_windows_are_refused(windows):
    with pytest.raises(ValueError, match="overlap"):
        Calendar("Europe/Warsaw", {0: windows})


def test_window_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="end after"):
        Window(time(17), time(8))


def test_touching_windows_and_midnight_end_are_allowed():
    cal = Calendar("UTC", {0: (Window(time(8), time(12)), Window(time(12), time(0)))})
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    assert clock.working_time_between(cal, monday, monday + timedelta(days=1)) == 16 * H


def test_a_calendar_never_open_is_an_error_not_a_hang():
    with pytest.raises(clock.CalendarNeverOpen):
        clock.next_open(Calendar("UTC", {}), datetime(2026, 12, 7, tzinfo=UTC))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        clock.next_open(WARSAW, datetime(2026, 12, 7, 8))


# -- properties -------------------------------------------------------------------------------

ZONES = ["Europe/Warsaw", "America/Sao_Paulo", "Europe/Paris", "Europe/Tallinn", "UTC"]
moments = st.datetimes(
    min_value=datetime(2017, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
targets = st.integers(min_value=1, max_value=60 * 80).map(lambda minutes: minutes * M)


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    weekly = {}
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1)):
        cuts = sorted(draw(st.sets(st.integers(0, 24 * 4), min_size=2, max_size=6)))
        pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
        windows = [
            Window(_quarter(a), time(0) if b == 96 else _quarter(b)) for a, b in pairs if b > a
        ]
        weekly[weekday] = tuple(windows)
    return Calendar(zone, weekly)


def _quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@st.composite
def pause_lists(draw, start):
    pauses = []
    for _ in range(draw(st.integers(0, 5))):
        a = start + draw(st.integers(0, 60 * 24 * 20)) * M
        pauses.append(Pause(a, a + draw(st.integers(1, 60 * 24 * 4)) * M))
    return pauses


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=moments, target=targets)
def test_property_working_time_to_due_equals_target(cal, start, target):
    if not any(cal.weekly.values()):
        return
    due = clock.add_working_time(cal, start, target)
    assert due > start
    assert clock.working_time_between(cal, start, due) == target
    assert clock.is_open(cal, due - timedelta(microseconds=1))


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=moments, data=st.data())
def test_property_next_open_is_open_and_nothing_earlier_is(cal, start, data):
    if not any(cal.weekly.values()):
        return
    opened = clock.next_open(cal, start)
    assert opened >= start
    assert clock.is_open(cal, opened)
    assert clock.working_time_between(cal, start, opened) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=moments, target=targets, data=st.data())
def test_property_pauses_push_due_by_their_working_time(cal, start, target, data):
    if not any(cal.weekly.values()):
        return
    pauses = data.draw(pause_lists(start))
    due = clock.due_at(cal, start, target, pauses)
    assert due >= clock.add_working_time(cal, start, target)
    # The running working time up to the due moment is exactly the target.
    assert clock.working_time_used(cal, start, due, pauses) == target
    # Due = start + target + the working time paused before it.
    merged = clock.merge_pauses(pauses)
    paused = sum(
        (clock.working_time_between(cal, max(p.start, start), min(p.end, due)) for p in merged),
        timedelta(0),
    )
    assert clock.add_working_time(cal, start, target + paused) == due


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), start=moments, a=targets, b=targets)
def test_property_working_time_is_additive(cal, start, a, b):
    if not any(cal.weekly.values()):
        return
    middle = clock.add_working_time(cal, start, a)
    assert clock.add_working_time(cal, middle, b) == clock.add_working_time(cal, start, a + b)
