"""The manager's SLA pages: working windows, one-off exceptions, holidays from an iCal file,
targets per priority, escalation levels, the calendar of an SLA and the SLA settings. Bad input
refused beside the field with nothing saved; deletes confirmed; edits tell the open clocks."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sla import ical
from sla.models import (
    CalendarException,
    EscalationLevel,
    Holiday,
    SlaSettings,
    SlaTarget,
    WorkingWindow,
)
from sla.signals import sla_timing_changed
from tenancy.roles import Role
from tests.factories import (
    BusinessCalendarFactory,
    EscalationLevelFactory,
    ServiceLevelAgreementFactory,
    WorkingWindowFactory,
)

pytestmark = pytest.mark.django_db

T = datetime.time


def _errors(response, field, form="form") -> str:
    return " ".join(response.context[form].errors.get(field, []))


@pytest.fixture
def told():
    """What sla_timing_changed said after the commits (a real receiver, like service orders')."""
    heard = []

    def receiver(sender, **kwargs):
        heard.append({k: v for k, v in kwargs.items() if k != "signal"})

    sla_timing_changed.connect(receiver, weak=False, dispatch_uid="test-told")
    yield heard
    sla_timing_changed.disconnect(dispatch_uid="test-told")


# --- Working windows -----------------------------------------------------------------------------


def test_windows_with_a_lunch_break_are_added_and_tell_the_clocks(
    client_for, manager_a, tenant_a, told, django_capture_on_commit_callbacks
):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    client = client_for(manager_a)
    url = reverse("sla:window_add", args=[calendar.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"weekday": 0, "start_time": "08:00", "end_time": "12:00"})
        client.post(url, {"weekday": 0, "start_time": "13:00", "end_time": "17:00"})
    assert list(
        WorkingWindow.objects.filter(calendar=calendar).values_list("start_time", "end_time")
    ) == [(T(8), T(12)), (T(13), T(17))]
    assert told == [{"tenant_id": tenant_a.pk, "calendar_id": calendar.pk, "sla_id": None}] * 2
    page = client.get(reverse("sla:calendar_detail", args=[calendar.pk])).content.decode()
    assert "08:00–12:00" in page and "13:00–17:00" in page


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("09:00", "13:00", "start_time", "overlaps the window 08:00–12:00"),
        ("07:00", "08:30", "start_time", "overlaps"),
        ("12:00", "11:00", "end_time", "must end after it starts"),
        ("10:00", "10:00", "end_time", "must end after it starts"),
    ],
)
def test_overlapping_or_backwards_windows_are_refused_beside_the_field(
    client_for, manager_a, tenant_a, start, end, field, message
):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    WorkingWindowFactory(calendar=calendar, weekday=0, start_time=T(8), end_time=T(12))
    response = client_for(manager_a).post(
        reverse("sla:window_add", args=[calendar.pk]),
        {"weekday": 0, "start_time": start, "end_time": end},
    )
    assert response.status_code == 200
    assert message in _errors(response, field, "window_form")
    assert WorkingWindow.objects.filter(calendar=calendar).count() == 1


def test_a_window_touching_another_and_one_to_midnight_are_fine(client_for, manager_a, tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    WorkingWindowFactory(calendar=calendar, weekday=2, start_time=T(8), end_time=T(12))
    client = client_for(manager_a)
    url = reverse("sla:window_add", args=[calendar.pk])
    client.post(url, {"weekday": 2, "start_time": "12:00", "end_time": "16:00"})
    client.post(url, {"weekday": 2, "start_time": "20:00", "end_time": "00:00"})
    assert WorkingWindow.objects.filter(calendar=calendar, weekday=2).count() == 3


def test_a_window_on_a_closed_weekday_is_refused_and_a_day_with_windows_stays_ticked(
    client_for, manager_a, tenant_a
):
    calendar = BusinessCalendarFactory(tenant=tenant_a, working_days=[0, 1, 2, 3, 4])
    client = client_for(manager_a)
    response = client.post(
        reverse("sla:window_add", args=[calendar.pk]),
        {"weekday": 5, "start_time": "08:00", "end_time": "12:00"},
    )
    assert "not a working day" in _errors(response, "weekday", "window_form")
    WorkingWindowFactory(calendar=calendar, weekday=4, start_time=T(8), end_time=T(12))
    response = client.post(
        reverse("sla:calendar_edit", args=[calendar.pk]),
        {"name": calendar.name, "working_days": [0, 1, 2, 3], "is_default": "on"},
    )
    assert "has working windows" in _errors(response, "working_days")
    calendar.refresh_from_db()
    assert calendar.working_days == [0, 1, 2, 3, 4]


def test_removing_a_window_asks_first(client_for, manager_a, tenant_a):
    window = WorkingWindowFactory(
        calendar=BusinessCalendarFactory(tenant=tenant_a), start_time=T(8), end_time=T(12)
    )
    client = client_for(manager_a)
    url = reverse("sla:window_delete", args=[window.calendar_id, window.pk])
    asked = client.post(url)
    assert asked.status_code == 200 and "Remove the working window" in asked.content.decode()
    assert WorkingWindow.objects.filter(pk=window.pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not WorkingWindow.objects.filter(pk=window.pk).exists()


# --- Exceptions ----------------------------------------------------------------------------------


def test_exceptions_closed_or_open_with_other_hours(client_for, manager_a, tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    client = client_for(manager_a)
    url = reverse("sla:exception_add", args=[calendar.pk])
    client.post(
        url,
        {"date": "2026-12-24", "name": "Christmas Eve", "start_time": "08:00", "end_time": "12:00"},
    )
    client.post(url, {"date": "2026-12-31", "name": "Stocktaking"})
    rows = CalendarException.objects.filter(calendar=calendar).order_by("date")
    assert [(r.date.day, r.start_time, r.is_closed) for r in rows] == [
        (24, T(8), False),
        (31, None, True),
    ]
    # A closed day cannot also get hours; half-given hours are refused beside the field.
    response = client.post(
        url,
        {
            "date": "2026-12-31",
            "name": "Open after all",
            "start_time": "08:00",
            "end_time": "10:00",
        },
    )
    assert "already closed" in _errors(response, "date", "exception_form")
    response = client.post(url, {"date": "2026-12-30", "name": "Half", "start_time": "08:00"})
    assert "both the opening and the closing time" in _errors(
        response, "end_time", "exception_form"
    )
    assert rows.count() == 2
    page = client.get(f"{reverse('sla:calendar_detail', args=[calendar.pk])}?year=2026")
    assert "Closed all day" in page.content.decode()


# --- iCal import ---------------------------------------------------------------------------------

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//EN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20261111
DTEND;VALUE=DATE:20261112
SUMMARY:Independence Day
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
SUMMARY:Christmas
END:VEVENT
BEGIN:VEVENT
UID:3@test
DTSTART;VALUE=DATE:20200101
RRULE:FREQ=YEARLY
SUMMARY:New Year
END:VEVENT
END:VCALENDAR
"""


def test_ical_parse_expands_multi_day_and_yearly_events():
    found = ical.parse(ICS, years=range(2026, 2028))
    assert [day.isoformat() for day, _name in found] == [
        "2026-01-01",
        "2026-11-11",
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
        "2027-01-01",
    ]
    assert dict(found)[datetime.date(2026, 12, 25)] == "Christmas"


def test_import_previews_then_imports_once(
    client_for, manager_a, tenant_a, told, django_capture_on_commit_callbacks
):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    Holiday.objects.create(
        tenant=tenant_a,
        calendar=calendar,
        date=datetime.date(2026, 11, 11),
        name="Święto Niepodległości",
    )
    client = client_for(manager_a)
    url = reverse("sla:holiday_import", args=[calendar.pk])
    preview = client.post(url, {"file": SimpleUploadedFile("h.ics", ICS, "text/calendar")})
    rows = preview.context["rows"]
    assert [known for _day, _name, known in rows].count(True) == 1
    assert preview.context["new_count"] == len(rows) - 1
    assert Holiday.objects.filter(calendar=calendar).count() == 1  # nothing saved yet
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"preview": preview.context["preview"]})
    assert Holiday.objects.filter(calendar=calendar).count() == len(rows)
    assert told[-1]["calendar_id"] == calendar.pk
    # The known date kept its own name; the same file again adds nothing.
    assert Holiday.objects.get(calendar=calendar, date="2026-11-11").name == "Święto Niepodległości"
    again = client.post(url, {"preview": preview.context["preview"]}, follow=True)
    assert "Nothing new" in again.content.decode()
    assert Holiday.objects.filter(calendar=calendar).count() == len(rows)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Date,Holiday\n2026-11-11,Independence\n", "not an iCal calendar"),
        (b"BEGIN:VCALENDAR\r\n" + b"X" * (ical.MAX_BYTES + 10), "larger than"),
    ],
)
def test_a_file_that_is_not_ical_or_too_large_is_refused(
    client_for, manager_a, tenant_a, content, message
):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    response = client_for(manager_a).post(
        reverse("sla:holiday_import", args=[calendar.pk]),
        {"file": SimpleUploadedFile("h.ics", content, "text/calendar")},
    )
    assert message in _errors(response, "file")
    assert "rows" not in response.context
    assert not Holiday.objects.filter(calendar=calendar).exists()


def test_a_tampered_preview_imports_nothing(client_for, manager_a, tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    response = client_for(manager_a).post(
        reverse("sla:holiday_import", args=[calendar.pk]),
        {"preview": '[["2026-05-01", "Fake"]]:forged'},
        follow=True,
    )
    assert "upload the file again" in response.content.decode()
    assert not Holiday.objects.filter(calendar=calendar).exists()


# --- Targets, levels, calendar of an SLA, settings -----------------------------------------------


def test_targets_per_priority_in_working_hours(
    client_for, manager_a, tenant_a, told, django_capture_on_commit_callbacks
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    client = client_for(manager_a)
    url = reverse("sla:sla_targets", args=[sla.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"high_response": "0.5", "high_resolution": "4", "normal_resolution": "16"}
        )
    assert response.status_code == 302
    assert sorted(
        SlaTarget.objects.filter(sla=sla).values_list(
            "priority", "response_minutes", "resolution_minutes"
        )
    ) == [("high", 30, 240), ("normal", None, 960)]
    assert told == [{"tenant_id": tenant_a.pk, "calendar_id": None, "sla_id": sla.pk}]
    page = client.get(reverse("sla:sla_edit", args=[sla.pk]))
    assert page.context["targets_form"]["high_resolution"].value() == 4


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"high_resolution": "0"}, "high_resolution", "more than zero"),
        ({"low_resolution": "-2"}, "low_resolution", "more than zero"),
        ({"normal_response": "2"}, "normal_resolution", "resolution target too"),
        ({"high_response": "5", "high_resolution": "4"}, "high_response", "cannot be longer"),
    ],
)
def test_bad_targets_are_refused_beside_the_field(
    client_for, manager_a, tenant_a, data, field, message
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    response = client_for(manager_a).post(reverse("sla:sla_targets", args=[sla.pk]), data)
    assert message in _errors(response, field, "targets_form")
    assert not SlaTarget.objects.filter(sla=sla).exists()


def test_escalation_levels_to_a_role_or_a_named_member(
    client_for, manager_a, tenant_a, make_member
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    named = make_member(tenant_a, Role.SERVICE_MANAGER)
    client = client_for(manager_a)
    url = reverse("sla:level_add", args=[sla.pk])
    client.post(url, {"percent": 75, "role": "dispatcher"})
    client.post(url, {"percent": 150, "user": named.pk})
    assert list(EscalationLevel.objects.filter(sla=sla).values_list("percent", "role", "user")) == [
        (75, "dispatcher", None),
        (150, "", named.pk),
    ]
    response = client.post(url, {"percent": 75, "role": "service_manager"})
    assert "already has a level" in _errors(response, "percent", "level_form")
    response = client.post(url, {"percent": 0, "role": "dispatcher"})
    assert _errors(response, "percent", "level_form")
    response = client.post(url, {"percent": 120, "role": "dispatcher", "user": named.pk})
    assert "either a role or a person" in _errors(response, "role", "level_form")
    assert EscalationLevel.objects.filter(sla=sla).count() == 2


def test_a_person_of_another_tenant_is_refused(
    client_for, manager_a, tenant_a, tenant_b, make_member
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    stranger = make_member(tenant_b, Role.SERVICE_MANAGER)
    response = client_for(manager_a).post(
        reverse("sla:level_add", args=[sla.pk]), {"percent": 100, "user": stranger.pk}
    )
    assert _errors(response, "user", "level_form")
    assert not EscalationLevel.objects.filter(sla=sla).exists()


def test_removing_a_level_asks_first(client_for, manager_a, tenant_a):
    level = EscalationLevelFactory(sla=ServiceLevelAgreementFactory(tenant=tenant_a), percent=90)
    client = client_for(manager_a)
    url = reverse("sla:level_delete", args=[level.sla_id, level.pk])
    assert "Remove the escalation level" in client.post(url).content.decode()
    assert EscalationLevel.objects.filter(pk=level.pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not EscalationLevel.objects.filter(pk=level.pk).exists()


def test_an_sla_takes_a_calendar_of_its_tenant_only(client_for, manager_a, tenant_a, tenant_b):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD")
    ours = BusinessCalendarFactory(tenant=tenant_a)
    theirs = BusinessCalendarFactory(tenant=tenant_b)
    client = client_for(manager_a)
    url = reverse("sla:sla_edit", args=[sla.pk])
    response = client.post(url, {"code": "GOLD", "name": "Gold", "calendar": theirs.pk})
    assert _errors(response, "calendar")
    client.post(url, {"code": "GOLD", "name": "Gold", "calendar": ours.pk})
    sla.refresh_from_db()
    assert sla.calendar == ours


def test_sla_settings_page(client_for, manager_a, tenant_a, tenant_b, dispatcher_a):
    gold = ServiceLevelAgreementFactory(tenant=tenant_a)
    theirs = ServiceLevelAgreementFactory(tenant=tenant_b)
    client = client_for(manager_a)
    url = reverse("sla:settings")
    response = client.post(url, {"default_sla": theirs.pk, "clock_on_generated": "on"})
    assert _errors(response, "default_sla")
    assert not SlaSettings.objects.filter(tenant=tenant_a).exists()
    client.post(url, {"default_sla": gold.pk})
    found = SlaSettings.objects.get(tenant=tenant_a)
    assert (found.default_sla, found.clock_on_generated, found.require_late_reason) == (
        gold,
        False,
        False,
    )
    assert client_for(dispatcher_a).get(url).status_code == 403


def test_dispatchers_cannot_change_hours(client_for, dispatcher_a, tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    response = client_for(dispatcher_a).post(
        reverse("sla:window_add", args=[calendar.pk]),
        {"weekday": 0, "start_time": "08:00", "end_time": "12:00"},
    )
    assert response.status_code == 403
    assert not WorkingWindow.objects.exists()


def test_targets_saved_by_someone_else_meanwhile_answer_409_with_the_current_ones(
    client_for, manager_a, tenant_a, make_member
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    first = client_for(manager_a)
    shown = first.get(reverse("sla:sla_edit", args=[sla.pk])).context["targets_form"]
    seen = shown["seen"].value()
    other = make_member(tenant_a, Role.SERVICE_MANAGER)
    second = Client()
    second.force_login(other)
    url = reverse("sla:sla_targets", args=[sla.pk])
    assert second.post(url, {"seen": seen, "normal_resolution": "8"}).status_code == 302

    response = first.post(url, {"seen": seen, "normal_resolution": "24"})
    assert response.status_code == 409
    assert "changed these targets meanwhile" in response.content.decode()
    assert response.context["targets_form"]["normal_resolution"].value() == 8
    assert SlaTarget.objects.get(sla=sla).resolution_minutes == 480
