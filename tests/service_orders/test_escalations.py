"""The SLA escalation sweep: due clocks only, each order and level exactly once (also under two
real Celery workers), the next level's moment in working time, catch-up after downtime,
per-clock failure isolation, notifications to the level's people of the same tenant only, and
``manage.py sla_sweep``."""

import datetime
import io
import os

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from service_orders.models import Escalation, EscalationFailure, OrderClock, Priority, SlaSource
from service_orders.services.escalations import sweep
from sla import clock as sla_clock
from sla.models import BusinessCalendar, EscalationLevel, EscalationRole
from sla.selectors import clock_calendar
from tenancy.context import tenant_scope
from tenancy.roles import Role
from tests.factories import CustomerFactory, ServiceLevelAgreementFactory, ServiceOrderFactory
from web.models import Notification

TARGET = datetime.timedelta(hours=8)


def sla_with_levels(tenant, *levels):
    sla = ServiceLevelAgreementFactory(tenant=tenant)
    for percent, whom in levels:
        EscalationLevel.objects.create(
            tenant=tenant,
            sla=sla,
            percent=percent,
            role=whom if isinstance(whom, str) else "",
            user=None if isinstance(whom, str) else whom,
        )
    return sla


def make_clock(tenant, sla, *, next_at, percent, calendar=None, customer=None) -> OrderClock:
    order = ServiceOrderFactory(customer=customer or CustomerFactory(tenant=tenant))
    started = next_at - TARGET
    return OrderClock.objects.create(
        tenant=tenant,
        order=order,
        sla=sla,
        sla_source=SlaSource.ORDER,
        calendar=calendar,
        priority=Priority.NORMAL,
        resolution_target=TARGET,
        resolution_due=next_at + TARGET,
        warning_percent=75,
        created_at=started,
        started_at=started,
        used_as_of=started,
        next_escalation_at=next_at,
        next_escalation_percent=percent,
    )


def run_sweep(tenant, now=None) -> int:
    with tenant_scope(tenant):
        return sweep(tenant=tenant, now=now)


@pytest.mark.django_db
def test_a_due_level_is_escalated_once_to_its_role_and_the_clock_moves_on(
    tenant_a, tenant_b, make_member, django_capture_on_commit_callbacks
):
    dispatchers = [make_member(tenant_a, Role.DISPATCHER) for _ in range(2)]
    manager = make_member(tenant_a, Role.SERVICE_MANAGER)
    make_member(tenant_b, Role.DISPATCHER)  # another tenant's dispatcher: never told
    sla = sla_with_levels(
        tenant_a, (75, EscalationRole.DISPATCHER), (100, EscalationRole.SERVICE_MANAGER)
    )
    now = timezone.now()
    reached = now - datetime.timedelta(minutes=3)
    clock = make_clock(tenant_a, sla, next_at=reached, percent=75)
    waiting = make_clock(tenant_a, sla, next_at=now + datetime.timedelta(hours=1), percent=75)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_sweep(tenant_a, now) == 1
    assert run_sweep(tenant_a, now) == 0

    escalation = Escalation.objects.get()
    assert (escalation.order_id, escalation.percent, escalation.notified) == (
        clock.order_id,
        75,
        2,
    )
    assert escalation.reached_at == reached
    told = Notification.objects.filter(key=f"sla-escalation:{clock.order_id}:75")
    assert sorted(n.recipient_id for n in told) == sorted(u.pk for u in dispatchers)
    assert clock.order.number in told[0].title
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in dispatchers)
    assert not Notification.objects.filter(recipient=manager).exists()

    clock.refresh_from_db()
    with tenant_scope(tenant_a):
        calendar = clock_calendar(tenant=tenant_a, calendar=None)
    expected = sla_clock.add_working_time(
        calendar,
        reached,
        sla_clock.fraction_of(TARGET, 100) - sla_clock.fraction_of(TARGET, 75),
    )
    assert (clock.next_escalation_percent, clock.next_escalation_at) == (100, expected)
    waiting.refresh_from_db()
    assert waiting.next_escalation_percent == 75  # not due: untouched


@pytest.mark.django_db
def test_levels_missed_during_downtime_are_all_escalated_by_the_next_sweep(tenant_a, make_member):
    make_member(tenant_a, Role.DISPATCHER)
    named = make_member(tenant_a, Role.TECHNICIAN)
    sla = sla_with_levels(
        tenant_a,
        (50, EscalationRole.DISPATCHER),
        (100, EscalationRole.SERVICE_MANAGER),
        (150, named),
    )
    long_ago = timezone.now() - datetime.timedelta(days=30)
    clock = make_clock(tenant_a, sla, next_at=long_ago, percent=50)

    assert run_sweep(tenant_a) == 3

    assert sorted(Escalation.objects.values_list("percent", flat=True)) == [50, 100, 150]
    assert Notification.objects.filter(recipient=named).count() == 1
    clock.refresh_from_db()
    assert clock.next_escalation_at is None and clock.next_escalation_percent is None


@pytest.mark.django_db
def test_an_escalation_recorded_before_notifies_nobody_again(tenant_a, make_member):
    make_member(tenant_a, Role.DISPATCHER)
    sla = sla_with_levels(tenant_a, (75, EscalationRole.DISPATCHER))
    now = timezone.now()
    clock = make_clock(tenant_a, sla, next_at=now, percent=75)
    Escalation.objects.create(
        tenant=tenant_a,
        clock=clock,
        order=clock.order,
        percent=75,
        reached_at=now,
        escalated_at=now,
    )

    assert run_sweep(tenant_a, now) == 0

    assert not Notification.objects.exists()
    clock.refresh_from_db()
    assert clock.next_escalation_at is None  # no level after 75 %


@pytest.mark.django_db
def test_a_failing_clock_is_recorded_and_the_others_are_escalated(tenant_a, make_member):
    make_member(tenant_a, Role.DISPATCHER)
    sla = sla_with_levels(
        tenant_a, (75, EscalationRole.DISPATCHER), (100, EscalationRole.DISPATCHER)
    )
    never_open = BusinessCalendar.objects.create(
        tenant=tenant_a, name="Closed", working_days=[], is_default=False
    )
    now = timezone.now()
    broken = make_clock(tenant_a, sla, next_at=now, percent=75, calendar=never_open)
    fine = make_clock(tenant_a, sla, next_at=now, percent=75)

    assert run_sweep(tenant_a, now) == 1

    assert list(Escalation.objects.values_list("order_id", flat=True)) == [fine.order_id]
    failure = EscalationFailure.objects.get()
    assert (failure.clock_id, failure.percent) == (broken.pk, 75)
    assert "CalendarNeverOpen" in failure.error
    broken.refresh_from_db()
    assert broken.next_escalation_at == now  # still due: the next sweep tries again
    assert not Notification.objects.filter(key__contains=f":{broken.order_id}:").exists()


@pytest.mark.django_db
def test_a_sweep_sees_only_its_tenant(tenant_a, tenant_b, make_member):
    make_member(tenant_b, Role.DISPATCHER)
    sla_b = sla_with_levels(tenant_b, (75, EscalationRole.DISPATCHER))
    theirs = make_clock(tenant_b, sla_b, next_at=timezone.now(), percent=75)

    assert run_sweep(tenant_a) == 0

    theirs.refresh_from_db()
    assert theirs.next_escalation_percent == 75
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_a_sweep_runs_a_constant_number_of_queries_per_batch(
    tenant_a, make_member, django_assert_max_num_queries
):
    make_member(tenant_a, Role.DISPATCHER)
    sla = sla_with_levels(tenant_a, (75, EscalationRole.DISPATCHER))
    now = timezone.now()
    for _ in range(30):  # not due: never read
        make_clock(tenant_a, sla, next_at=now + datetime.timedelta(days=1), percent=75)
    make_clock(tenant_a, sla, next_at=now, percent=75)
    with django_assert_max_num_queries(40) as one:
        assert run_sweep(tenant_a, now) == 1
    for _ in range(10):
        make_clock(tenant_a, sla, next_at=now, percent=75)
    # A batch is a fixed set of statements (escalations, notifications, clocks' update) however
    # many clocks it holds.
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert run_sweep(tenant_a, now) == 10


@pytest.mark.django_db
def test_command_prints_escalated_then_zero(tenant_a, make_member):
    make_member(tenant_a, Role.DISPATCHER)
    sla = sla_with_levels(tenant_a, (75, EscalationRole.DISPATCHER))
    for _ in range(3):
        make_clock(
            tenant_a, sla, next_at=timezone.now() - datetime.timedelta(minutes=1), percent=75
        )

    first, again = io.StringIO(), io.StringIO()
    call_command("sla_sweep", tenant=tenant_a.slug, stdout=first)
    call_command("sla_sweep", tenant=tenant_a.slug, stdout=again)

    assert first.getvalue().strip().splitlines()[-1] == "escalated=3"
    assert again.getvalue().strip().splitlines()[-1] == "escalated=0"


# --- Two real Celery workers on Redis ------------------------------------------------------------


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_one_tenant_escalate_each_order_and_level_once(
    tenant_a, make_member, escalation_workers
):
    from service_orders.tasks import sla_sweep

    people = [make_member(tenant_a, Role.DISPATCHER) for _ in range(2)]
    sla = sla_with_levels(
        tenant_a, (75, EscalationRole.DISPATCHER), (100, EscalationRole.DISPATCHER)
    )
    due = timezone.now() - datetime.timedelta(minutes=1)
    customer = CustomerFactory(tenant=tenant_a)
    clocks = [
        make_clock(tenant_a, sla, next_at=due, percent=75, customer=customer) for _ in range(300)
    ]

    runs = [sla_sweep.apply_async(kwargs={"tenant_id": tenant_a.pk}) for _ in range(4)]
    results = [run.get(timeout=180) for run in runs]

    assert sum(results) == len(clocks)
    assert Escalation.objects.count() == len(clocks)
    assert Escalation.objects.filter(notified=len(people)).count() == len(clocks)
    assert Notification.objects.count() == len(clocks) * len(people)
    assert Notification.objects.values("recipient", "key").distinct().count() == len(clocks) * len(
        people
    )


@pytest.fixture
def escalation_workers():
    from tests.service_orders.test_generation_celery import (
        _start_worker_process,
        _wait_until_answering,
    )

    names = [f"escalation-{os.getpid()}-{n}" for n in (1, 2)]
    workers = [_start_worker_process(name) for name in names]
    try:
        _wait_until_answering(names)
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)


@pytest.mark.django_db
def test_a_batch_the_database_refuses_is_redone_clock_by_clock(
    tenant_a, make_member, django_capture_on_commit_callbacks
):
    """A write the database refuses for one clock (here a trigger standing for any constraint)
    rolls the batch back to its savepoint; the clocks are then escalated one by one, the bad one
    recorded as a failure and left due, the others escalated and notified once."""
    from django.db import connection

    make_member(tenant_a, Role.DISPATCHER)
    sla = sla_with_levels(tenant_a, (75, EscalationRole.DISPATCHER))
    now = timezone.now()
    clocks = [make_clock(tenant_a, sla, next_at=now, percent=75) for _ in range(3)]
    bad = clocks[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION refuse_one() RETURNS trigger AS $$
            BEGIN
                IF NEW.order_id = {bad.order_id} THEN
                    RAISE EXCEPTION 'refused for the test';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_one BEFORE INSERT ON service_orders_escalation
                FOR EACH ROW EXECUTE FUNCTION refuse_one();
            """
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert run_sweep(tenant_a, now) == 2

    assert sorted(Escalation.objects.values_list("order_id", flat=True)) == sorted(
        c.order_id for c in clocks if c != bad
    )
    failure = EscalationFailure.objects.get()
    assert (failure.clock_id, failure.percent) == (bad.pk, 75)
    assert "refused for the test" in failure.error
    bad.refresh_from_db()
    assert bad.next_escalation_at == now
    assert Notification.objects.count() == 2
    # The mails of the rolled-back first attempt went with it: one per escalation made.
    assert len(mail.outbox) == 2
