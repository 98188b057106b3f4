"""The billing tasks on real Celery workers against real Redis and PostgreSQL: two workers at
once, a worker killed mid-run and the task delivered again, the button's run and its page.

Worker connections carry no row-level-security bypass, like production workers."""

import datetime
import os
import signal
import time
import uuid
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.db.models import Count
from django.urls import reverse

from config.celery import app as celery_app
from customers.models import Customer
from subscriptions.models import (
    BillingRun,
    Fee,
    FeeKind,
    RunTrigger,
    Subscription,
    SubscriptionState,
)
from subscriptions.services import billing
from subscriptions.services.billing import billing_run_create
from subscriptions.tasks import bill_run, bill_tenant
from tenancy.roles import Role
from tests.factories import SubscriptionGroupFactory
from tests.service_orders.test_generation_celery import (
    _start_worker_process,
    _wait_until_answering,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery]


def many_subscriptions(tenant, count: int, start: datetime.date) -> list[Subscription]:
    """``count`` active monthly subscriptions in advance, due from ``start``, in bulk."""
    group = SubscriptionGroupFactory(tenant=tenant)
    customers = Customer.objects.bulk_create(
        Customer(tenant=tenant, number=f"C-SUB-{n}", name=f"Customer {n}") for n in range(count)
    )
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            tenant=tenant,
            number=f"SUB-BULK-{n}",
            customer=customer,
            group=group,
            description=f"Maintenance {n}",
            base_price=Decimal("100.00"),
            currency="PLN",
            start_date=start,
            next_period_start=start,
            next_due_on=start,
        )
        for n, customer in enumerate(customers)
    )
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
        state=SubscriptionState.ACTIVE
    )
    return subscriptions


def months_since(start: datetime.date, today: datetime.date) -> int:
    return (today.year - start.year) * 12 + today.month - start.month + 1


def assert_one_fee_per_period(tenant, count: int, periods: int) -> None:
    regular = Fee.objects.filter(kind=FeeKind.REGULAR)
    assert regular.count() == count * periods
    duplicates = (
        regular.values("subscription", "period_start").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    # Every subscription is caught up: nothing is due through today any more.
    assert not Subscription.objects.filter(
        state=SubscriptionState.ACTIVE, next_due_on__lte=tenant.today()
    ).exists()


@pytest.fixture
def two_worker_processes():
    names = [f"billing-{os.getpid()}-{n}" for n in (1, 2)]
    workers = [_start_worker_process(name) for name in names]
    try:
        _wait_until_answering(names)
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except Exception:
                worker.kill()
                worker.wait()


def test_two_workers_billing_the_same_tenant_at_once_create_one_fee_per_period(
    tenant_a, two_worker_processes
):
    today = tenant_a.today()
    start = (today.replace(day=1) - datetime.timedelta(days=62)).replace(day=1)
    many_subscriptions(tenant_a, 200, start)
    periods = months_since(start, today)  # three months caught up, this one included

    first = bill_tenant.apply_async(kwargs={"tenant_id": tenant_a.pk})
    second = bill_tenant.apply_async(kwargs={"tenant_id": tenant_a.pk})
    results = [first.get(timeout=180), second.get(timeout=180)]

    assert sum(r["created"] for r in results) == 200 * periods
    assert_one_fee_per_period(tenant_a, 200, periods)
    one, other = BillingRun.objects.order_by("started_at")
    assert one.finished_at is not None and other.finished_at is not None
    assert other.started_at < one.finished_at  # the runs really overlapped


def test_a_worker_killed_mid_run_then_the_task_delivered_again_bills_each_period_once(tenant_a):
    """SIGKILL the worker while it bills (acks_late: the broker hands the task out again once
    its visibility timeout expires; the test delivers it again at once) and let a new worker
    process the same run: it bills what is still due, nothing twice."""
    today = tenant_a.today()
    start = (today.replace(day=1) - datetime.timedelta(days=62)).replace(day=1)
    count = 4 * billing.CHUNK_SIZE  # killed after the first chunk, with three still to do
    many_subscriptions(tenant_a, count, start)
    periods = months_since(start, today)
    run = billing_run_create(tenant=tenant_a, trigger=RunTrigger.MANUAL)
    name = f"billing-killed-{os.getpid()}"
    doomed = _start_worker_process(name)
    try:
        _wait_until_answering([name])
        bill_run.apply_async(kwargs={"tenant_id": tenant_a.pk, "run_id": run.pk})
        deadline = time.monotonic() + 120
        while True:
            run.refresh_from_db()
            if run.subscriptions_processed >= billing.CHUNK_SIZE:
                break
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=20)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
    run.refresh_from_db()
    assert run.finished_at is None
    billed_before = Fee.objects.filter(kind=FeeKind.REGULAR).count()
    assert 0 < billed_before < count * periods

    name = f"billing-retry-{os.getpid()}"
    retry = _start_worker_process(name)
    try:
        _wait_until_answering([name])
        again = bill_run.apply_async(kwargs={"tenant_id": tenant_a.pk, "run_id": run.pk})
        summary = again.get(timeout=180)
    finally:
        retry.terminate()
        retry.wait(timeout=20)

    assert summary["run_id"] == run.pk
    assert_one_fee_per_period(tenant_a, count, periods)
    run.refresh_from_db()
    assert run.finished_at is not None


@pytest.fixture
def worker():
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
        yield


def test_the_button_queues_a_run_a_worker_completes_and_the_page_shows_it(
    worker, tenant_a, make_member, client
):
    manager = make_member(tenant_a, Role.SERVICE_MANAGER)
    many_subscriptions(tenant_a, 3, datetime.date(2026, 1, 1))
    client.force_login(manager)
    response = client.post(
        reverse("subscriptions:billing"),
        {"through": "2026-02-15", "submission_token": uuid.uuid4().hex},
    )
    run = BillingRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("subscriptions:run_detail", args=[run.pk])
    deadline = time.monotonic() + 30
    while run.finished_at is None:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.2)
        run.refresh_from_db()
    assert (run.requested_by, run.fees_created, run.subscriptions_processed) == (manager, 6, 3)
    page = client.get(response.url)
    html = page.content.decode()
    assert page.context["status"] == "finished"
    assert html.split('data-testid="fees-created">')[1].startswith("6<")
    assert 'hx-trigger="every' not in html  # finished: no more polling


def test_the_daily_task_bills_only_its_tenant(worker, tenant_a, tenant_b):
    many_subscriptions(tenant_a, 2, tenant_a.today().replace(day=1))
    many_subscriptions(tenant_b, 2, tenant_b.today().replace(day=1))
    result = bill_tenant.delay(tenant_id=tenant_a.pk).get(timeout=30)
    assert result["created"] == 2
    assert Fee.objects.filter(tenant=tenant_a).count() == 2
    assert Fee.objects.filter(tenant=tenant_b).count() == 0
