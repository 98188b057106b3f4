"""Planning services: assign, move, resize, unassign, dispatch, undo; the order follows."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dispatch import selectors, services
from dispatch.models import Appointment, AppointmentStatus, BoardChange
from service_orders.models import OrderState
from tenancy.models import AuditEvent
from tests.factories import AppointmentFactory, TeamFactory

from .helpers import DAY, at, order, technician

pytestmark = pytest.mark.django_db


def _assign(tenant, by, o, tech, start, minutes=60, **kwargs):
    return services.appointment_assign(
        tenant=tenant,
        by=by,
        order_id=o.pk,
        technician_id=tech.pk,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        **kwargs,
    )


def test_assign_creates_the_visit_schedules_the_order_and_records_it(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    o = order(tenant_a)
    visit = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    o.refresh_from_db()
    assert visit.technician == tech and visit.status == AppointmentStatus.PLANNED
    assert o.assigned_technician == tech.user
    assert o.state == OrderState.SCHEDULED
    assert selectors.board_version(tenant=tenant_a) == 1
    change = BoardChange.objects.get(tenant=tenant_a)
    assert change.before == {} and change.after["technician"] == tech.pk
    assert AuditEvent.objects.filter(
        tenant=tenant_a, action="dispatch.assign", target_id=o.pk
    ).exists()


def test_the_database_refuses_overlapping_visits_of_one_technician(tenant_a):
    tech = technician(tenant_a)
    first = AppointmentFactory(technician=tech, start=at(tenant_a, DAY, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            tenant=tenant_a,
            order=first.order,
            technician=tech,
            start=at(tenant_a, DAY, 9, 30),
            end=at(tenant_a, DAY, 11),
        )
    # Back to back is fine, and another technician may take the same hour.
    AppointmentFactory(technician=tech, start=at(tenant_a, DAY, 10))
    AppointmentFactory(technician=technician(tenant_a), start=at(tenant_a, DAY, 9))


def test_an_overlap_through_the_service_is_a_clear_refusal(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))
    with pytest.raises(services.DispatchRefused) as refused:
        _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9, 30))
    assert str(tech) in refused.value.message
    assert Appointment.objects.filter(tenant=tenant_a).count() == 1


@pytest.mark.parametrize(
    ("minutes", "field"),
    [(0, "end"), (-30, "end"), (25 * 60, "end")],
)
def test_bad_times_are_refused_beside_the_field(tenant_a, dispatcher_a, minutes, field):
    with pytest.raises(ValidationError) as error:
        _assign(
            tenant_a, dispatcher_a, order(tenant_a), technician(tenant_a), at(tenant_a, DAY, 9),
            minutes,
        )  # fmt: skip
    assert field in error.value.message_dict
    assert not Appointment.objects.filter(tenant=tenant_a).exists()


def test_a_technician_of_another_tenant_is_refused(tenant_a, tenant_b, dispatcher_a):
    with pytest.raises(ValidationError) as error:
        _assign(tenant_a, dispatcher_a, order(tenant_a), technician(tenant_b), at(tenant_a, DAY, 9))
    assert "technician" in error.value.message_dict


def test_a_dispatcher_plans_only_teams_they_own_or_nobody_owns(tenant_a, dispatcher_a, make_member):
    other = make_member(tenant_a, "dispatcher")
    theirs = technician(tenant_a, team=TeamFactory(tenant=tenant_a, owner=other))
    mine = technician(tenant_a, team=TeamFactory(tenant=tenant_a, owner=dispatcher_a))
    free = technician(tenant_a, team=TeamFactory(tenant=tenant_a))
    allowed = services.dispatchable_team_ids(tenant=tenant_a, user=dispatcher_a, role="dispatcher")
    with pytest.raises(ValidationError) as error:
        _assign(
            tenant_a, dispatcher_a, order(tenant_a), theirs, at(tenant_a, DAY, 9),
            allowed_team_ids=allowed,
        )  # fmt: skip
    assert theirs.team.name in error.value.message_dict["technician"][0]
    for tech in (mine, free):
        _assign(
            tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9),
            allowed_team_ids=allowed,
        )  # fmt: skip


def test_move_reassign_and_resize(tenant_a, dispatcher_a):
    tech, other = technician(tenant_a), technician(tenant_a)
    o = order(tenant_a)
    visit = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    services.appointment_move(
        tenant=tenant_a,
        by=dispatcher_a,
        appointment_id=visit.pk,
        technician_id=other.pk,
        start=at(tenant_a, DAY, 13),
        end=at(tenant_a, DAY, 15, 30),
    )
    visit.refresh_from_db()
    o.refresh_from_db()
    assert (visit.technician_id, visit.start, visit.minutes) == (
        other.pk,
        at(tenant_a, DAY, 13),
        150,
    )
    assert o.assigned_technician == other.user
    assert selectors.board_version(tenant=tenant_a) == 2


def test_a_crew_and_a_multi_day_job_are_several_visits_of_one_order(tenant_a, dispatcher_a):
    lead, helper = technician(tenant_a), technician(tenant_a)
    o = order(tenant_a)
    _assign(tenant_a, dispatcher_a, o, lead, at(tenant_a, DAY, 8), 480)
    _assign(tenant_a, dispatcher_a, o, helper, at(tenant_a, DAY, 8), 480)
    _assign(tenant_a, dispatcher_a, o, lead, at(tenant_a, DAY + datetime.timedelta(days=1), 8), 240)
    assert len(selectors.order_appointments(tenant=tenant_a, order_id=o.pk)) == 3
    o.refresh_from_db()
    assert o.assigned_technician == lead.user


def test_unassign_puts_the_order_back_in_the_queue(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    o = order(tenant_a)
    visit = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    assert o.pk not in [q.pk for q in selectors.queue(tenant=tenant_a)]
    services.appointment_unassign(tenant=tenant_a, by=dispatcher_a, appointment_id=visit.pk)
    o.refresh_from_db()
    assert o.assigned_technician is None
    assert o.pk in [q.pk for q in selectors.queue(tenant=tenant_a)]


def test_dispatch_publishes_once(tenant_a, dispatcher_a):
    visit = _assign(
        tenant_a, dispatcher_a, order(tenant_a), technician(tenant_a), at(tenant_a, DAY, 9)
    )
    services.appointment_dispatch(tenant=tenant_a, by=dispatcher_a, appointment_id=visit.pk)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.DISPATCHED and visit.dispatched_at
    with pytest.raises(services.DispatchRefused):
        services.appointment_dispatch(tenant=tenant_a, by=dispatcher_a, appointment_id=visit.pk)


def test_undo_takes_back_each_kind_of_change(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    o = order(tenant_a)
    visit = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    services.appointment_move(
        tenant=tenant_a,
        by=dispatcher_a,
        appointment_id=visit.pk,
        technician_id=tech.pk,
        start=at(tenant_a, DAY, 14),
        end=at(tenant_a, DAY, 15),
    )
    services.appointment_dispatch(tenant=tenant_a, by=dispatcher_a, appointment_id=visit.pk)
    services.appointment_unassign(tenant=tenant_a, by=dispatcher_a, appointment_id=visit.pk)
    assert not Appointment.objects.filter(tenant=tenant_a).exists()

    services.board_undo(tenant=tenant_a, by=dispatcher_a)  # the removal
    visit = Appointment.objects.get(tenant=tenant_a)
    assert visit.status == AppointmentStatus.DISPATCHED
    services.board_undo(tenant=tenant_a, by=dispatcher_a)  # the dispatch
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED and visit.start == at(tenant_a, DAY, 14)
    services.board_undo(tenant=tenant_a, by=dispatcher_a)  # the move
    visit.refresh_from_db()
    assert visit.start == at(tenant_a, DAY, 9)
    services.board_undo(tenant=tenant_a, by=dispatcher_a)  # the assignment
    assert not Appointment.objects.filter(tenant=tenant_a).exists()
    with pytest.raises(services.DispatchRefused):
        services.board_undo(tenant=tenant_a, by=dispatcher_a)


def test_undo_refuses_when_someone_changed_the_visit_since(tenant_a, dispatcher_a, make_member):
    other = make_member(tenant_a, "dispatcher")
    tech = technician(tenant_a)
    visit = _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))
    services.appointment_move(
        tenant=tenant_a,
        by=other,
        appointment_id=visit.pk,
        technician_id=tech.pk,
        start=at(tenant_a, DAY, 11),
        end=at(tenant_a, DAY, 12),
    )
    with pytest.raises(services.DispatchRefused):
        services.board_undo(tenant=tenant_a, by=dispatcher_a)
    visit.refresh_from_db()
    assert visit.start == at(tenant_a, DAY, 11)


def test_a_change_on_a_stale_board_is_refused(tenant_a, dispatcher_a, make_member):
    other = make_member(tenant_a, "dispatcher")
    tech = technician(tenant_a)
    seen = selectors.board_version(tenant=tenant_a)
    _assign(tenant_a, other, order(tenant_a), tech, at(tenant_a, DAY, 9))
    with pytest.raises(services.BoardStale):
        _assign(
            tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 13),
            seen_version=seen,
        )  # fmt: skip
    # Another technician's row did not change: planning there on the same view is fine.
    _assign(
        tenant_a, dispatcher_a, order(tenant_a), technician(tenant_a), at(tenant_a, DAY, 13),
        seen_version=seen,
    )  # fmt: skip


def test_changes_since_answers_for_the_range_only(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))
    week = {"start": at(tenant_a, DAY, 0), "end": at(tenant_a, DAY + datetime.timedelta(days=7), 0)}
    later = {
        "start": at(tenant_a, DAY + datetime.timedelta(days=7), 0),
        "end": at(tenant_a, DAY + datetime.timedelta(days=14), 0),
    }
    assert selectors.changes_since(tenant=tenant_a, since=0, **week).changed
    assert not selectors.changes_since(tenant=tenant_a, since=0, **later).changed
    check = selectors.changes_since(tenant=tenant_a, since=1, **week)
    assert (check.version, check.changed) == (1, False)


def test_a_cancelled_order_gives_its_technicians_time_back(tenant_a, dispatcher_a):
    from service_orders.services.orders import order_cancel

    tech = technician(tenant_a)
    o = order(tenant_a)
    _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    assert services.order_visits_release(tenant=tenant_a, order_id=o.pk) == 0  # still open
    order_cancel(tenant=tenant_a, by=dispatcher_a, order_id=o.pk, reason="Customer called off")
    services.order_visits_release(tenant=tenant_a, order_id=o.pk)
    assert not Appointment.objects.filter(tenant=tenant_a, order=o).exists()
    # The slot is free again.
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))


def _unassign_last(tenant, by, back_allowed: bool):
    from service_orders.models import OrderStage

    tech = technician(tenant)
    o = order(tenant)
    visit = _assign(tenant, by, o, tech, at(tenant, DAY, 9))
    o.refresh_from_db()
    assert o.state == OrderState.SCHEDULED
    OrderStage.objects.for_tenant(tenant).filter(pk=o.stage_id).update(back_allowed=back_allowed)
    services.appointment_unassign(tenant=tenant, by=by, appointment_id=visit.pk)
    o.refresh_from_db()
    return o


def test_removing_the_last_visit_moves_the_order_back_to_the_stage_for_unplanned_work(
    tenant_a, dispatcher_a
):
    o = _unassign_last(tenant_a, dispatcher_a, back_allowed=True)
    assert o.state == OrderState.NEW and o.stage.state == OrderState.NEW
    assert o.assigned_technician_id is None
    assert o.pk in [q.pk for q in selectors.queue(tenant=tenant_a)]


def test_removing_the_last_visit_leaves_the_order_scheduled_where_the_tree_forbids_going_back(
    tenant_a, dispatcher_a
):
    o = _unassign_last(tenant_a, dispatcher_a, back_allowed=False)
    assert o.state == OrderState.SCHEDULED and o.assigned_technician_id is None
    assert o.pk in [q.pk for q in selectors.queue(tenant=tenant_a)]


def test_removing_one_of_two_visits_keeps_the_order_scheduled(tenant_a, dispatcher_a):
    from service_orders.models import OrderStage

    tech = technician(tenant_a)
    o = order(tenant_a)
    first = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY + datetime.timedelta(days=1), 9))
    o.refresh_from_db()
    OrderStage.objects.for_tenant(tenant_a).filter(pk=o.stage_id).update(back_allowed=True)
    services.appointment_unassign(tenant=tenant_a, by=dispatcher_a, appointment_id=first.pk)
    o.refresh_from_db()
    assert o.state == OrderState.SCHEDULED and o.assigned_technician_id == tech.user_id


def test_planning_an_order_with_an_sla_clock_does_not_recompute_it(
    tenant_a, dispatcher_a, django_assert_max_num_queries
):
    """New → scheduled neither starts nor stops SLA time: the clock stays as it was (its due
    time and status) and the change runs without the clock's recompute."""
    from service_orders.models import OrderClock
    from tests.factories import OrderClockFactory

    tech = technician(tenant_a)
    o = order(tenant_a)
    clock = OrderClockFactory(order=o)
    before = OrderClock.objects.values("resolution_due", "status", "paused_since").get(pk=clock.pk)
    with django_assert_max_num_queries(40):
        _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    o.refresh_from_db()
    assert o.state == OrderState.SCHEDULED
    after = OrderClock.objects.values("resolution_due", "status", "paused_since").get(pk=clock.pk)
    assert after == before
