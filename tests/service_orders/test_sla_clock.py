"""The SLA clock of orders: which SLA applies, start, pauses from the stage log, decisions kept,
manual actions, recomputation after edits. Time is travelled by rewriting the recorded instants
(order creation, stage-log times) in the test database, never by sleeping."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from service_orders import selectors
from service_orders.models import (
    ClockEvent,
    ClockStatus,
    OrderClock,
    OrderStage,
    Origin,
    ReasonCode,
    SlaSource,
    StageLog,
)
from service_orders.services import orders, sla_clock, stages
from sla import clock
from sla.models import SlaSettings
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    EscalationLevelFactory,
    ServiceLevelAgreementFactory,
    SlaTargetFactory,
    WorkingWindowFactory,
)

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
H = datetime.timedelta(hours=1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=WARSAW)


def office_calendar(tenant):
    calendar = BusinessCalendarFactory(tenant=tenant, time_zone="Europe/Warsaw")
    for weekday in range(5):
        WorkingWindowFactory(
            calendar=calendar,
            weekday=weekday,
            start_time=datetime.time(8),
            end_time=datetime.time(12),
        )
        WorkingWindowFactory(
            calendar=calendar,
            weekday=weekday,
            start_time=datetime.time(13),
            end_time=datetime.time(17),
        )
    return calendar


def an_sla(tenant, calendar=None, resolution_hours=8, levels=(75, 100)):
    sla = ServiceLevelAgreementFactory(tenant=tenant, calendar=calendar, warning_percent=75)
    SlaTargetFactory(
        sla=sla, priority="normal", response_minutes=120, resolution_minutes=resolution_hours * 60
    )
    for percent in levels:
        EscalationLevelFactory(sla=sla, percent=percent)
    return sla


def create_order(tenant, user, **data):
    data.setdefault("customer", CustomerFactory(tenant=tenant))
    data.setdefault("description", "Boiler makes noise")
    data.setdefault("priority", "normal")
    return orders.order_create(tenant=tenant, by=user, data=data)


def stage(tenant, code) -> OrderStage:
    return OrderStage.objects.get(tenant=tenant, code=code)


def move(tenant, user, order, code, **kwargs):
    return stages.order_stage_move(
        tenant=tenant, order_id=order.pk, to_stage_id=stage(tenant, code).pk, by=user, **kwargs
    )


def travel(tenant, order, created, log_times=()):
    """Rewrite the order's creation and its stage-log times (in log order), then recompute."""
    clock_row = OrderClock.objects.get(tenant=tenant, order=order)
    OrderClock.objects.filter(pk=clock_row.pk).update(created_at=created)
    logs = list(StageLog.objects.filter(tenant=tenant, order=order).order_by("at", "id"))
    for log, moment in zip(logs, log_times, strict=False):
        StageLog.objects.filter(pk=log.pk).update(at=moment)
    return clock_row


def recompute(tenant, clock_row, now):
    return sla_clock.clock_recompute(tenant=tenant, clock_id=clock_row.pk, now=now)


@pytest.fixture
def office(tenant_a):
    calendar = office_calendar(tenant_a)
    sla = an_sla(tenant_a, calendar)
    SlaSettings.objects.create(tenant=tenant_a, default_sla=sla)
    return sla


def test_precedence_order_agreement_group_customer_tenant(tenant_a, dispatcher_a, office):
    own, agreement_sla, group_sla, customer_sla = (an_sla(tenant_a) for _ in range(4))
    customer = CustomerFactory(tenant=tenant_a, sla=customer_sla)
    group = AgreementGroupFactory(tenant=tenant_a, default_sla=group_sla)
    agreement = AgreementFactory(customer=customer, sla=agreement_sla, group=group)

    def applied(**data):
        order = create_order(tenant_a, dispatcher_a, customer=customer, **data)
        row = OrderClock.objects.get(tenant=tenant_a, order=order)
        return row.sla, row.sla_source

    assert applied(agreement=agreement, sla=own) == (own, SlaSource.ORDER)
    assert applied(agreement=agreement) == (agreement_sla, SlaSource.AGREEMENT)
    agreement.sla = None
    agreement.save()
    assert applied(agreement=agreement) == (group_sla, SlaSource.AGREEMENT_GROUP)
    assert applied() == (customer_sla, SlaSource.CUSTOMER)
    customer.sla = None
    customer.save()
    assert applied() == (office, SlaSource.TENANT)


def test_no_sla_no_clock(tenant_a, dispatcher_a):
    order = create_order(tenant_a, dispatcher_a)
    assert not OrderClock.objects.filter(tenant=tenant_a, order=order).exists()


def test_clock_starts_at_next_open_moment_and_records_sla_and_calendar(
    tenant_a, dispatcher_a, office
):
    order = create_order(tenant_a, dispatcher_a)
    row = travel(tenant_a, order, at(2026, 12, 5, 10))  # a Saturday
    row = recompute(tenant_a, row, now=at(2026, 12, 7, 9))
    assert row.started_at == at(2026, 12, 7, 8)
    assert row.calendar == office.calendar
    # 8 working hours from Monday 08:00 with a lunch break: Monday 17:00.
    assert row.resolution_due == at(2026, 12, 7, 17)
    assert row.response_due == at(2026, 12, 7, 10)
    assert row.used == H
    assert row.status == ClockStatus.ON_TRACK
    # The first level (75 % of 8 h = 6 h): Monday 15:00.
    assert (row.next_escalation_percent, row.next_escalation_at) == (75, at(2026, 12, 7, 15))


def test_on_hold_pauses_and_resuming_moves_due_by_the_paused_working_time(
    tenant_a, dispatcher_a, office
):
    order = create_order(tenant_a, dispatcher_a)
    for code in ("scheduled", "travel", "work"):
        move(tenant_a, dispatcher_a, order, code)
    move(tenant_a, dispatcher_a, order, "hold", reason_code_id=_reason(tenant_a, "hold"))
    row = travel(
        tenant_a,
        order,
        at(2026, 12, 3, 8),  # Thursday
        [
            at(2026, 12, 3, 8),
            at(2026, 12, 3, 9),
            at(2026, 12, 3, 10),
            at(2026, 12, 3, 11),
            at(2026, 12, 3, 15),
        ],
    )
    paused = recompute(tenant_a, row, now=at(2026, 12, 4, 9))
    assert paused.paused_since == at(2026, 12, 3, 15)
    assert paused.resolution_due is None
    assert paused.next_escalation_at is None
    assert paused.used == 6 * H  # Thursday 08–12, 13–15
    move(tenant_a, dispatcher_a, order, "work")
    resumed_at = at(2026, 12, 7, 10)  # Monday: Thu 2 h + Fri 8 h + Mon 2 h paused
    last = StageLog.objects.filter(tenant=tenant_a, order=order).latest("id")
    StageLog.objects.filter(pk=last.pk).update(at=resumed_at)
    row = recompute(tenant_a, row, now=at(2026, 12, 7, 11))
    assert row.paused_since is None
    assert row.resolution_due == clock.add_working_time(
        sla_clock.clock_calendar(tenant=tenant_a, calendar=office.calendar),
        at(2026, 12, 3, 8),
        8 * H + 12 * H,
    )
    assert row.resolution_due == at(2026, 12, 7, 12)
    assert row.used == 7 * H
    assert row.status == ClockStatus.AT_RISK


def _reason(tenant, code):
    return ReasonCode.objects.filter(tenant=tenant, stage=stage(tenant, code)).first().pk


def test_breach_is_decided_at_completion_and_kept(tenant_a, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)
    row = travel(tenant_a, order, timezone.now() - datetime.timedelta(days=30))
    recompute(tenant_a, row, now=timezone.now())
    for code in ("scheduled", "travel", "work"):
        move(tenant_a, dispatcher_a, order, code)
    with pytest.raises(ValidationError) as refused:
        move(tenant_a, dispatcher_a, order, "done")
    assert "late_reason" in refused.value.message_dict
    move(tenant_a, dispatcher_a, order, "done", late_reason="Parts came late")
    row.refresh_from_db()
    assert (row.status, row.late_reason) == (ClockStatus.BREACHED, "Parts came late")
    assert row.decided_at is not None and row.next_escalation_at is None
    assert ClockEvent.objects.filter(tenant=tenant_a, clock=row, kind="late").count() == 1
    # A calendar edit recomputes open clocks only: the decided one stays breached.
    WorkingWindowFactory(
        calendar=office.calendar,
        weekday=5,
        start_time=datetime.time(0),
        end_time=datetime.time(0),
    )
    assert sla_clock.clocks_recompute(tenant=tenant_a, calendar_id=office.calendar_id) == (0, 0)
    row.refresh_from_db()
    assert row.status == ClockStatus.BREACHED


def test_met_in_time_stays_met_after_reopen_and_late_reason_not_asked(
    tenant_a, dispatcher_a, office
):
    order = create_order(tenant_a, dispatcher_a)
    for code in ("scheduled", "travel", "work", "done"):
        move(tenant_a, dispatcher_a, order, code)
    row = OrderClock.objects.get(tenant=tenant_a, order=order)
    assert row.status == ClockStatus.MET
    decided = row.decided_at
    assert row.late_reason == ""
    # A travelled clock recomputed much later does not flip.
    assert recompute(tenant_a, row, now=timezone.now() + datetime.timedelta(days=30)) is None
    row.refresh_from_db()
    assert (row.status, row.decided_at) == (ClockStatus.MET, decided)


def test_cancelling_the_order_cancels_the_clock_and_revoking_reopens_it(
    tenant_a, dispatcher_a, manager_a, office
):
    order = create_order(tenant_a, dispatcher_a)
    orders.order_cancel(
        tenant=tenant_a,
        by=manager_a,
        order_id=order.pk,
        reason_code_id=_reason(tenant_a, "cancelled"),
    )
    row = OrderClock.objects.get(tenant=tenant_a, order=order)
    assert row.status == ClockStatus.CANCELLED
    orders.order_revoke_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk)
    row.refresh_from_db()
    assert row.decided_at is None
    assert row.status != ClockStatus.CANCELLED


def test_manual_stop_start_cancel_with_reason(tenant_a, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)

    def act(action, reason="Customer asked to wait"):
        return sla_clock.clock_manual(
            tenant=tenant_a, order_id=order.pk, by=dispatcher_a, action=action, reason=reason
        )

    with pytest.raises(ValidationError) as no_reason:
        act("stop", reason="  ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(sla_clock.ClockActionRefused):
        act("start")
    stopped = act("stop")
    assert stopped.stopped_at is not None and stopped.paused_since is not None
    assert stopped.next_escalation_at is None
    with pytest.raises(sla_clock.ClockActionRefused, match="not running"):
        act("stop")
    started = act("start")
    assert started.stopped_at is None
    cancelled = act("cancel")
    assert cancelled.status == ClockStatus.CANCELLED
    with pytest.raises(sla_clock.ClockActionRefused):
        act("stop")
    assert ClockEvent.objects.filter(tenant=tenant_a, clock=cancelled).count() == 3


def test_another_tenants_order_has_no_clock_to_act_on(tenant_a, tenant_b, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)
    with pytest.raises(OrderClock.DoesNotExist):
        sla_clock.clock_manual(
            tenant=tenant_b, order_id=order.pk, by=dispatcher_a, action="stop", reason="x"
        )


def test_sla_edit_recomputes_open_clocks(tenant_a, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)
    row = travel(tenant_a, order, at(2026, 12, 7, 8))
    row = recompute(tenant_a, row, now=at(2026, 12, 7, 9))
    assert row.resolution_due == at(2026, 12, 7, 17)
    office.targets.filter(priority="normal").update(resolution_minutes=4 * 60)
    assert sla_clock.clocks_recompute(tenant=tenant_a, sla_id=office.pk) == (1, 0)
    row.refresh_from_db()
    assert row.resolution_due == at(2026, 12, 7, 12)


def test_generated_orders_get_a_clock_only_if_the_tenant_wants(tenant_a, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)
    OrderClock.objects.filter(order=order).delete()
    type(order).objects.filter(pk=order.pk).update(origin=Origin.AGREEMENT)
    order.refresh_from_db()
    SlaSettings.objects.filter(tenant=tenant_a).update(clock_on_generated=False)
    assert sla_clock.clocks_start_generated(tenant=tenant_a, order_ids=[order.pk]) == 0
    SlaSettings.objects.filter(tenant=tenant_a).update(clock_on_generated=True)
    assert sla_clock.clocks_start_generated(tenant=tenant_a, order_ids=[order.pk]) == 1
    assert sla_clock.clocks_start_generated(tenant=tenant_a, order_ids=[order.pk]) == 1


def test_clocks_due_selects_by_next_escalation_and_tenant(tenant_a, tenant_b, dispatcher_a, office):
    order = create_order(tenant_a, dispatcher_a)
    row = OrderClock.objects.get(order=order)
    due = selectors.clocks_due(tenant=tenant_a, now=row.next_escalation_at, limit=10)
    assert [c.pk for c in due] == [row.pk]
    assert selectors.clocks_due(tenant=tenant_b, now=row.next_escalation_at, limit=10) == []
    early = row.next_escalation_at - datetime.timedelta(seconds=1)
    assert selectors.clocks_due(tenant=tenant_a, now=early, limit=10) == []


def test_sla_edit_schedules_a_recompute_and_the_job_recomputes(
    tenant_a, dispatcher_a, manager_a, office, django_capture_on_commit_callbacks
):
    from service_orders.tasks import recompute_sla_clocks
    from sla import services as sla_services

    order = create_order(tenant_a, dispatcher_a)
    row = travel(tenant_a, order, at(2026, 12, 7, 8))
    recompute(tenant_a, row, now=at(2026, 12, 7, 9))
    with django_capture_on_commit_callbacks() as callbacks:
        sla_services.sla_update(
            tenant=tenant_a, by=manager_a, sla_id=office.pk, data={"warning_percent": 50}
        )
    assert callbacks, "the edit tells the clocks after its commit"
    result = recompute_sla_clocks.apply(kwargs={"tenant_id": tenant_a.pk, "sla_id": office.pk})
    assert result.get() == {"recomputed": 1, "failed": 0}
    row.refresh_from_db()
    assert row.warning_percent == 50


def test_warning_threshold_over_100_is_refused(tenant_a, manager_a, office):
    from sla import services as sla_services

    with pytest.raises(ValidationError) as refused:
        sla_services.sla_update(
            tenant=tenant_a, by=manager_a, sla_id=office.pk, data={"warning_percent": 120}
        )
    assert "warning_percent" in refused.value.message_dict


def test_order_list_shows_filters_and_sorts_by_sla(client_for, tenant_a, dispatcher_a, office):
    from django.urls import reverse

    with_clock = create_order(tenant_a, dispatcher_a)
    breached = create_order(tenant_a, dispatcher_a)
    row = travel(tenant_a, breached, timezone.now() - datetime.timedelta(days=30))
    recompute(tenant_a, row, now=timezone.now())
    OrderClock.objects.filter(order=with_clock).update(status=ClockStatus.ON_TRACK)
    client = client_for(dispatcher_a)
    url = reverse("service_orders:order_list")
    response = client.get(url, {"sla_status": "breached"})
    assert [o.pk for o in response.context["rows"]] == [breached.pk]
    assert 'data-testid="sla-breached"' in response.content.decode()
    response = client.get(url, {"sort": "sla"})
    assert [o.pk for o in response.context["rows"]][:2] == [breached.pk, with_clock.pk]
    order = client.get(reverse("service_orders:order_detail", args=[breached.pk]))
    assert order.context["sla_summary"].status == ClockStatus.BREACHED
    assert 'data-testid="sla-clock"' in order.content.decode()
