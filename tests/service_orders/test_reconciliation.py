"""Reconciliation of generated orders with agreement changes (customers.coverage, issue 14):
each change cancels the open generated future work it no longer covers, in the change's
transaction, with a recorded reason; started work is never touched; resuming restores what the
suspension cancelled, and with back-fill creates what the suspension missed."""

import datetime

import pytest
import time_machine
from django.db.models import Q

from agreements import services as agreement_services
from agreements.models import Agreement, AgreementState, AgreementSuspension, IntervalUnit
from customers import services as customer_services
from customers.coverage import coverage_preview
from service_orders.models import (
    CoverageCancellation,
    GenerationTrigger,
    LineStatus,
    OrderStage,
    OrderState,
    ServiceOrder,
    ServiceOrderLine,
    StageLog,
    StageLogKind,
)
from service_orders.services.generation import generation_run
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    CustomerFactory,
    ServiceOrderLineFactory,
)

pytestmark = pytest.mark.django_db

d = datetime.date
END_OF_JUNE = datetime.date(2026, 6, 30)
FIRST_MONDAY = datetime.date(2026, 5, 4)
TODAY = d(2026, 5, 10)  # a Sunday
NOON = datetime.datetime(2026, 5, 10, 10, 0, tzinfo=datetime.UTC)


def at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=datetime.UTC), tick=False
    )


def generate(tenant, start, end, **kwargs):
    return generation_run(
        tenant=tenant,
        period_start=start,
        period_end=end,
        trigger=GenerationTrigger.MANUAL,
        **kwargs,
    )


class Setup:
    """An active agreement with two objects: a weekly line on the first (Mondays from 4 May)
    and a monthly line on the second (the 18th, from 18 May), one order per date; orders
    generated from 1 May to ``until``; the order of 25 May already started."""

    def __init__(self, tenant, until=END_OF_JUNE):
        self.tenant = tenant
        customer = CustomerFactory(tenant=tenant)
        self.agreement = AgreementFactory(
            customer=customer, start_date=d(2026, 1, 1), state=AgreementState.ACTIVE
        )
        self.weekly_object = AgreementObjectFactory(agreement=self.agreement).service_object
        self.monthly_object = AgreementObjectFactory(agreement=self.agreement).service_object
        self.weekly = AgreementLineFactory(
            agreement=self.agreement,
            service_object=self.weekly_object,
            interval_unit=IntervalUnit.WEEK,
            start_date=d(2026, 5, 4),
            description="Weekly check",
        )
        self.monthly = AgreementLineFactory(
            agreement=self.agreement,
            service_object=self.monthly_object,
            interval_unit=IntervalUnit.MONTH,
            start_date=d(2026, 5, 18),
            description="Monthly service",
        )
        generate(tenant, d(2026, 5, 1), until, agreement_ids=[self.agreement.pk])
        self.started = None
        if until >= d(2026, 5, 25):
            self.started = self.order_on(d(2026, 5, 25))
            work = OrderStage.objects.get(tenant=tenant, code="work")
            ServiceOrder.objects.filter(pk=self.started.pk).update(
                state=OrderState.IN_PROGRESS, stage=work
            )

    def order_on(self, day) -> ServiceOrder:
        return ServiceOrder.objects.get(agreement=self.agreement, calculated_date=day)

    def orders(self):
        return ServiceOrder.objects.filter(agreement=self.agreement).order_by("calculated_date")

    def states(self) -> dict[datetime.date, str]:
        return {order.calculated_date: order.state for order in self.orders()}

    def line_states(self, line) -> dict[datetime.date, str]:
        return dict(
            ServiceOrderLine.objects.filter(agreement_line=line).values_list(
                "calculated_date", "status"
            )
        )

    def agreement_now(self) -> Agreement:
        return Agreement.objects.get(pk=self.agreement.pk)


def _open_future(states, today, started):
    """The dates reconciliation may cancel: from today, not started."""
    return {day for day, state in states.items() if day >= today and day != started}


# --- Each change, table-driven ----------------------------------------------------------------


def _suspend(s, by):
    agreement_services.agreement_suspend(
        tenant=s.tenant, agreement_id=s.agreement.pk, by=by, reason="Plant closed"
    )


def _cancel(s, by):
    agreement_services.agreement_cancel(
        tenant=s.tenant, agreement_id=s.agreement.pk, by=by, reason="Contract terminated"
    )


def _expire(s, by):
    agreement_services.agreement_expire(tenant=s.tenant, agreement_id=s.agreement.pk, by=by)


def _customer_off(s, by):
    customer_services.customer_update(
        tenant=s.tenant, by=by, customer_id=s.agreement.customer_id, data={"is_active": False}
    )


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        (_suspend, "agreement_suspended"),
        (_cancel, "agreement_cancelled"),
        (_expire, "agreement_expired"),
        (_customer_off, "customer_deactivated"),
    ],
    ids=["suspend", "cancel", "expire", "deactivate-customer"],
)
def test_a_change_ending_all_coverage_cancels_every_open_future_order(
    tenant_a, manager_a, change, cause
):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    with at(TODAY):
        change(s, manager_a)
    after = s.states()
    for day, state in after.items():
        if day < TODAY or day == s.started.calculated_date:
            assert state == before[day], day  # past and started work untouched
        else:
            assert state == OrderState.CANCELLED, day
    cancelled = _open_future(before, TODAY, s.started.calculated_date)
    assert cancelled  # the case has something to cancel
    records = CoverageCancellation.objects.filter(agreement=s.agreement)
    assert {r.calculated_date for r in records} == cancelled
    assert {r.cause for r in records} == {cause}
    assert all(r.whole_order for r in records)
    # The reason is recorded on each order, with the reason code for it.
    logs = StageLog.objects.filter(
        order__agreement=s.agreement, kind=StageLogKind.CANCEL
    ).select_related("reason_code")
    assert logs.count() == len({r.order_id for r in records})
    assert {log.reason_code.code for log in logs} == {"agreement"}
    # … and the words of the change: the agreement's number, or the customer's name.
    named = s.agreement.customer.name if cause == "customer_deactivated" else s.agreement.number
    assert all(named in log.reason_text for log in logs)


def _line_stop(s, by):
    agreement_services.agreement_line_set_stopped(
        tenant=s.tenant, by=by, line_id=s.weekly.pk, stopped=True
    )


def _object_off(s, by):
    customer_services.service_object_update(
        tenant=s.tenant, by=by, object_id=s.weekly_object.pk, data={"is_active": False}
    )


def _line_every_other_week(s, by):
    agreement_services.agreement_line_update(
        tenant=s.tenant, by=by, line_id=s.weekly.pk, data={"interval_count": 2}
    )


def _line_ends(s, by):
    agreement_services.agreement_line_update(
        tenant=s.tenant, by=by, line_id=s.weekly.pk, data={"end_date": d(2026, 5, 31)}
    )


def _line_skips_june(s, by):
    agreement_services.agreement_line_update(
        tenant=s.tenant, by=by, line_id=s.weekly.pk, data={"excluded_months": [6]}
    )


def _weekly_dates(start, end, every=1, anchor=FIRST_MONDAY, skip_months=()):
    day, found = anchor, set()
    while day <= end:
        if day >= start and day.month not in skip_months:
            found.add(day)
        day += datetime.timedelta(weeks=every)
    return found


@pytest.mark.parametrize(
    ("change", "cause", "still_covered"),
    [
        (_line_stop, "line_stopped", lambda start, end: set()),
        (_object_off, "object_deactivated", lambda start, end: set()),
        (
            _line_every_other_week,
            "line_changed",
            lambda start, end: _weekly_dates(start, end, every=2),
        ),
        (_line_ends, "line_changed", lambda start, end: _weekly_dates(start, d(2026, 5, 31))),
        (
            _line_skips_june,
            "line_changed",
            lambda start, end: _weekly_dates(start, end, skip_months=(6,)),
        ),
    ],
    ids=["stop-line", "deactivate-object", "interval", "end-date", "excluded-month"],
)
def test_a_line_change_cancels_only_the_lines_it_no_longer_covers(
    tenant_a, manager_a, change, cause, still_covered
):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.line_states(s.weekly)
    monthly_before = s.line_states(s.monthly)
    with at(TODAY):
        change(s, manager_a)
    after = s.line_states(s.weekly)
    keep = still_covered(TODAY, d(2026, 6, 30))
    started = s.started.calculated_date
    expected_cancelled = {
        day for day in before if day >= TODAY and day != started and day not in keep
    }
    assert expected_cancelled
    for day, status in after.items():
        if day in expected_cancelled:
            # Cancelled: alone, or with its order when nothing else was left on it.
            order = ServiceOrder.objects.get(lines__agreement_line=s.weekly, calculated_date=day)
            assert status == LineStatus.CANCELLED or order.state == OrderState.CANCELLED, day
        else:
            assert status == before[day], day
    # The monthly line's visits stay, in orders that are still open.
    assert s.line_states(s.monthly) == monthly_before
    for day in monthly_before:
        assert s.order_on(day).state in (OrderState.NEW, OrderState.IN_PROGRESS)
    shared = d(2026, 5, 18)  # weekly and monthly on one order: only the weekly line goes
    if shared in expected_cancelled:
        assert after[shared] == LineStatus.CANCELLED
        record = CoverageCancellation.objects.get(calculated_date=shared)
        assert record.whole_order is False and record.cause == cause
    weekly_only = expected_cancelled - set(monthly_before)
    assert {
        order.calculated_date for order in s.orders() if order.state == OrderState.CANCELLED
    } == weekly_only


def test_a_started_order_is_never_cancelled_even_when_nothing_covers_it(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    ServiceOrder.objects.filter(pk=s.order_on(d(2026, 6, 1)).pk).update(state=OrderState.ON_HOLD)
    with at(TODAY):
        _cancel(s, manager_a)
    assert s.order_on(d(2026, 5, 25)).state == OrderState.IN_PROGRESS
    assert s.order_on(d(2026, 6, 1)).state == OrderState.ON_HOLD
    assert set(s.line_states(s.weekly).values()) <= {LineStatus.CREATED}
    assert not CoverageCancellation.objects.filter(
        order__in=[s.order_on(d(2026, 5, 25)), s.order_on(d(2026, 6, 1))]
    ).exists()


def test_a_line_added_by_hand_keeps_its_order(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    june_8 = s.order_on(d(2026, 6, 8))
    extra = ServiceOrderLineFactory(order=june_8, description="Replace the filter")
    with at(TODAY):
        _line_stop(s, manager_a)
    june_8.refresh_from_db()
    extra.refresh_from_db()
    assert june_8.state == OrderState.NEW and extra.status == LineStatus.CREATED
    assert s.line_states(s.weekly)[d(2026, 6, 8)] == LineStatus.CANCELLED


def test_a_refused_change_cancels_nothing(tenant_a, manager_a):
    """One transaction: a change that fails leaves the orders as they were."""
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    with at(TODAY), pytest.raises(agreement_services.TransitionRefused):
        agreement_services.agreement_resume(
            tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a
        )
    assert s.states() == before
    assert not CoverageCancellation.objects.exists()


# --- Schedule edits: old dates cancelled, new ones generated, no duplicate visits ----------------


def test_moving_a_lines_start_replaces_its_visits_without_duplicates(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    with at(TODAY):
        agreement_services.agreement_line_update(
            tenant=tenant_a, by=manager_a, line_id=s.weekly.pk, data={"start_date": d(2026, 5, 6)}
        )
        generate(tenant_a, TODAY, d(2026, 6, 30))  # the next run
    open_days = set(
        ServiceOrderLine.objects.filter(
            agreement_line=s.weekly, status=LineStatus.CREATED, calculated_date__gte=TODAY
        )
        .exclude(order__state=OrderState.CANCELLED)
        .exclude(order=s.started)
        .values_list("calculated_date", flat=True)
    )
    assert open_days == _weekly_dates(TODAY, d(2026, 6, 30), anchor=d(2026, 5, 6))
    # Every week has one open visit of the line, not two (the started one stays as well).
    weeks = [day.isocalendar()[1] for day in open_days]
    assert len(weeks) == len(set(weeks))


def test_changing_the_schedule_back_restores_the_cancelled_visits(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    with at(TODAY):
        _line_every_other_week(s, manager_a)
        agreement_services.agreement_line_update(
            tenant=tenant_a, by=manager_a, line_id=s.weekly.pk, data={"interval_count": 1}
        )
    assert s.states() == before
    assert not CoverageCancellation.objects.filter(restored_at__isnull=True).exists()


def test_restarting_a_stopped_line_restores_its_visits(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before, lines_before = s.states(), s.line_states(s.weekly)
    with at(TODAY):
        _line_stop(s, manager_a)
    with at(d(2026, 5, 12)):
        agreement_services.agreement_line_set_stopped(
            tenant=tenant_a, by=manager_a, line_id=s.weekly.pk, stopped=False
        )
    # What fell between the stop and the restart stays cancelled; the rest is back.
    for day, state in s.states().items():
        expected = OrderState.CANCELLED if TODAY <= day < d(2026, 5, 12) else before[day]
        assert state == expected, day
    for day, status in s.line_states(s.weekly).items():
        if day >= d(2026, 5, 12):
            assert status == lines_before[day], day


# --- Suspend and resume ------------------------------------------------------------------------


def test_resume_restores_the_visits_the_suspension_cancelled(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    with at(TODAY):
        _suspend(s, manager_a)
    resumed = d(2026, 5, 14)
    with at(resumed):
        agreement_services.agreement_resume(
            tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a
        )
    for day, state in s.states().items():
        # The visit of the pause (11 May) stays cancelled; the later ones are back.
        expected = OrderState.CANCELLED if TODAY <= day < resumed else before[day]
        assert state == expected, day
    restored = CoverageCancellation.objects.filter(restored_at__isnull=False)
    assert {r.calculated_date for r in restored} == _open_future(
        before, resumed, s.started.calculated_date
    )
    logs = StageLog.objects.filter(kind=StageLogKind.REVOKE, order__agreement=s.agreement)
    assert logs.count() == len({r.order_id for r in restored})


def test_resume_with_backfill_restores_and_creates_the_missed_visits(tenant_a, manager_a):
    # Generated only up to 20 May before the suspension.
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a, until=d(2026, 5, 20))
    with at(TODAY):
        _suspend(s, manager_a)
    resumed = d(2026, 6, 10)
    with at(resumed):
        agreement_services.agreement_resume(
            tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a, backfill=True
        )
    horizon = resumed + datetime.timedelta(days=30)
    weekly_open = {
        day
        for day, status in s.line_states(s.weekly).items()
        if status == LineStatus.CREATED
        and ServiceOrder.objects.get(lines__agreement_line=s.weekly, calculated_date=day).state
        != OrderState.CANCELLED
    }
    # Every weekly visit from the suspension to the look-ahead exists and is open: the
    # cancelled ones restored (11 and 18 May), the never generated ones created.
    assert weekly_open >= _weekly_dates(TODAY, horizon)
    assert ServiceOrderLine.objects.filter(agreement_line=s.weekly).count() == len(
        _weekly_dates(d(2026, 5, 1), horizon)
    )
    run = s.agreement_now()  # still active
    assert run.state == AgreementState.ACTIVE


def test_resume_without_backfill_creates_only_the_visits_from_today(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a, until=d(2026, 5, 20))
    with at(TODAY):
        _suspend(s, manager_a)
    resumed = d(2026, 6, 10)
    with at(resumed):
        agreement_services.agreement_resume(
            tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a
        )
    days = set(s.line_states(s.weekly))
    horizon = resumed + datetime.timedelta(days=30)
    assert days >= _weekly_dates(resumed, horizon)
    # Nothing inside the pause was created after it.
    assert not days & (_weekly_dates(d(2026, 5, 21), resumed) - {resumed})


def test_a_suspension_with_a_planned_end_cancels_only_until_then(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    resume_on = d(2026, 6, 1)
    with at(TODAY):
        agreement_services.agreement_suspend(
            tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a, resume_on=resume_on
        )
    for day, state in s.states().items():
        inside = TODAY <= day < resume_on and day != s.started.calculated_date
        assert state == (OrderState.CANCELLED if inside else before[day]), day
    # The daily job resumes it on the day (here one day late: active from the planned day).
    with at(d(2026, 6, 2)):
        assert agreement_services.agreements_resume_due(tenant=tenant_a) == 1
        assert agreement_services.agreements_resume_due(tenant=tenant_a) == 0
    assert s.agreement_now().state == AgreementState.ACTIVE
    suspension = AgreementSuspension.objects.get(agreement=s.agreement)
    assert suspension.resumed_on == resume_on
    assert s.states() == {
        day: (OrderState.CANCELLED if TODAY <= day < resume_on and day != d(2026, 5, 25) else st)
        for day, st in before.items()
    }


# --- The preview ---------------------------------------------------------------------------------


def test_the_preview_lists_what_the_change_would_do_and_changes_nothing(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    with at(TODAY):
        preview = coverage_preview(lambda: _suspend(s, manager_a))
    assert s.states() == before
    assert s.agreement_now().state == AgreementState.ACTIVE
    assert not AgreementSuspension.objects.exists()
    (effect,) = preview.effects
    expected = _open_future(before, TODAY, s.started.calculated_date)
    assert effect.cancelled == len(expected)
    assert [r.day for r in effect.cancelled_records] == sorted(expected)[:10]
    numbers = {s.order_on(day).number for day in expected}
    assert {r.label.split(" · ")[0] for r in effect.cancelled_records} <= numbers


def test_another_tenants_orders_are_never_touched(tenant_a, tenant_b, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
        other = Setup(tenant_b)
    before = other.states()
    with at(TODAY):
        _cancel(s, manager_a)
    assert other.states() == before
    assert not CoverageCancellation.objects.filter(~Q(tenant=tenant_a)).exists()


# --- Catch-up: what a run that did not happen missed --------------------------------------------


def test_the_daily_job_does_a_run_that_no_worker_did(tenant_a, manager_a):
    """ "Generate" pressed for a past period while the workers were down: the run stays queued;
    the next daily job processes it, so its past visits are created after all."""
    from service_orders.models import GenerationRun
    from service_orders.services.generation import generation_run_create
    from service_orders.tasks import generate_orders_for_tenant

    with at(d(2026, 5, 1)):
        s = Setup(tenant_a, until=d(2026, 5, 1))
    with at(d(2026, 5, 20)):
        queued = generation_run_create(
            tenant=tenant_a,
            period_start=d(2026, 5, 1),
            period_end=d(2026, 5, 20),
            trigger=GenerationTrigger.MANUAL,
            by=manager_a,
            agreement_ids=[s.agreement.pk],
        )
    with at(d(2026, 5, 21)):
        result = generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    assert result["stranded_runs"] == [queued.pk]
    queued = GenerationRun.objects.get(pk=queued.pk)
    assert queued.finished_at is not None
    past = set(s.line_states(s.weekly))
    assert past >= _weekly_dates(d(2026, 5, 1), d(2026, 5, 20))
    # Done once: the next day's job leaves it alone.
    with at(d(2026, 5, 22)):
        again = generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    assert again["stranded_runs"] == []


def test_a_run_still_in_the_hands_of_a_worker_is_left_to_it(tenant_a, manager_a):
    from service_orders.services.generation import generation_run_create, stranded_run_ids

    with at(d(2026, 5, 20)):
        generation_run_create(
            tenant=tenant_a,
            period_start=d(2026, 5, 1),
            period_end=d(2026, 5, 20),
            trigger=GenerationTrigger.MANUAL,
            by=manager_a,
        )
        assert stranded_run_ids(tenant=tenant_a) == []


def test_the_resume_job_resumes_only_suspensions_whose_day_has_come(tenant_a, manager_a):
    from agreements.tasks import resume_due

    with at(d(2026, 5, 1)):
        due, later = Setup(tenant_a), Setup(tenant_a)
    with at(TODAY):
        for s, day in ((due, d(2026, 5, 20)), (later, d(2026, 6, 20))):
            agreement_services.agreement_suspend(
                tenant=tenant_a, agreement_id=s.agreement.pk, by=manager_a, resume_on=day
            )
    with at(d(2026, 5, 20)):
        assert resume_due.apply(kwargs={"tenant_id": tenant_a.pk}).get() == 1
    assert due.agreement_now().state == AgreementState.ACTIVE
    assert later.agreement_now().state == AgreementState.SUSPENDED


def test_shortening_the_agreement_cancels_the_visits_after_its_new_end(tenant_a, manager_a):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    new_end = d(2026, 5, 31)
    with at(TODAY):
        agreement_services.agreement_update(
            tenant=tenant_a, by=manager_a, agreement_id=s.agreement.pk, data={"end_date": new_end}
        )
    for day, state in s.states().items():
        expected = OrderState.CANCELLED if day > new_end else before[day]
        assert state == expected, day
    assert {r.cause for r in CoverageCancellation.objects.all()} == {"agreement_changed"}
