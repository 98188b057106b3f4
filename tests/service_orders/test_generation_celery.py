"""The generation tasks run by real Celery workers against real Redis and PostgreSQL.

Worker connections carry no row-level-security bypass, exactly like production workers: what a
task sees is decided by the tenant it was given.
"""

import datetime
import os
import subprocess
import sys
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, AgreementLine, AgreementState, CombineRule, IntervalUnit
from config.celery import app as celery_app
from customers.models import Customer
from service_orders.models import GenerationRun, GenerationTrigger, ServiceOrder, ServiceOrderLine
from service_orders.services.generation import generation_run_create
from service_orders.tasks import generate_orders_for_run, generate_orders_for_tenant
from tenancy.roles import Role
from tenancy.tasks import fan_out
from tests.factories import AgreementFactory, AgreementLineFactory, CustomerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery]

QUEUE = settings.CELERY_TASK_DEFAULT_QUEUE


def today_in(tenant) -> datetime.date:
    return tenant.today()


def weekly_agreement(tenant, start: datetime.date) -> Agreement:
    agreement = AgreementFactory(customer=CustomerFactory(tenant=tenant), start_date=start)
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    AgreementLineFactory(agreement=agreement, interval_unit=IntervalUnit.WEEK)
    return agreement


def many_weekly_agreements(tenant, count: int, start: datetime.date) -> None:
    """``count`` active agreements of two weekly lines each, written in bulk."""
    customers = Customer.objects.bulk_create(
        Customer(tenant=tenant, number=f"C-BULK-{n}", name=f"Customer {n}") for n in range(count)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            tenant=tenant,
            number=f"AG-BULK-{n}",
            customer=customer,
            description=f"Maintenance {n}",
            start_date=start,
            currency="PLN",
            combine_rule=CombineRule.PER_AGREEMENT,
        )
        for n, customer in enumerate(customers)
    )
    Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(state=AgreementState.ACTIVE)
    AgreementLine.objects.bulk_create(
        AgreementLine(
            tenant=tenant,
            agreement=agreement,
            position=position,
            description=f"Visit {position}",
            interval_unit=IntervalUnit.WEEK,
        )
        for agreement in agreements
        for position in (10, 20)
    )


# --- Two worker processes at once ---------------------------------------------------------------


def _start_worker_process(name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--queues",
            QUEUE,
            "--pool",
            "solo",
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait_until_answering(names: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    answering: set[str] = set()
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=0.5)
        answering = {host.split("@")[0] for reply in replies for host in reply}
        if set(names) <= answering:
            return
    raise AssertionError(f"workers {names} did not start (answering: {sorted(answering)})")


@pytest.fixture
def two_worker_processes():
    names = [f"generation-{os.getpid()}-{n}" for n in (1, 2)]
    workers = [_start_worker_process(name) for name in names]
    try:
        _wait_until_answering(names)
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def test_two_workers_generating_the_same_tenant_at_once_create_each_occurrence_once(
    tenant_a, two_worker_processes
):
    # 600 agreements with two weekly lines each, anchored two weeks ago: inside today .. today
    # + 30 days every line falls due on days 0, 7, 14, 21 and 28 → 5 orders of 2 lines each.
    today = today_in(tenant_a)
    many_weekly_agreements(tenant_a, 600, start=today - datetime.timedelta(days=14))

    first = generate_orders_for_tenant.apply_async(kwargs={"tenant_id": tenant_a.pk})
    second = generate_orders_for_tenant.apply_async(kwargs={"tenant_id": tenant_a.pk})
    results = [first.get(timeout=120), second.get(timeout=120)]

    assert ServiceOrder.objects.count() == 3000
    assert ServiceOrderLine.objects.count() == 6000
    assert sum(r["orders_created"] for r in results) == 3000
    assert sum(r["lines_created"] for r in results) == 6000
    # What one run did not create, it found already there.
    assert [r["lines_created"] + r["occurrences_skipped"] for r in results] == [6000, 6000]
    assert (
        ServiceOrderLine.objects.values("agreement_line", "calculated_date").distinct().count()
        == 6000
    )
    assert ServiceOrder.objects.values("number").distinct().count() == 3000
    # The two runs really overlapped in time (two workers, each running one of them).
    one, other = GenerationRun.objects.order_by("started_at")
    assert one.finished_at is not None and other.finished_at is not None
    assert other.started_at < one.finished_at


# --- A worker thread ----------------------------------------------------------------------------


@pytest.fixture
def worker():
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
        yield


def test_the_task_for_one_tenant_sees_and_generates_only_that_tenant(worker, tenant_a, tenant_b):
    mine = weekly_agreement(tenant_a, start=today_in(tenant_a) - datetime.timedelta(days=7))
    theirs = weekly_agreement(tenant_b, start=today_in(tenant_b) - datetime.timedelta(days=7))

    result = generate_orders_for_tenant.delay(tenant_id=tenant_a.pk).get(timeout=30)

    assert result["orders_created"] == 5
    assert ServiceOrder.objects.filter(agreement=mine).count() == 5
    assert ServiceOrder.objects.filter(agreement=theirs).count() == 0
    assert list(GenerationRun.objects.values_list("tenant_id", "trigger")) == [
        (tenant_a.pk, "schedule")
    ]


def wait_until_finished(run: GenerationRun, timeout: float = 30) -> GenerationRun:
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if run.finished_at is not None:
            return run
        assert time.monotonic() < deadline, (
            f"run {run.pk} did not finish ({run.status(timezone.now())})"
        )
        time.sleep(0.2)


def test_the_generate_button_queues_a_run_that_a_worker_completes_and_its_page_shows(
    worker, tenant_a, make_member, client
):
    manager = make_member(tenant_a, Role.SERVICE_MANAGER)
    agreement = weekly_agreement(tenant_a, start=datetime.date(2026, 3, 30))  # Mondays
    client.force_login(manager)

    response = client.post(
        reverse("service_orders:generation"),
        {
            "period_start": "2026-04-01",
            "period_end": "2026-04-30",
            "agreement": agreement.pk,
            "action": "generate",
            "submission_token": uuid.uuid4().hex,
        },
    )

    run = GenerationRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("service_orders:generation_run_detail", args=[run.pk])
    run = wait_until_finished(run)
    assert (run.trigger, run.requested_by, run.orders_created, run.lines_created) == (
        "manual",
        manager,
        4,
        4,
    )
    assert run.picked_up_at is not None and (run.agreements_total, run.agreements_processed) == (
        1,
        1,
    )
    orders = ServiceOrder.objects.filter(agreement=agreement)
    assert set(orders.values_list("created_by", flat=True)) == {manager.pk}
    assert set(orders.values_list("generation_run", flat=True)) == {run.pk}

    page = client.get(response.url)
    html = page.content.decode()
    assert page.context["status"] == "finished"
    assert html.split('data-testid="orders-created">')[1].startswith("4<")
    for order in orders:
        assert reverse("service_orders:order_detail", args=[order.pk]) in html
    assert 'hx-trigger="every' not in html  # finished: the page no longer polls
    assert "Generating…" not in html and "Waiting for a background worker" not in html


def test_the_run_task_is_idempotent(worker, tenant_a):
    agreement = weekly_agreement(tenant_a, start=datetime.date(2026, 3, 30))
    run = generation_run_create(
        tenant=tenant_a,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
        trigger=GenerationTrigger.MANUAL,
        agreement_ids=[agreement.pk],
    )

    first = generate_orders_for_run.delay(tenant_id=tenant_a.pk, run_id=run.pk).get(timeout=30)
    again = generate_orders_for_run.delay(tenant_id=tenant_a.pk, run_id=run.pk).get(timeout=30)

    assert (first["orders_created"], first["lines_created"]) == (4, 4)
    assert again == first  # a redelivered task for a finished run changes nothing
    assert ServiceOrder.objects.count() == 4
    finished = GenerationRun.objects.get(pk=run.pk)
    assert finished.finished_at is not None and finished.orders_created == 4


def test_the_beat_entry_generates_for_every_active_tenant(worker, tenant_a, tenant_b):
    weekly_agreement(tenant_a, start=today_in(tenant_a))
    weekly_agreement(tenant_b, start=today_in(tenant_b))
    entry = settings.CELERY_BEAT_SCHEDULE["generate-service-orders"]
    assert entry["task"] == fan_out.name

    enqueued = fan_out.delay(*entry["args"]).get(timeout=30)

    assert enqueued == 2
    deadline = time.monotonic() + 30
    while GenerationRun.objects.filter(finished_at__isnull=False).count() < 2:
        assert time.monotonic() < deadline, "the per-tenant tasks did not finish"
        time.sleep(0.2)
    assert ServiceOrder.objects.filter(tenant=tenant_a).count() == 5
    assert ServiceOrder.objects.filter(tenant=tenant_b).count() == 5
