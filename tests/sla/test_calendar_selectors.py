"""The calendar reads order generation relies on: the default calendar, holidays in a range,
and whether a day is open."""

import datetime

import pytest

from sla import selectors
from sla.models import BusinessCalendar
from tests.factories import BusinessCalendarFactory, HolidayFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_calendar_default_is_the_tenants_default_calendar(tenant_a, tenant_b):
    assert selectors.calendar_default(tenant=tenant_a) is None
    BusinessCalendarFactory(tenant=tenant_a, name="Branch", is_default=False)
    main = BusinessCalendarFactory(tenant=tenant_a, name="Head office", is_default=True)
    BusinessCalendarFactory(tenant=tenant_b, name="Other tenant", is_default=True)
    assert selectors.calendar_default(tenant=tenant_a) == main


def test_holiday_dates_is_bounded_inclusive_and_per_calendar_and_tenant(tenant_a, tenant_b):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    other_calendar = BusinessCalendarFactory(tenant=tenant_a, is_default=False)
    for day in (D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 3), D(2026, 5, 31), D(2026, 6, 1)):
        HolidayFactory(calendar=calendar, date=day)
    HolidayFactory(calendar=other_calendar, date=D(2026, 5, 15))
    HolidayFactory(calendar=BusinessCalendarFactory(tenant=tenant_b), date=D(2026, 5, 20))

    dates = selectors.holiday_dates(
        tenant=tenant_a, calendar=calendar, start=D(2026, 5, 1), end=D(2026, 5, 31)
    )

    assert dates == {D(2026, 5, 1), D(2026, 5, 3), D(2026, 5, 31)}


def test_holiday_dates_of_another_tenants_calendar_are_empty(tenant_a, tenant_b):
    foreign = BusinessCalendarFactory(tenant=tenant_b)
    HolidayFactory(calendar=foreign, date=D(2026, 5, 1))
    dates = selectors.holiday_dates(
        tenant=tenant_a, calendar=foreign, start=D(2026, 1, 1), end=D(2026, 12, 31)
    )
    assert dates == set()


def test_without_a_calendar_there_are_no_holidays(tenant_a):
    assert (
        selectors.holiday_dates(
            tenant=tenant_a, calendar=None, start=D(2026, 1, 1), end=D(2026, 12, 31)
        )
        == set()
    )


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (D(2026, 5, 4), True),  # Monday
        (D(2026, 5, 8), True),  # Friday
        (D(2026, 5, 9), False),  # Saturday
        (D(2026, 5, 10), False),  # Sunday
        (D(2026, 5, 1), False),  # Friday, but a holiday
    ],
)
def test_calendar_is_open_on_working_days_that_are_not_holidays(day, is_open):
    calendar = BusinessCalendar(working_days=[0, 1, 2, 3, 4])
    assert selectors.calendar_is_open(calendar, day, {D(2026, 5, 1)}) is is_open


def test_a_calendar_that_works_saturdays_is_open_on_saturday_only_then():
    calendar = BusinessCalendar(working_days=[1, 2, 3, 4, 5])  # Tuesday to Saturday
    assert selectors.calendar_is_open(calendar, D(2026, 5, 9), set())  # Saturday
    assert not selectors.calendar_is_open(calendar, D(2026, 5, 4), set())  # Monday


def test_without_a_calendar_monday_to_friday_are_open():
    assert selectors.calendar_is_open(None, D(2026, 5, 8), set())
    assert not selectors.calendar_is_open(None, D(2026, 5, 9), set())
    assert not selectors.calendar_is_open(None, D(2026, 5, 8), {D(2026, 5, 8)})
