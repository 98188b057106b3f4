"""Two dispatchers drop on the same slot at the same moment, each on a connection of its own:
one visit is planned, the other is refused, never a double booking."""

import datetime
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from dispatch import services
from dispatch.models import Appointment
from tenancy.context import tenant_scope

from .helpers import DAY, at, order, technician

pytestmark = pytest.mark.django_db(transaction=True)


def _race(work, count=2):
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n):
        try:
            barrier.wait(timeout=10)
            results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_dispatchers_on_the_same_slot_get_one_success_and_one_refusal(
    tenant_a, dispatcher_a, make_member
):
    other = make_member(tenant_a, "dispatcher")
    tech = technician(tenant_a)
    orders = [order(tenant_a), order(tenant_a)]
    people = [dispatcher_a, other]
    start = at(tenant_a, DAY, 9)

    def plan(n):
        with tenant_scope(tenant_a):
            return services.appointment_assign(
                tenant=tenant_a,
                by=people[n],
                order_id=orders[n].pk,
                technician_id=tech.pk,
                start=start + datetime.timedelta(minutes=15 * n),
                end=start + datetime.timedelta(minutes=60 + 15 * n),
                seen_version=0,
            )

    results = _race(plan)
    planned = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, services.DispatchRefused)]
    assert len(planned) == 1 and len(refused) == 1, results
    assert Appointment.objects.filter(tenant=tenant_a, technician=tech).count() == 1


def _refused_by_the_database(outcome) -> bool:
    """The loser of a raw race is refused by the exclusion constraint (23P01) or, when both
    inserts had written their row before checking, by PostgreSQL's deadlock detector (40P01):
    each waits for the other's conflicting row, one is rolled back. Either way one row stays."""
    if isinstance(outcome, IntegrityError):
        return getattr(outcome.__cause__, "pgcode", None) == "23P01"
    if isinstance(outcome, OperationalError):
        return getattr(outcome.__cause__, "pgcode", None) == "40P01"
    return False


def test_the_exclusion_constraint_alone_refuses_the_second_of_two_concurrent_inserts(tenant_a):
    """Without the services' version lock: two raw inserts racing on two connections."""
    tech = technician(tenant_a)
    orders = [order(tenant_a), order(tenant_a)]

    def insert(n):
        with tenant_scope(tenant_a), transaction.atomic():
            Appointment.objects.create(
                tenant=tenant_a,
                order=orders[n],
                technician=tech,
                start=at(tenant_a, DAY, 9, 30 * n),
                end=at(tenant_a, DAY, 11),
            )
            return "inserted"

    results = _race(insert)
    assert results.count("inserted") == 1, results
    assert sum(_refused_by_the_database(r) for r in results) == 1, results
    assert Appointment.objects.filter(tenant=tenant_a).count() == 1
