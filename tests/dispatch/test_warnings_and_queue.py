"""Planning warnings (skill, absence, closed day, working hours, daily maximum, the order's
window) and the queue's order."""

import datetime

import pytest
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import Appointment
from service_orders.models import Priority
from tests.factories import (
    AbsenceFactory,
    AppointmentFactory,
    BusinessCalendarFactory,
    HolidayFactory,
    OrderClockFactory,
    ServiceLevelAgreementFactory,
    ServiceOrderTaskFactory,
    ServiceTaskFactory,
    WorkingWindowFactory,
)

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


def _asked(tenant, by, o, tech, start, minutes=60) -> services.NeedsConfirmation:
    with pytest.raises(services.NeedsConfirmation) as question:
        _assign(tenant, by, o, tech, start, minutes)
    assert not Appointment.objects.filter(tenant=tenant, order=o).exists()
    return question.value


def test_a_missing_skill_warns_and_confirming_plans(tenant_a, dispatcher_a):
    o = order(tenant_a)
    ServiceOrderTaskFactory(
        order=o, task=ServiceTaskFactory(tenant=tenant_a, required_skill="F-Gas")
    )
    tech = technician(tenant_a, skills=["electrics"])
    question = _asked(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    assert any("f-gas" in w for w in question.warnings) and not question.needs_reason
    _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9), confirmed=True)
    # A technician with the skill (any case) gets no warning.
    other = order(tenant_a)
    ServiceOrderTaskFactory(
        order=other, task=ServiceTaskFactory(tenant=tenant_a, required_skill="f-gas")
    )
    _assign(tenant_a, dispatcher_a, other, technician(tenant_a, skills=["f-gas"]),
            at(tenant_a, DAY, 9))  # fmt: skip


def test_an_absence_warns(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    AbsenceFactory(technician=tech, start_date=DAY, end_date=DAY, kind="sick")
    question = _asked(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))
    assert question.warnings and str(tech) in question.warnings[0]
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech,
            at(tenant_a, DAY + datetime.timedelta(days=1), 9))  # fmt: skip


def test_a_closed_day_and_hours_outside_the_calendar_warn(tenant_a, dispatcher_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    for weekday in range(5):
        WorkingWindowFactory(calendar=calendar, weekday=weekday)  # 8:00-16:00
    HolidayFactory(calendar=calendar, date=DAY)
    tech = technician(tenant_a, calendar=calendar)
    holiday = _asked(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 9))
    assert any(DAY.isoformat() in w for w in holiday.warnings)
    saturday = DAY + datetime.timedelta(days=4)
    assert _asked(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, saturday, 9)).warnings
    wednesday = DAY + datetime.timedelta(days=1)
    evening = _asked(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, wednesday, 17))
    assert len(evening.warnings) == 1
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, wednesday, 9))


def test_more_orders_than_the_daily_maximum_warns(tenant_a, dispatcher_a):
    tech = technician(tenant_a, max_orders_per_day=2)
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 8))
    _assign(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 10))
    question = _asked(tenant_a, dispatcher_a, order(tenant_a), tech, at(tenant_a, DAY, 12))
    assert any("2" in w and "3" in w for w in question.warnings)


def test_outside_the_orders_window_needs_a_reason(tenant_a, dispatcher_a):
    tech = technician(tenant_a)
    o = order(tenant_a, window_start=DAY + datetime.timedelta(days=1),
              window_end=DAY + datetime.timedelta(days=2))  # fmt: skip
    question = _asked(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9))
    assert question.needs_reason and question.warnings == []
    with pytest.raises(services.NeedsConfirmation):
        _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9), confirmed=True, reason=" ")
    visit = _assign(tenant_a, dispatcher_a, o, tech, at(tenant_a, DAY, 9), reason="Customer asked")
    assert visit.window_reason == "Customer asked"


def _clock(o, due, sla):
    OrderClockFactory(order=o, resolution_due=due, sla=sla, calendar=None)


def test_the_queue_ranks_by_sla_time_left_then_priority_then_preferred_date(tenant_a):
    now = timezone.now()
    late_low = order(tenant_a, priority=Priority.LOW)
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    _clock(late_low, now + datetime.timedelta(hours=1), sla)
    soon_normal = order(tenant_a, priority=Priority.NORMAL)
    _clock(soon_normal, now + datetime.timedelta(hours=5), sla)
    no_sla_high_late = order(tenant_a, priority=Priority.HIGH, preferred_date=DAY)
    no_sla_high_early = order(
        tenant_a, priority=Priority.HIGH, preferred_date=DAY - datetime.timedelta(days=1)
    )
    no_sla_low = order(tenant_a, priority=Priority.LOW, preferred_date=DAY)
    planned = order(tenant_a, priority=Priority.HIGH)
    AppointmentFactory(order=planned, technician=technician(tenant_a))
    ranked = [o.pk for o in selectors.queue(tenant=tenant_a)]
    assert ranked == [
        late_low.pk,
        soon_normal.pk,
        no_sla_high_early.pk,
        no_sla_high_late.pk,
        no_sla_low.pk,
    ]
