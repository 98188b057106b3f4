"""Generation after things went wrong: a run that crashed half way, days the job did not run,
agreements that failed before. Every missed occurrence is created, nothing twice."""

import datetime

import pytest
import time_machine
from django.db import OperationalError

from agreements.models import Agreement, AgreementLine, AgreementState
from service_orders.models import (
    GenerationError,
    GenerationRun,
    GenerationTrigger,
    OrderGenerationSettings,
    ServiceOrder,
    ServiceOrderLine,
)
from service_orders.services import generation
from service_orders.services.generation import catch_up_period, generation_run
from service_orders.tasks import generate_orders_for_tenant
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    CustomerFactory,
    GenerationErrorFactory,
    GenerationRunFactory,
)

d = datetime.date


def active_agreement(tenant, **fields):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=tenant), **fields)
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    return Agreement.objects.get(pk=agreement.pk)


def at(moment: str):
    """Travel to a moment in UTC, the clock standing still."""
    return time_machine.travel(datetime.datetime.fromisoformat(moment + "+00:00"), tick=False)


def mondays(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days = []
    while first <= last:
        days.append(first)
        first += datetime.timedelta(days=7)
    return days


def order_dates(agreement) -> list[datetime.date]:
    return list(
        ServiceOrder.objects.filter(agreement=agreement)
        .order_by("calculated_date")
        .values_list("calculated_date", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_a_run_that_crashed_after_its_first_chunk_is_completed_by_the_retry(tenant_a, monkeypatch):
    agreements = [active_agreement(tenant_a, start_date=d(2026, 3, 30)) for _ in range(5)]
    for agreement in agreements:
        AgreementLineFactory(agreement=agreement, interval_unit="week")
    monkeypatch.setattr(generation, "CHUNK_SIZE", 2)
    load = generation._load_agreements
    loads = []

    def connection_lost_on_the_second_chunk(context, agreement_ids):
        loads.append(agreement_ids)
        if len(loads) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return load(context, agreement_ids)

    monkeypatch.setattr(generation, "_load_agreements", connection_lost_on_the_second_chunk)
    period = {"period_start": d(2026, 4, 1), "period_end": d(2026, 4, 30)}

    with pytest.raises(OperationalError):
        generation_run(tenant=tenant_a, trigger=GenerationTrigger.SCHEDULE, **period)

    # The first chunk (two agreements × four Mondays) was committed; the run never finished.
    assert ServiceOrder.objects.count() == 8
    crashed = GenerationRun.objects.get()
    assert (crashed.finished_at, crashed.orders_created) == (None, 8)

    monkeypatch.setattr(generation, "_load_agreements", load)
    retry = generation_run(tenant=tenant_a, trigger=GenerationTrigger.SCHEDULE, **period)

    assert (retry.orders_created, retry.occurrences_skipped) == (12, 8)
    for agreement in agreements:
        assert order_dates(agreement) == mondays(d(2026, 4, 6), d(2026, 4, 27))
    assert ServiceOrderLine.objects.count() == 20
    numbers = ServiceOrder.objects.values_list("number", flat=True)
    assert len(set(numbers)) == 20


@pytest.mark.django_db(transaction=True)
def test_a_crashed_run_says_why_and_processing_it_again_completes_it(tenant_a, monkeypatch):
    """What a redelivered button task does: the same run, processed again, creates only what
    is missing and finishes."""
    agreements = [active_agreement(tenant_a, start_date=d(2026, 3, 30)) for _ in range(3)]
    for agreement in agreements:
        AgreementLineFactory(agreement=agreement, interval_unit="week")
    monkeypatch.setattr(generation, "CHUNK_SIZE", 2)
    load = generation._load_agreements

    def connection_lost_on_the_second_chunk(context, agreement_ids):
        if agreement_ids == [agreements[2].pk]:
            raise OperationalError("server closed the connection unexpectedly")
        return load(context, agreement_ids)

    monkeypatch.setattr(generation, "_load_agreements", connection_lost_on_the_second_chunk)
    run = generation.generation_run_create(
        tenant=tenant_a,
        period_start=d(2026, 4, 1),
        period_end=d(2026, 4, 30),
        trigger=GenerationTrigger.MANUAL,
    )

    with pytest.raises(OperationalError):
        generation.generation_run_process(tenant=tenant_a, run_id=run.pk)

    run.refresh_from_db()
    assert run.failure == "server closed the connection unexpectedly"
    assert (run.finished_at, run.orders_created, run.agreements_processed) == (None, 8, 2)
    assert run.status(run.picked_up_at) == "failed"

    monkeypatch.setattr(generation, "_load_agreements", load)
    again = generation.generation_run_process(tenant=tenant_a, run_id=run.pk)

    assert again.pk == run.pk and again.finished_at is not None and again.failure == ""
    assert (again.orders_created, again.lines_created) == (12, 12)  # 8 before, 4 now
    assert ServiceOrder.objects.count() == 12
    assert set(ServiceOrder.objects.values_list("generation_run", flat=True)) == {run.pk}
    assert GenerationRun.objects.get().status(again.finished_at) == "finished"
    # Once finished, processing it again changes nothing.
    assert generation.generation_run_process(tenant=tenant_a, run_id=run.pk).orders_created == 12
    assert ServiceOrder.objects.count() == 12


@pytest.mark.django_db
def test_the_daily_job_after_40_days_of_downtime_creates_every_missed_occurrence(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 5))  # Mondays
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    with at("2026-03-01T05:00"):
        first = generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    assert (first["period_start"], first["period_end"]) == ("2026-03-01", "2026-03-31")

    # Nothing ran for 40 days. The last run had looked ahead to 31 March.
    with at("2026-04-10T05:00"):
        second = generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()

    assert (second["period_start"], second["period_end"]) == ("2026-04-01", "2026-05-10")
    # 6 April lay in the past when the job ran again; it is created all the same.
    assert order_dates(agreement) == mondays(d(2026, 3, 2), d(2026, 5, 4))
    assert (second["orders_created"], second["occurrences_skipped"]) == (5, 0)


@pytest.mark.django_db
def test_the_daily_job_looks_ahead_from_today_in_the_tenants_zone(tenant_a, tenant_b):
    OrderGenerationSettings.objects.create(tenant=tenant_b, horizon_days=10)
    # 23:30 UTC on 31 May is already 1 June in Warsaw, still 31 May in São Paulo.
    with at("2026-05-31T23:30"):
        assert catch_up_period(tenant=tenant_a) == (d(2026, 6, 1), d(2026, 7, 1))
        assert catch_up_period(tenant=tenant_b) == (d(2026, 5, 31), d(2026, 6, 10))


@pytest.mark.django_db
def test_catch_up_ignores_unfinished_runs_and_runs_of_other_triggers(tenant_a):
    GenerationRunFactory(
        tenant=tenant_a,
        trigger=GenerationTrigger.SCHEDULE,
        period_start=d(2026, 3, 1),
        period_end=d(2026, 3, 31),
        finished_at=datetime.datetime(2026, 3, 1, 5, tzinfo=datetime.UTC),
    )
    GenerationRunFactory(  # crashed
        tenant=tenant_a,
        trigger=GenerationTrigger.SCHEDULE,
        period_start=d(2026, 3, 15),
        period_end=d(2026, 4, 14),
    )
    GenerationRunFactory(
        tenant=tenant_a,
        trigger=GenerationTrigger.MANUAL,
        period_start=d(2026, 4, 1),
        period_end=d(2026, 4, 30),
        finished_at=datetime.datetime(2026, 3, 20, 5, tzinfo=datetime.UTC),
    )

    assert catch_up_period(tenant=tenant_a, today=d(2026, 4, 20)) == (
        d(2026, 4, 1),
        d(2026, 5, 20),
    )


@pytest.mark.django_db
def test_the_daily_job_retries_the_period_of_an_unresolved_error(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 3, 2))  # Mondays
    line = AgreementLineFactory(agreement=agreement, interval_unit="week")
    AgreementLine.objects.filter(pk=line.pk).update(excluded_months=[13])
    with at("2026-03-01T05:00"):
        generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    assert order_dates(agreement) == []
    AgreementLine.objects.filter(pk=line.pk).update(excluded_months=[])

    with at("2026-04-10T05:00"):
        result = generate_orders_for_tenant.apply(kwargs={"tenant_id": tenant_a.pk}).get()

    assert result["period_start"] == "2026-03-01"
    assert order_dates(agreement) == mondays(d(2026, 3, 2), d(2026, 5, 4))
    assert GenerationError.objects.get(agreement=agreement).resolved_at is not None


@pytest.mark.django_db
def test_errors_of_agreements_no_longer_active_do_not_hold_the_job_back(tenant_a):
    cancelled = active_agreement(tenant_a)
    Agreement.objects.filter(pk=cancelled.pk).update(state=AgreementState.CANCELLED)
    GenerationErrorFactory(
        run=GenerationRunFactory(tenant=tenant_a), agreement=cancelled, period_start=d(2025, 1, 1)
    )

    assert catch_up_period(tenant=tenant_a, today=d(2026, 4, 20))[0] == d(2026, 4, 20)


@pytest.mark.django_db
def test_catch_up_never_reaches_back_further_than_one_run_may_cover(tenant_a):
    agreement = active_agreement(tenant_a)
    GenerationErrorFactory(
        run=GenerationRunFactory(tenant=tenant_a), agreement=agreement, period_start=d(2020, 1, 1)
    )

    start, end = catch_up_period(tenant=tenant_a, today=d(2026, 4, 20))

    assert (start, end) == (d(2024, 5, 20), d(2026, 5, 20))
    assert (end - start).days == 730  # 731 days, both ends included
    generation_run(
        tenant=tenant_a, period_start=start, period_end=end, trigger=GenerationTrigger.SCHEDULE
    )
