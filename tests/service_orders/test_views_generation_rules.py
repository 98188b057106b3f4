"""The pages and the command of issue 14's generation rules: the generation page's filters (and
the background run that reads them), the run page's notices, the command's options, the order
page's SLA and agreement notes, the technician's note and the agreement's task notes."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agreements.models import Agreement, AgreementState, AgreementTask
from config.celery import app as celery_app
from service_orders.models import (
    GenerationRun,
    GenerationTrigger,
    ServiceOrder,
    ServiceOrderLine,
)
from service_orders.services.generation import generation_run
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementTaskFactory,
    CustomerFactory,
    ServiceLevelAgreementFactory,
    ServiceObjectFactory,
    ServiceTaskFactory,
)

pytestmark = pytest.mark.django_db

d = datetime.date
PAGE = reverse("service_orders:generation")
PERIOD = {"period_start": "2026-04-01", "period_end": "2026-04-30"}


def active_agreement(tenant, **fields):
    fields.setdefault("customer", CustomerFactory(tenant=tenant))
    fields.setdefault("start_date", d(2026, 4, 6))
    agreement = AgreementFactory(**fields)
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    return Agreement.objects.get(pk=agreement.pk)


@pytest.fixture
def eager(django_capture_on_commit_callbacks):
    """Run the queued task in this process when the request's transaction commits."""
    conf = celery_app.conf
    saved = {"task_always_eager": conf.task_always_eager}
    saved["task_eager_propagates"] = conf.task_eager_propagates
    conf.update(task_always_eager=True, task_eager_propagates=True)

    def post(client, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(PAGE, data)

    yield post
    conf.update(saved)


def test_the_page_limits_preview_and_background_run_by_group_and_line_type(
    client_for, manager_a, tenant_a, eager
):
    gold = AgreementGroupFactory(tenant=tenant_a, name="Gold care")
    chosen = active_agreement(tenant_a, group=gold, description="Gold heating")
    AgreementLineFactory(agreement=chosen, kind="hour", description="Inspection hours")
    AgreementLineFactory(agreement=chosen, kind="fee", description="Call-out fee")
    other = active_agreement(tenant_a, description="Silver heating")
    AgreementLineFactory(agreement=other, kind="fee")
    client = client_for(manager_a)
    limits = {"agreement_group": gold.pk, "line_kind": "fee"}

    preview = client.post(PAGE, {**PERIOD, **limits, "action": "preview"})
    assert [p.agreement for p in preview.context["plan"]] == [chosen]
    assert "Inspection hours" not in preview.content.decode()

    response = eager(client, {**PERIOD, **limits, "action": "generate"})

    run = GenerationRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    assert (run.agreement_group, run.line_kind, run.finished_at is not None) == (gold, "fee", True)
    assert list(ServiceOrderLine.objects.values_list("description", flat=True)) == ["Call-out fee"]
    page = client.get(response.url).content.decode()
    assert 'data-testid="run-filters"' in page and "Gold care" in page


def test_another_tenants_customer_is_refused_beside_the_field(client_for, manager_a, tenant_b):
    foreign = CustomerFactory(tenant=tenant_b)
    response = client_for(manager_a).post(
        PAGE, {**PERIOD, "customer": foreign.pk, "action": "generate"}
    )
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert not GenerationRun.objects.exists()


def test_the_run_page_lists_closed_day_orders_and_deactivated_records(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    retired = CustomerFactory(tenant=tenant_a, is_active=False, name="Closed Bakery")
    AgreementLineFactory(agreement=active_agreement(tenant_a, customer=retired))
    weekend = active_agreement(tenant_a, start_date=d(2026, 4, 4))  # Saturdays
    for _ in range(3):
        AgreementLineFactory(agreement=weekend, interval_unit="week")
    run = generation_run(
        tenant=tenant_a,
        period_start=d(2026, 4, 1),
        period_end=d(2026, 4, 30),
        trigger=GenerationTrigger.MANUAL,
    )
    assert run.orders_flagged == 4

    client = client_for(manager_a)
    with django_assert_max_num_queries(13):
        html = client.get(run.get_absolute_url()).content.decode()

    assert html.split('data-testid="orders-flagged">')[1].startswith("4<")
    notices = html.split('data-testid="run-notices"')[1].split("</ul>")[0]
    assert notices.count('data-kind="closed"') == 4
    assert notices.count('data-kind="customer"') == 1 and "Closed Bakery" in notices


def test_the_command_limits_by_customer_group_responsible_and_line_type(tenant_a, manager_a):
    gold = AgreementGroupFactory(tenant=tenant_a, code="GOLD")
    chosen = active_agreement(tenant_a, group=gold, responsible=manager_a)
    AgreementLineFactory(agreement=chosen, kind="fee")
    AgreementLineFactory(agreement=chosen, kind="hour")
    AgreementLineFactory(agreement=active_agreement(tenant_a), kind="fee")
    out = io.StringIO()

    call_command(
        "generate_service_orders",
        "--tenant",
        "alpha",
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-30",
        "--customer",
        chosen.customer.number,
        "--group",
        "GOLD",
        "--responsible",
        manager_a.email,
        "--line-kind",
        "fee",
        stdout=out,
    )

    assert out.getvalue().splitlines()[-1] == "created=1 skipped=0 failed=0"
    assert list(ServiceOrderLine.objects.values_list("order__agreement", "kind")) == [
        (chosen.pk, "fee")
    ]
    run = GenerationRun.objects.get()
    assert (run.customer, run.agreement_group, run.responsible, run.line_kind) == (
        chosen.customer,
        gold,
        manager_a,
        "fee",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "C-1"], "need --tenant"),
        (["--tenant", "alpha", "--group", "NOPE"], "--group 'NOPE': no such record"),
        (["--tenant", "alpha", "--customer", "C-404"], "--customer 'C-404': no such record"),
    ],
)
def test_the_command_refuses_a_filter_it_cannot_find(tenant_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_service_orders", *args, stdout=io.StringIO())


def test_another_tenants_customer_number_is_not_found_by_the_command(tenant_a, tenant_b):
    foreign = CustomerFactory(tenant=tenant_b, number="C-777")
    with pytest.raises(CommandError, match="no such record in tenant 'alpha'"):
        call_command(
            "generate_service_orders",
            "--tenant",
            "alpha",
            "--customer",
            foreign.number,
            stdout=io.StringIO(),
        )


def test_the_order_shows_its_sla_and_the_agreements_notes_each_where_they_belong(
    client_for, manager_a, technician_a, tenant_a
):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, name="Gold 4h")
    agreement = active_agreement(tenant_a, sla=sla, preferred_technician=technician_a)
    task = ServiceTaskFactory(tenant=tenant_a)
    boiler = ServiceObjectFactory(customer=agreement.customer)
    AgreementTaskFactory(
        agreement=agreement,
        task=task,
        internal_note="Ring the caretaker first",
        customer_note="Flue gas measured",
    )
    AgreementLineFactory(agreement=agreement, task=task, service_object=boiler)
    generation_run(
        tenant=tenant_a,
        period_start=d(2026, 4, 1),
        period_end=d(2026, 4, 30),
        trigger=GenerationTrigger.MANUAL,
    )
    order = ServiceOrder.objects.get(agreement=agreement)

    office = client_for(manager_a).get(order.get_absolute_url()).content.decode()
    assert "Gold 4h" in office.split('data-testid="order-sla">')[1].split("</dd>")[0]
    notes = office.split('data-testid="task-notes"')[1]
    assert "Ring the caretaker first" in notes and "Flue gas measured" in notes

    ServiceOrder.objects.filter(pk=order.pk).update(assigned_technician=technician_a)
    technician_page = client_for(technician_a).get(
        reverse("service_orders:technician_order", args=[order.pk])
    )
    html = technician_page.content.decode()
    assert 'data-testid="agreement-note"' in html and "Ring the caretaker first" in html
    assert "Flue gas measured" not in html


def test_a_task_is_added_to_an_agreement_with_its_notes(client_for, manager_a, tenant_a):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=tenant_a))
    task = ServiceTaskFactory(tenant=tenant_a)
    client = client_for(manager_a)

    response = client.post(
        reverse("agreements:agreement_task_add", args=[agreement.pk]),
        {"task": task.pk, "internal_note": " Key at reception ", "customer_note": "Checked"},
    )

    assert response.status_code == 302
    link = AgreementTask.objects.get(agreement=agreement)
    assert (link.internal_note, link.customer_note) == ("Key at reception", "Checked")
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Key at reception" in page.split('data-testid="task-internal-note"')[1]
