"""The technician's day and week, the one-tap steps, and the calendar feed."""

import datetime

import icalendar
import pytest
from django.urls import reverse

from dispatch import services
from dispatch.models import AppointmentStatus
from service_orders.models import OrderStage, OrderState
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AppointmentFactory,
    CustomerSiteFactory,
    ServiceOrderTaskFactory,
    TechnicianProfileFactory,
)

from .helpers import at, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_profile(tenant_a, technician_a):
    return TechnicianProfileFactory(tenant=tenant_a, user=technician_a, membership=False)


def _visit(tenant, profile, hour, *, dispatched=True, day=None, **order_kwargs):
    day = day or tenant.today()
    o = order(tenant, state=OrderState.SCHEDULED, assigned_technician=profile.user, **order_kwargs)
    return AppointmentFactory(
        technician=profile,
        order=o,
        start=at(tenant, day, hour),
        end=at(tenant, day, hour + 1),
        status=AppointmentStatus.DISPATCHED if dispatched else AppointmentStatus.PLANNED,
    )


def test_the_technicians_home_is_their_day(tenant_a, technician_a, client_for, my_profile):
    client = client_for(technician_a)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and 'data-testid="my-day-visits"' in home.content.decode()
    late = _visit(tenant_a, my_profile, 14, description="Pump check")
    early = _visit(tenant_a, my_profile, 8, description="Boiler service")
    early.order.site = CustomerSiteFactory(
        customer=early.order.customer, street="ul. Długa 5", city="Gdańsk"
    )
    early.order.save(update_fields=["site"])
    ServiceOrderTaskFactory(order=early.order)
    _visit(tenant_a, my_profile, 11, dispatched=False, description="Not yet published")
    _visit(
        tenant_a,
        my_profile,
        9,
        day=tenant_a.today() + datetime.timedelta(days=1),
        description="Tomorrow's job",
    )
    page = client.get(reverse("dispatch:my_day")).content.decode()
    assert page.index("Boiler service") < page.index("Pump check")
    assert "Not yet published" not in page and "Tomorrow" not in page
    assert "geo:0,0?q=" in page and "Gda" in page
    assert early.order.number in page and late.order.number in page
    assert 'data-testid="visit-step-travel"' in page


def test_my_week_lists_the_days_visits(tenant_a, technician_a, client_for, my_profile):
    today = tenant_a.today()
    monday = today - datetime.timedelta(days=today.weekday())
    _visit(tenant_a, my_profile, 9, day=monday + datetime.timedelta(days=2), description="Midweek")
    page = client_for(technician_a).get(reverse("dispatch:my_week")).content.decode()
    assert page.count('data-testid="week-day"') == 7 and "Midweek" in page


def test_a_one_tap_step_moves_the_order_once(tenant_a, technician_a, client_for, my_profile):
    visit = _visit(tenant_a, my_profile, 9)
    client = client_for(technician_a)
    page = client.get(reverse("dispatch:my_day")).content.decode()
    travel = (
        visit.order.stage.children.get(code="travel")
        if hasattr(visit.order.stage, "children")
        else None
    )

    travel = OrderStage.objects.get(tenant=tenant_a, code="travel")
    assert f'value="{travel.pk}"' in page
    data = {"to_stage": travel.pk, "submission_token": "0" * 31 + "1"}
    url = reverse("dispatch:my_step", args=[visit.pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the double tap: the same result
    visit.order.refresh_from_db()
    assert visit.order.state == OrderState.IN_PROGRESS and visit.order.stage == travel
    # A step that no longer applies (someone moved the order on) answers 409.
    again = client.post(url, {"to_stage": travel.pk, "submission_token": "0" * 31 + "2"})
    assert again.status_code == 409


def test_someone_elses_visit_is_not_found(tenant_a, client_for, make_member, my_profile):
    visit = _visit(tenant_a, my_profile, 9)
    other = make_member(tenant_a, Role.TECHNICIAN)
    TechnicianProfileFactory(tenant=tenant_a, user=other, membership=False)
    response = client_for(other).post(reverse("dispatch:my_step", args=[visit.pk]), {})
    assert response.status_code == 404


def _feed(client, profile, token=None):
    return client.get(
        reverse("dispatch:feed", args=[profile.tenant_id, token or profile.feed_token])
    )


def test_the_calendar_feed_is_valid_ical_of_the_dispatched_visits(tenant_a, client, my_profile):
    visit = _visit(tenant_a, my_profile, 9, description="Boiler service")
    _visit(tenant_a, my_profile, 11, dispatched=False)
    response = _feed(client, my_profile)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == visit.start
    assert event.decoded("dtend") == visit.end
    assert visit.order.number in str(event.get("summary"))


def test_a_wrong_another_tenants_or_replaced_secret_gets_404(
    tenant_a, tenant_b, client, my_profile, technician_a
):
    assert _feed(client, my_profile, token="x" * 32).status_code == 404
    other = TechnicianProfileFactory(tenant=tenant_b)
    # Tenant B's secret under tenant A's number, and the other way round.
    assert (
        client.get(reverse("dispatch:feed", args=[tenant_a.pk, other.feed_token])).status_code
        == 404
    )
    assert (
        client.get(reverse("dispatch:feed", args=[tenant_b.pk, my_profile.feed_token])).status_code
        == 404
    )
    old = my_profile.feed_token
    services.profile_feed_reset(tenant=tenant_a, by=technician_a, profile_id=my_profile.pk)
    my_profile.refresh_from_db()
    assert _feed(client, my_profile, token=old).status_code == 404
    assert _feed(client, my_profile).status_code == 200
    assert AuditEvent.objects.filter(tenant=tenant_a, action="dispatch.feed_reset").exists()


def test_the_technician_resets_their_link_after_confirming(
    tenant_a, technician_a, client_for, my_profile
):
    client = client_for(technician_a)
    old = my_profile.feed_token
    url = reverse("dispatch:my_calendar_reset")
    assert client.post(url, {}).status_code == 200  # the question, nothing changed
    my_profile.refresh_from_db()
    assert my_profile.feed_token == old
    client.post(url, {"confirmed": "True"})
    my_profile.refresh_from_db()
    assert my_profile.feed_token != old
    page = client.get(reverse("dispatch:my_calendar")).content.decode()
    assert my_profile.feed_token in page and old not in page


def test_a_technician_without_a_profile_sees_an_explanation(tenant_a, technician_a, client_for):
    page = client_for(technician_a).get(reverse("dispatch:my_day")).content.decode()
    assert 'data-testid="no-profile"' in page


def test_the_day_runs_a_bounded_number_of_queries(
    tenant_a, technician_a, client_for, my_profile, django_assert_max_num_queries
):
    for hour in (8, 10, 12, 14):
        _visit(tenant_a, my_profile, hour)
    # Session, user, membership, the scope's 5, profile, visits, objects, tasks, and two for
    # the next steps of the one stage the orders are at.
    client = client_for(technician_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("dispatch:my_day")).content.decode()
    assert page.count('data-testid="my-visit"') == 4
