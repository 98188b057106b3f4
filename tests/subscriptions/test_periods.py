"""Period arithmetic, proration, rounding and accrual schedules: pure functions, no database."""

import datetime
import zoneinfo
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscriptions import periods
from subscriptions.periods import (
    accrual_schedule,
    covered_days,
    due_on,
    indexed_price,
    period_after,
    period_of,
    periods_between,
    prorated,
    proration,
    round_money,
)

KINDS = ["week", "month", "quarter", "half_year", "year"]
D = datetime.date
days_st = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))
# The machine is shared: no deadline per example, and slow generation is not a failure.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(kind=st.sampled_from(KINDS), day=days_st)
def test_the_period_of_a_day_contains_it_and_the_next_period_starts_the_day_after_it_ends(
    kind, day
):
    start, end = period_of(kind, day)
    assert start <= day <= end
    assert period_after(kind, start) == end + datetime.timedelta(days=1)
    # The period is the same whichever of its days asks.
    assert period_of(kind, start) == (start, end) == period_of(kind, end)


@PROPERTY
@given(kind=st.sampled_from(KINDS), first=days_st, length=st.integers(0, 800))
def test_periods_between_tile_the_range_without_gap_or_overlap(kind, first, length):
    last = first + datetime.timedelta(days=length)
    tiles = periods_between(kind, first, last)
    assert tiles[0][0] <= first and tiles[-1][1] >= last
    for (_s, end), (following, _e) in zip(tiles, tiles[1:], strict=False):
        assert following == end + datetime.timedelta(days=1)


@PROPERTY
@given(kind=st.sampled_from(KINDS), day=days_st)
def test_periods_start_on_their_calendar_boundary(kind, day):
    start, _end = period_of(kind, day)
    if kind == "week":
        assert start.weekday() == 0
    else:
        assert start.day == 1
        assert (start.month - 1) % {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[kind] == 0


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("month", D(2024, 2, 10), (D(2024, 2, 1), D(2024, 2, 29))),  # leap year
        ("month", D(2026, 2, 28), (D(2026, 2, 1), D(2026, 2, 28))),
        ("month", D(2026, 1, 31), (D(2026, 1, 1), D(2026, 1, 31))),
        ("quarter", D(2026, 5, 31), (D(2026, 4, 1), D(2026, 6, 30))),
        ("half_year", D(2026, 12, 31), (D(2026, 7, 1), D(2026, 12, 31))),
        ("year", D(2028, 2, 29), (D(2028, 1, 1), D(2028, 12, 31))),
        # The week of the 2026 spring DST change in Europe (29 March) is seven calendar days.
        ("week", D(2026, 3, 29), (D(2026, 3, 23), D(2026, 3, 29))),
        ("week", D(2026, 12, 31), (D(2026, 12, 28), D(2027, 1, 3))),  # across the year end
    ],
)
def test_period_examples_across_month_ends_leap_years_and_dst(kind, day, expected):
    assert period_of(kind, day) == expected


def test_month_after_january_31_is_february_whatever_its_length():
    assert period_after("month", D(2024, 1, 1)) == D(2024, 2, 1)
    assert periods.days(period_of("month", D(2024, 2, 1))) == 29
    assert periods.days(period_of("month", D(2025, 2, 1))) == 28


def test_dst_does_not_change_the_days_of_a_period_or_todays_date_in_the_tenant_zone():
    """A period is a range of calendar dates: the 23-hour day of the spring change counts as
    one day, and the due day is the tenant's calendar date whatever the UTC hour."""
    march = period_of("month", D(2026, 3, 15))
    assert periods.days(march) == 31
    assert proration(covered_days(march, D(2026, 3, 29), None), march) == Fraction(3, 31)
    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    # 23:30 UTC on 28 March is already 29 March in Warsaw (00:30 CET → the clocks go forward
    # at 02:00 that night): the run's "today" is the 29th.
    moment = datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)
    assert moment.astimezone(warsaw).date() == D(2026, 3, 29)


def test_in_advance_falls_due_on_the_first_day_in_arrears_the_day_after_the_last():
    march = period_of("month", D(2026, 3, 1))
    assert due_on("advance", march) == D(2026, 3, 1)
    assert due_on("arrears", march) == D(2026, 4, 1)


def test_start_and_end_mid_period_are_charged_for_the_days_covered():
    march = period_of("month", D(2026, 3, 1))
    assert covered_days(march, D(2026, 3, 11), None) == 21
    assert covered_days(march, D(2026, 1, 1), D(2026, 3, 10)) == 10
    assert covered_days(march, D(2026, 3, 11), D(2026, 3, 20)) == 10
    assert covered_days(march, D(2026, 4, 1), None) == 0
    # Pauses come off, overlapping ranges counted once.
    assert covered_days(march, D(2026, 1, 1), None, [(D(2026, 3, 5), D(2026, 3, 9))]) == 26
    assert (
        covered_days(
            march,
            D(2026, 1, 1),
            None,
            [(D(2026, 3, 5), D(2026, 3, 9)), (D(2026, 3, 8), D(2026, 3, 10))],
        )
        == 25
    )


def test_worked_example_two_reduction_days_of_a_200_march_fee():
    march = period_of("month", D(2026, 3, 1))
    reduction = prorated(Decimal("200.00"), Fraction(2, periods.days(march)), "PLN")
    assert reduction == Decimal("12.90")
    assert Decimal("200.00") - reduction == Decimal("187.10")


def test_price_is_base_times_index_over_100_rounded_half_up():
    assert indexed_price(Decimal("200.00"), Decimal("103.50"), "EUR") == Decimal("207.00")
    assert indexed_price(Decimal("0.05"), Decimal("150"), "EUR") == Decimal("0.08")  # 0.075
    assert indexed_price(Decimal("99.99"), Decimal("100"), "EUR") == Decimal("99.99")
    assert round_money(Decimal("2.345"), "PLN") == Decimal("2.35")
    assert round_money(Decimal("2.5"), "JPY") == Decimal("3")


@PROPERTY
@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    kind=st.sampled_from(KINDS),
    day=days_st,
    per=st.sampled_from(["month", "quarter"]),
)
def test_accrual_schedule_sums_to_the_amount(amount, kind, day, per):
    period = period_of(kind, day)
    schedule = accrual_schedule(amount, period, "EUR", per=per)
    assert sum(share for _m, share in schedule) == amount
    assert [m for m, _s in schedule] == sorted(m for m, _s in schedule)
    assert all(m.day == 1 and period[0].replace(day=1) <= m <= period[1] for m, _s in schedule)


def test_a_yearly_fee_is_recognised_in_12_monthly_amounts_rounding_in_the_last():
    schedule = accrual_schedule(Decimal("1000.00"), period_of("year", D(2026, 6, 1)), "EUR")
    assert len(schedule) == 12
    assert [share for _m, share in schedule[:11]] == [Decimal("83.33")] * 11
    assert schedule[-1] == (D(2026, 12, 1), Decimal("1000.00") - 11 * Decimal("83.33"))


@PROPERTY
@given(
    price=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    covered=st.integers(0, 31),
)
def test_proration_never_charges_more_than_the_price(price, covered):
    march = period_of("month", D(2026, 3, 1))
    amount = prorated(price, proration(covered, march), "EUR")
    assert Decimal(0) <= amount <= price
    if covered == 31:
        assert amount == price
