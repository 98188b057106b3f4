"""SLA records and business calendars with holidays: what managers, dispatchers and technicians
can do, and bad input refused beside the field."""

import datetime

import pytest
from django.urls import reverse

from sla import demo
from sla.models import BusinessCalendar, Holiday, ServiceLevelAgreement
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    BusinessCalendarFactory,
    HolidayFactory,
    ServiceLevelAgreementFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _errors(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


# --- SLAs ----------------------------------------------------------------------------------------


def test_manager_creates_and_edits_an_sla(manager_a, tenant_a, client):
    client.force_login(manager_a)
    response = client.post(
        reverse("sla:sla_create"),
        {"code": "GOLD", "name": "Gold", "description": "4-hour response"},
        follow=True,
    )
    assert "SLA GOLD · Gold created." in response.content.decode()
    sla = ServiceLevelAgreement.objects.get(tenant=tenant_a, code="GOLD")
    assert not sla.is_suspended

    response = client.post(
        reverse("sla:sla_edit", args=[sla.pk]),
        {"code": "GOLD", "name": "Gold plus", "is_suspended": "on"},
    )
    assert response.status_code == 302
    sla.refresh_from_db()
    assert (sla.name, sla.is_suspended) == ("Gold plus", True)
    assert AuditEvent.objects.filter(tenant=tenant_a, action="sla.update").exists()


def test_duplicate_sla_code_is_refused_beside_the_field(manager_a, tenant_a, tenant_b, client):
    ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD")
    ServiceLevelAgreementFactory(tenant=tenant_b, code="SILVER")
    client.force_login(manager_a)
    response = client.post(reverse("sla:sla_create"), {"code": "gold", "name": "Again"})
    assert response.status_code == 200
    assert "already exists" in _errors(response, "code")
    assert ServiceLevelAgreement.objects.filter(tenant=tenant_a).count() == 1
    # Another tenant's code is no obstacle.
    response = client.post(reverse("sla:sla_create"), {"code": "SILVER", "name": "Silver"})
    assert response.status_code == 302


def test_sla_list_filters_and_exports(manager_a, tenant_a, tenant_b, client):
    ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD", name="Gold")
    ServiceLevelAgreementFactory(tenant=tenant_a, code="OLD", name="Legacy", is_suspended=True)
    ServiceLevelAgreementFactory(tenant=tenant_b, code="FOREIGN", name="Foreign")
    client.force_login(manager_a)
    page = client.get(reverse("sla:sla_list"), {"status": "suspended"})
    assert [sla.code for sla in page.context["rows"]] == ["OLD"]
    csv = client.get(reverse("sla:sla_list"), {"format": "csv"}).content.decode()
    assert "GOLD" in csv and "OLD" in csv and "FOREIGN" not in csv


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.SERVICE_MANAGER, 200, 200),
        (Role.DISPATCHER, 200, 403),
        (Role.TECHNICIAN, 403, 403),
    ],
)
def test_sla_pages_by_role(role, read, write, tenant_a, make_member, client):
    client.force_login(make_member(tenant_a, role))
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    assert client.get(reverse("sla:sla_list")).status_code == read
    assert client.get(reverse("sla:sla_create")).status_code == write
    assert client.get(reverse("sla:sla_edit", args=[sla.pk])).status_code == write


def test_dispatcher_sees_no_add_button_on_the_sla_list(dispatcher_a, client):
    client.force_login(dispatcher_a)
    page = client.get(reverse("sla:sla_list")).content.decode()
    assert reverse("sla:sla_create") not in page


# --- Business calendars --------------------------------------------------------------------------


def _calendar_data(**overrides) -> dict:
    data = {"name": "Head office", "time_zone": "", "working_days": ["0", "1", "2", "3", "4"]}
    data.update(overrides)
    return data


def test_first_calendar_becomes_the_default_and_shows_its_working_days(manager_a, tenant_a, client):
    client.force_login(manager_a)
    response = client.post(reverse("sla:calendar_create"), _calendar_data(), follow=True)
    calendar = BusinessCalendar.objects.get(tenant=tenant_a)
    assert calendar.is_default
    assert calendar.working_days == [0, 1, 2, 3, 4]
    assert calendar.time_zone == ""
    page = response.content.decode()
    assert "Europe/Warsaw" in page  # the tenant's zone, as the calendar has none of its own
    assert 'data-testid="working-days">Mon Tue Wed Thu Fri<' in page


def test_a_new_default_calendar_takes_over_from_the_old_one(manager_a, tenant_a, client):
    old = BusinessCalendarFactory(tenant=tenant_a, name="Old", is_default=True)
    client.force_login(manager_a)
    data = _calendar_data(
        name="Weekend crew", working_days=["5", "6"], is_default="on", time_zone="Europe/Tallinn"
    )
    assert client.post(reverse("sla:calendar_create"), data).status_code == 302
    old.refresh_from_db()
    new = BusinessCalendar.objects.get(tenant=tenant_a, name="Weekend crew")
    assert (old.is_default, new.is_default) == (False, True)
    assert (new.working_days, new.time_zone) == ([5, 6], "Europe/Tallinn")


def test_unticking_the_default_calendar_is_refused(manager_a, tenant_a, client):
    calendar = BusinessCalendarFactory(tenant=tenant_a, name="Only", is_default=True)
    BusinessCalendarFactory(tenant=tenant_a, name="Second", is_default=False)
    client.force_login(manager_a)
    response = client.post(
        reverse("sla:calendar_edit", args=[calendar.pk]), _calendar_data(name="Only")
    )
    assert response.status_code == 200
    assert "another calendar the default" in _errors(response, "is_default")
    calendar.refresh_from_db()
    assert calendar.is_default


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"working_days": []}, "working_days", "at least one working day"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "valid choice"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_calendar_input_is_refused_beside_the_field(
    manager_a, tenant_a, client, data, field, message
):
    client.force_login(manager_a)
    response = client.post(reverse("sla:calendar_create"), _calendar_data(**data))
    assert response.status_code == 200
    assert message in _errors(response, field)
    assert f'data-field="{field}"' in response.content.decode()
    assert not BusinessCalendar.objects.filter(tenant=tenant_a).exists()


def test_duplicate_calendar_name_is_refused(manager_a, tenant_a, client):
    BusinessCalendarFactory(tenant=tenant_a, name="Head office")
    client.force_login(manager_a)
    response = client.post(reverse("sla:calendar_create"), _calendar_data(name="head office"))
    assert "already exists" in _errors(response, "name")
    assert BusinessCalendar.objects.filter(tenant=tenant_a).count() == 1


def test_holidays_are_added_listed_per_year_and_removed(manager_a, tenant_a, client):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    HolidayFactory(calendar=calendar, date=D(2027, 1, 1), name="New Year 2027")
    client.force_login(manager_a)
    url = reverse("sla:holiday_add", args=[calendar.pk])
    response = client.post(url, {"date": "2026-11-11", "name": "Independence Day"}, follow=True)
    assert response.request["QUERY_STRING"] == "year=2026"
    page = response.content.decode()
    assert "Independence Day" in page and "New Year 2027" not in page
    holiday = Holiday.objects.get(tenant=tenant_a, date=D(2026, 11, 11))

    delete = reverse("sla:holiday_delete", args=[calendar.pk, holiday.pk])
    assert "Independence Day" in client.get(delete).content.decode()
    client.post(delete)  # without the confirmation nothing happens
    assert Holiday.objects.filter(pk=holiday.pk).exists()
    response = client.post(delete, {"confirmed": "1"})
    assert response.status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


def test_a_holiday_twice_on_the_same_date_is_refused_beside_the_date(manager_a, tenant_a, client):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    HolidayFactory(calendar=calendar, date=D(2026, 12, 25), name="Christmas")
    client.force_login(manager_a)
    response = client.post(
        reverse("sla:holiday_add", args=[calendar.pk]), {"date": "2026-12-25", "name": "Again"}
    )
    assert response.status_code == 200
    assert "already a holiday" in _errors(response, "date")
    assert Holiday.objects.filter(calendar=calendar).count() == 1
    assert 'data-field="date"' in response.content.decode()


def test_the_same_date_may_be_a_holiday_in_two_calendars(manager_a, tenant_a, client):
    first = BusinessCalendarFactory(tenant=tenant_a)
    second = BusinessCalendarFactory(tenant=tenant_a, is_default=False)
    HolidayFactory(calendar=first, date=D(2026, 12, 25))
    client.force_login(manager_a)
    response = client.post(
        reverse("sla:holiday_add", args=[second.pk]), {"date": "2026-12-25", "name": "Xmas"}
    )
    assert response.status_code == 302
    assert Holiday.objects.filter(date=D(2026, 12, 25)).count() == 2


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.SERVICE_MANAGER, 200, 200),
        (Role.DISPATCHER, 200, 403),
        (Role.TECHNICIAN, 403, 403),
    ],
)
def test_calendar_pages_by_role(role, read, write, tenant_a, make_member, client):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    holiday = HolidayFactory(calendar=calendar)
    client.force_login(make_member(tenant_a, role))
    assert client.get(reverse("sla:calendar_list")).status_code == read
    assert client.get(reverse("sla:calendar_detail", args=[calendar.pk])).status_code == read
    assert client.get(reverse("sla:calendar_create")).status_code == write
    assert client.get(reverse("sla:calendar_edit", args=[calendar.pk])).status_code == write
    delete = reverse("sla:holiday_delete", args=[calendar.pk, holiday.pk])
    assert client.post(delete, {"confirmed": "1"}).status_code == (302 if write == 200 else 403)
    assert Holiday.objects.filter(pk=holiday.pk).exists() == (write != 200)


def test_dispatcher_sees_holidays_without_add_or_remove(dispatcher_a, tenant_a, client):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    HolidayFactory(calendar=calendar, date=D(2026, 12, 25), name="Christmas")
    client.force_login(dispatcher_a)
    page = client.get(reverse("sla:calendar_detail", args=[calendar.pk]), {"year": 2026})
    html = page.content.decode()
    assert "Christmas" in html
    assert 'data-testid="holiday-form"' not in html and "Remove" not in html


# --- Demo data -----------------------------------------------------------------------------------


def test_demo_seeds_slas_and_a_default_calendar_with_the_countrys_holidays(tenant_a, tenant_b):
    tenant_b.country = "BR"
    tenant_b.save()
    for _ in range(2):  # idempotent
        demo.seed(tenant=tenant_a, people={})
        demo.seed(tenant=tenant_b, people={})

    codes = set(
        ServiceLevelAgreement.objects.filter(tenant=tenant_a).values_list("code", flat=True)
    )
    assert codes == {"GOLD", "SILVER", "BRONZE"}
    polish = BusinessCalendar.objects.get(tenant=tenant_a, is_default=True)
    dates = {h.date: h.name for h in Holiday.objects.filter(calendar=polish)}
    assert len(dates) == 28  # 14 public holidays in each of 2026 and 2027
    assert dates[D(2026, 4, 6)] == "Poniedziałek Wielkanocny"  # Easter 2026 is 5 April
    assert dates[D(2026, 6, 4)] == "Boże Ciało"
    assert dates[D(2027, 3, 29)] == "Poniedziałek Wielkanocny"  # Easter 2027 is 28 March

    brazilian = BusinessCalendar.objects.get(tenant=tenant_b, is_default=True)
    br_dates = set(Holiday.objects.filter(calendar=brazilian).values_list("date", flat=True))
    assert len(br_dates) == 20
    assert {D(2026, 4, 3), D(2026, 11, 20), D(2027, 3, 26), D(2027, 9, 7)} <= br_dates
