"""The SLA compliance report: settled clocks of the period by customer, agreement group, SLA and
technician; met %, breached count, averages; chart, CSV; bad period; one tenant's data only."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from service_orders.compliance import compliance_rows
from service_orders.models import ClockStatus, OrderClock, Priority, SlaSource
from tenancy.context import tenant_scope
from tenancy.roles import Role
from tests.factories import CustomerFactory, ServiceLevelAgreementFactory, ServiceOrderFactory

URL = reverse("service_orders:sla_compliance")


def settled(tenant, customer, sla, *, met: bool, decided, used_hours: float, response_min=30):
    order = ServiceOrderFactory(customer=customer)
    started = decided - datetime.timedelta(days=1)
    return OrderClock.objects.create(
        tenant=tenant,
        order=order,
        sla=sla,
        sla_source=SlaSource.ORDER,
        priority=Priority.NORMAL,
        resolution_target=datetime.timedelta(hours=8),
        warning_percent=75,
        created_at=started,
        started_at=started,
        responded_at=started + datetime.timedelta(minutes=response_min),
        used=datetime.timedelta(hours=used_hours),
        used_as_of=decided,
        status=ClockStatus.MET if met else ClockStatus.BREACHED,
        decided_at=decided,
        next_escalation_at=None,
    )


@pytest.fixture
def data(tenant_a, tenant_b):
    now = timezone.now()
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    good, bad = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    for hours in (2, 4, 6):
        settled(tenant_a, good, sla, met=True, decided=now, used_hours=hours)
    settled(tenant_a, bad, sla, met=True, decided=now, used_hours=5, response_min=60)
    settled(tenant_a, bad, sla, met=False, decided=now, used_hours=11, response_min=120)
    # Outside the period, and another tenant's: not counted.
    settled(tenant_a, bad, sla, met=False, decided=now - datetime.timedelta(days=90), used_hours=9)
    other = CustomerFactory(tenant=tenant_b)
    settled(
        tenant_b,
        other,
        ServiceLevelAgreementFactory(tenant=tenant_b),
        met=False,
        decided=now,
        used_hours=20,
    )
    return {"good": good, "bad": bad, "sla": sla}


@pytest.mark.django_db
def test_rows_by_customer_worst_first_with_averages(tenant_a, data):
    today = tenant_a.today()
    with tenant_scope(tenant_a):
        rows = compliance_rows(
            tenant=tenant_a,
            start=today - datetime.timedelta(days=7),
            end=today,
            grouping="customer",
        )
    assert [r.label for r in rows] == [data["bad"].name, data["good"].name]
    bad, good = rows
    assert (bad.settled, bad.met, bad.breached) == (2, 1, 1)
    assert bad.met_percent == 50
    assert good.met_percent == 100 and good.breached == 0
    assert good.avg_resolution == datetime.timedelta(hours=4)
    assert bad.avg_response == datetime.timedelta(minutes=90)


@pytest.mark.django_db
def test_rows_by_sla_and_technician(tenant_a, data):
    today = tenant_a.today()
    with tenant_scope(tenant_a):
        by_sla = compliance_rows(tenant=tenant_a, start=today, end=today, grouping="sla")
        by_tech = compliance_rows(tenant=tenant_a, start=today, end=today, grouping="technician")
        by_group = compliance_rows(
            tenant=tenant_a, start=today, end=today, grouping="agreement_group"
        )
    assert [(r.key, r.settled) for r in by_sla] == [(data["sla"].pk, 5)]
    assert [(r.key, r.settled) for r in by_tech] == [(None, 5)]  # nobody assigned
    assert [(r.key, r.breached) for r in by_group] == [(None, 1)]


@pytest.mark.django_db
def test_page_chart_and_csv(tenant_a, data, make_member, client_for, django_assert_max_num_queries):
    client = client_for(make_member(tenant_a, Role.SERVICE_MANAGER))
    with django_assert_max_num_queries(25):
        response = client.get(URL, {"group_by": "customer"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="compliance-chart"' in page and "<svg" in page
    assert data["bad"].name in page and data["good"].name in page

    today = tenant_a.today()
    response = client.get(
        URL,
        {
            "start": today.isoformat(),
            "end": today.isoformat(),
            "group_by": "customer",
            "format": "csv",
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert [line[0] for line in lines[1:]] == [data["bad"].name, data["good"].name]
    assert [int(line[1]) for line in lines[1:]] == [2, 3]


@pytest.mark.django_db
def test_a_period_ending_before_it_starts_is_refused(tenant_a, make_member, client_for):
    client = client_for(make_member(tenant_a, Role.SERVICE_MANAGER))
    response = client.get(URL, {"start": "2026-05-10", "end": "2026-05-01", "group_by": "sla"})
    assert response.status_code == 200
    assert "compliance-table" not in response.content.decode()
    assert response.context["form"].errors["end"]


@pytest.mark.django_db
def test_a_dispatcher_may_not_see_the_report(tenant_a, make_member, client_for):
    response = client_for(make_member(tenant_a, Role.DISPATCHER)).get(URL)
    assert response.status_code == 403
