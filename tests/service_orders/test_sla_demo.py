"""The SLA demo: each demo tenant's calendar with a lunch break and its country's holidays, Gold /
Silver / Bronze with targets and escalation levels, and orders whose clocks show every status
(open on track, at risk and breached; completed met and breached), consistent with their stage
logs. Seeding twice changes nothing."""

import datetime

import pytest
import time_machine

from customers import demo as customers_demo
from service_orders import demo
from service_orders.models import ClockStatus, OrderClock, ServiceOrder, StageLog
from sla import demo as sla_demo
from sla.models import EscalationLevel, Holiday, SlaTarget, WorkingWindow
from tenancy.context import tenant_scope
from tenancy.demo import seed_people
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 11, 0, tzinfo=datetime.UTC)  # a Wednesday


def _seed() -> None:
    for slug, tenant_people in seed_people().items():
        tenant = Tenant.objects.get(slug=slug)
        with tenant_scope(tenant):
            sla_demo.seed(tenant=tenant, people=tenant_people)
            customers_demo.seed(tenant=tenant, people=tenant_people)
            demo._seed_tree(tenant, tenant.default_language)
            demo._seed_sla_orders(tenant, tenant_people, tenant.default_language)


def _counts() -> tuple[int, ...]:
    return (
        OrderClock.objects.count(),
        StageLog.objects.count(),
        SlaTarget.objects.count(),
        EscalationLevel.objects.count(),
        WorkingWindow.objects.count(),
        Holiday.objects.count(),
    )


@time_machine.travel(NOW, tick=False)
def test_each_demo_tenant_has_clocks_in_every_status_and_seeding_twice_changes_nothing():
    _seed()
    for slug, holiday in (("acme", "Boże Ciało"), ("globex", "Tiradentes")):
        tenant = Tenant.objects.get(slug=slug)
        assert Holiday.objects.filter(tenant=tenant, name=holiday).exists()
        windows = WorkingWindow.objects.filter(tenant=tenant, weekday=0)
        assert sorted((w.start_time.hour, w.end_time.hour) for w in windows) == [(8, 12), (13, 17)]
        assert set(SlaTarget.objects.filter(tenant=tenant).values_list("sla__code", flat=True)) == {
            "GOLD",
            "SILVER",
            "BRONZE",
        }
        assert EscalationLevel.objects.filter(tenant=tenant, user__isnull=False).exists()

        clocks = OrderClock.objects.filter(tenant=tenant, sla__code="GOLD").select_related("order")
        open_statuses = sorted(c.status for c in clocks if c.decided_at is None)
        done_statuses = sorted(c.status for c in clocks if c.decided_at is not None)
        assert open_statuses == sorted(
            [ClockStatus.ON_TRACK, ClockStatus.AT_RISK, ClockStatus.BREACHED]
        )
        assert done_statuses == sorted([ClockStatus.MET, ClockStatus.BREACHED])
        for clock in clocks:
            first = StageLog.objects.filter(order=clock.order).order_by("at", "pk").first()
            assert first.at == clock.created_at == clock.order.created_at
            assert clock.created_at < NOW
        late = [c for c in clocks if c.decided_at and c.status == ClockStatus.BREACHED]
        assert late[0].late_reason

    before = _counts()
    _seed()
    assert _counts() == before
    assert ServiceOrder.objects.count() == OrderClock.objects.count()
