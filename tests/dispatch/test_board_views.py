"""The board page and its planning requests."""

import datetime
import re

import pytest
from django.urls import reverse

from dispatch import selectors
from dispatch.models import Appointment, AppointmentStatus
from tests.factories import AbsenceFactory, TeamFactory

from .helpers import DAY, at, fill_week, order, technician

pytestmark = pytest.mark.django_db

MONDAY = DAY - datetime.timedelta(days=DAY.weekday())


def _board(client, **params):
    return client.get(reverse("dispatch:board"), {"date": DAY.isoformat(), **params})


def _post(client, url, **data):
    payload = {"view": "day", "shown": DAY.isoformat(), **data}
    return client.post(url, payload)


def test_the_board_shows_technicians_by_team_visits_and_the_queue(
    tenant_a, dispatcher_a, client_for
):
    team = TeamFactory(tenant=tenant_a, name="North")
    tech = technician(tenant_a, team=team)
    planned = order(tenant_a, description="Boiler service")
    Appointment.objects.create(
        tenant=tenant_a,
        order=planned,
        technician=tech,
        start=at(tenant_a, DAY, 9),
        end=at(tenant_a, DAY, 10),
    )
    queued = order(tenant_a, description="Leaking pipe")
    page = _board(client_for(dispatcher_a)).content.decode()
    assert "North" in page and str(tech) in page
    assert f'data-number="{planned.number}"' in page
    queue = page[page.index('data-testid="queue"') :]
    assert queued.number in queue and planned.number not in queue.split("board-grid")[0]


def test_the_week_view_has_a_column_per_day(tenant_a, dispatcher_a, client_for):
    tech = technician(tenant_a)
    page = _board(client_for(dispatcher_a), view="week").content.decode()
    for n in range(7):
        day = MONDAY + datetime.timedelta(days=n)
        assert f'data-testid="slot-{tech.pk}-{day.isoformat()}"' in page


# Session, user and membership (3), the tenant scope (5 inside the test's transaction: a
# savepoint, reading, setting and resetting the tenant, releasing; in a request of its own it
# is one SET LOCAL), and the board's five: teams, technicians, visits, queue, version and undo.
BOARD_QUERIES = 13


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_board_runs_a_constant_number_of_queries(
    view, tenant_a, dispatcher_a, client_for, django_assert_max_num_queries
):
    client = client_for(dispatcher_a)
    fill_week(tenant_a, MONDAY, technicians=5, appointments=10)
    with django_assert_max_num_queries(BOARD_QUERIES) as small:
        assert _board(client, view=view).status_code == 200
    fill_week(tenant_a, MONDAY, technicians=50, appointments=1000)
    with django_assert_max_num_queries(BOARD_QUERIES) as large:
        page = _board(client, view=view).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    shown = page.count('data-testid="visit"')
    assert shown > (200 if view == "day" else 900)


def test_assign_by_form_plans_and_returns_to_the_board(tenant_a, dispatcher_a, client_for):
    tech = technician(tenant_a)
    o = order(tenant_a)
    client = client_for(dispatcher_a)
    response = _post(
        client,
        reverse("dispatch:assign"),
        order=o.pk,
        technician=tech.pk,
        date=DAY.isoformat(),
        time="09:30",
        minutes="90",
        version=selectors.board_version(tenant=tenant_a),
    )
    assert response.status_code == 302
    visit = Appointment.objects.get(tenant=tenant_a, order=o)
    assert (visit.start, visit.minutes) == (at(tenant_a, DAY, 9, 30), 90)


def test_a_drop_on_a_day_takes_the_first_free_time(tenant_a, dispatcher_a, client_for):
    tech = technician(tenant_a)
    Appointment.objects.create(
        tenant=tenant_a,
        order=order(tenant_a),
        technician=tech,
        start=at(tenant_a, DAY, 8),
        end=at(tenant_a, DAY, 9, 15),
    )
    o = order(tenant_a)
    _post(
        client_for(dispatcher_a),
        reverse("dispatch:assign"),
        order=o.pk,
        technician=tech.pk,
        date=DAY.isoformat(),
    )
    assert Appointment.objects.get(tenant=tenant_a, order=o).start == at(tenant_a, DAY, 9, 15)


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"minutes": "0"}, "no length"),
        ({"technician": ""}, "Choose a technician"),
        ({"date": ""}, "Choose the day"),
    ],
)
def test_bad_input_is_answered_beside_the_field(
    tenant_a, dispatcher_a, client_for, data, field_message
):
    o = order(tenant_a)
    fields = {
        "order": o.pk,
        "technician": technician(tenant_a).pk,
        "date": DAY.isoformat(),
        "time": "09:00",
        "minutes": "60",
        **data,
    }
    response = _post(client_for(dispatcher_a), reverse("dispatch:assign"), **fields)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Appointment.objects.filter(tenant=tenant_a).exists()


def test_another_tenants_technician_is_refused(tenant_a, tenant_b, dispatcher_a, client_for):
    response = _post(
        client_for(dispatcher_a),
        reverse("dispatch:assign"),
        order=order(tenant_a).pk,
        technician=technician(tenant_b).pk,
        date=DAY.isoformat(),
        time="09:00",
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_a_warning_is_shown_and_confirming_plans(tenant_a, dispatcher_a, client_for):
    tech = technician(tenant_a)
    AbsenceFactory(technician=tech, start_date=DAY, end_date=DAY)
    o = order(tenant_a)
    client = client_for(dispatcher_a)
    fields = {
        "order": o.pk,
        "technician": tech.pk,
        "date": DAY.isoformat(),
        "time": "09:00",
        "sel": f"o{o.pk}",
    }
    page = _post(client, reverse("dispatch:assign"), **fields)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="plan-warnings"' in html and 'name="confirmed"' in html
    assert not Appointment.objects.filter(tenant=tenant_a).exists()
    assert _post(client, reverse("dispatch:assign"), confirmed="on", **fields).status_code == 302
    assert Appointment.objects.filter(tenant=tenant_a, order=o).exists()


def test_a_taken_slot_or_a_stale_view_answers_409_with_the_board(
    tenant_a, dispatcher_a, client_for
):
    tech = technician(tenant_a)
    version = selectors.board_version(tenant=tenant_a)
    client = client_for(dispatcher_a)
    fields = {"technician": tech.pk, "date": DAY.isoformat(), "time": "09:00", "version": version}
    assert _post(client, reverse("dispatch:assign"), order=order(tenant_a).pk, **fields)
    late = _post(client, reverse("dispatch:assign"), order=order(tenant_a).pk, **fields)
    assert late.status_code == 409
    assert 'data-testid="board-refusal"' in late.content.decode()
    assert Appointment.objects.filter(tenant=tenant_a).count() == 1


def test_move_unassign_dispatch_and_undo_by_post(tenant_a, dispatcher_a, client_for):
    tech = technician(tenant_a)
    o = order(tenant_a)
    client = client_for(dispatcher_a)
    _post(client, reverse("dispatch:assign"), order=o.pk, technician=tech.pk,
          date=DAY.isoformat(), time="09:00")  # fmt: skip
    visit = Appointment.objects.get(tenant=tenant_a)
    moved = _post(client, reverse("dispatch:move", args=[visit.pk]), technician=tech.pk,
                  date=DAY.isoformat(), time="13:00")  # fmt: skip
    assert moved.status_code == 302
    visit.refresh_from_db()
    assert visit.start == at(tenant_a, DAY, 13) and visit.minutes == 60
    _post(client, reverse("dispatch:dispatch", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.DISPATCHED
    _post(client, reverse("dispatch:undo"))
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED
    _post(client, reverse("dispatch:unassign", args=[visit.pk]))
    assert not Appointment.objects.filter(tenant=tenant_a).exists()


def test_the_change_check(tenant_a, dispatcher_a, client_for, django_assert_max_num_queries):
    client = client_for(dispatcher_a)
    tech = technician(tenant_a)
    params = {
        "since": 0,
        "start": at(tenant_a, DAY, 0).isoformat(),
        "end": at(tenant_a, DAY + datetime.timedelta(days=1), 0).isoformat(),
    }
    assert client.get(reverse("dispatch:changes"), params).json() == {
        "version": 0,
        "changed": False,
    }
    _post(client, reverse("dispatch:assign"), order=order(tenant_a).pk, technician=tech.pk,
          date=DAY.isoformat(), time="09:00")  # fmt: skip
    assert client.get(reverse("dispatch:changes"), params).json() == {
        "version": 1,
        "changed": True,
    }
    # The request's own 3 + 5 (see BOARD_QUERIES) and one: the tenant's version row.
    with django_assert_max_num_queries(9):
        answer = client.get(reverse("dispatch:changes"), {**params, "since": 1}).json()
    assert answer == {"version": 1, "changed": False}
    assert client.get(reverse("dispatch:changes"), {"since": "x"}).status_code == 400


def test_a_technician_cannot_open_the_board(tenant_a, technician_a, client_for):
    assert client_for(technician_a).get(reverse("dispatch:board")).status_code == 403


def test_the_selected_card_opens_the_keyboard_form(tenant_a, dispatcher_a, client_for):
    o = order(tenant_a)
    technician(tenant_a)
    page = _board(client_for(dispatcher_a), sel=f"o{o.pk}").content.decode()
    assert 'data-testid="plan-form"' in page
    assert re.search(rf'name="order" value="{o.pk}"', page)
