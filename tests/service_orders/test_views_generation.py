"""The "Generate service orders" page: preview, generate (queued for a background worker, the
run page following it), runs and open errors.

A queued run's task is sent to Celery when the request's transaction commits. These tests run
inside one transaction, so they capture that on-commit callback; ``generate(...)`` then runs it
with Celery in eager mode: the real task and service, in this process, without a broker. The
real worker is in test_generation_celery.py."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from agreements.models import Agreement, AgreementState
from config.celery import app as celery_app
from service_orders.models import (
    GenerationRun,
    OrderGenerationSettings,
    Origin,
    ServiceOrder,
    ServiceOrderLine,
)
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    CustomerFactory,
    GenerationErrorFactory,
    GenerationNoticeFactory,
    GenerationRunFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("service_orders:generation")
# A monthly line anchored on 15 January: 15 Feb and 15 Mar are Sundays (closed days without a
# business calendar), 15 Apr a Wednesday.
PERIOD = {"period_start": "2026-02-01", "period_end": "2026-04-30"}


def _activated(agreement: Agreement) -> Agreement:
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    return Agreement.objects.get(pk=agreement.pk)


@pytest.fixture
def agreement(tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="Kowalski Heating")
    agreement = _activated(
        AgreementFactory(
            customer=customer,
            number="AG-100",
            description="Heating care",
            start_date=datetime.date(2026, 1, 15),
        )
    )
    AgreementLineFactory(
        agreement=agreement, description="Boiler check", unit_price=Decimal("100.00")
    )
    return agreement


@pytest.fixture
def other_agreement(tenant_a):
    """A second active agreement that also generates in the period."""
    other = _activated(
        AgreementFactory(
            customer=CustomerFactory(tenant=tenant_a, name="Nowak Bakery"),
            number="AG-200",
            start_date=datetime.date(2026, 1, 1),
        )
    )
    AgreementLineFactory(agreement=other, description="Oven service")
    return other


def _post(client, action, agreement=None, **data):
    payload = {**PERIOD, "action": action, **data}
    if agreement is not None:
        payload["agreement"] = agreement.pk
    return client.post(PAGE, payload)


@pytest.fixture
def generate(django_capture_on_commit_callbacks):
    """generate(client, agreement=None, **data) -> the response to "Generate", after the
    queued task has run (eagerly, when the request's transaction committed)."""
    conf = celery_app.conf
    saved = {"task_always_eager": conf.task_always_eager}
    saved["task_eager_propagates"] = conf.task_eager_propagates
    conf.update(task_always_eager=True, task_eager_propagates=True)

    def post_and_work(client, agreement=None, **data):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = _post(client, "generate", agreement, **data)
        assert len(callbacks) == (1 if response.status_code == 302 else 0)
        return response

    yield post_and_work
    conf.update(saved)


def _run_page(run) -> str:
    return reverse("service_orders:generation_run_detail", args=[run.pk])


@time_machine.travel(datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_the_form_defaults_to_today_plus_the_horizon_in_the_tenants_zone(
    client_for, manager_a, tenant_a, agreement
):
    OrderGenerationSettings.objects.create(tenant=tenant_a, horizon_days=45)
    response = client_for(manager_a).get(PAGE, {"agreement": agreement.pk})
    form = response.context["form"]
    # 23:30 UTC is already 11 March in Warsaw.
    assert form["period_start"].value() == datetime.date(2026, 3, 11)
    assert form["period_end"].value() == datetime.date(2026, 4, 25)
    assert form["agreement"].value() == agreement.pk
    html = response.content.decode()
    assert 'value="2026-03-11"' in html
    assert f'<option value="{agreement.pk}" selected>' in html
    assert "for the next 45 days" in html


def test_preview_shows_the_planned_orders_and_creates_nothing(
    client_for, manager_a, agreement, other_agreement
):
    response = _post(client_for(manager_a), "preview", agreement)
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('data-testid="preview-summary">')[1].split("</p>")[0]
    assert "3 orders would be created" in summary
    assert "with 3 lines" in summary
    assert "2 fall on a closed day" in summary
    assert html.count('data-testid="planned-order"') == 3
    assert "Boiler check" in html and "Kowalski Heating" in html
    assert "Oven service" not in html  # only the chosen agreement
    assert html.count('data-testid="conflict-badge"') == 2
    assert not ServiceOrder.objects.exists()
    assert not GenerationRun.objects.exists()


def test_preview_for_every_agreement(client_for, manager_a, agreement, other_agreement):
    html = _post(client_for(manager_a), "preview").content.decode()
    assert "Boiler check" in html and "Oven service" in html
    assert html.count('data-testid="planned-order"') == 6


def test_generate_queues_a_run_and_goes_to_its_page(
    client_for, manager_a, agreement, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client_for(manager_a), "generate", agreement)
    run = GenerationRun.objects.get()
    assert response.status_code == 302
    assert response.url == _run_page(run)
    # Recorded in the request, generated by a worker: queued, nothing created yet.
    assert (run.trigger, run.requested_by, run.agreement_ids) == (
        "manual",
        manager_a,
        [agreement.pk],
    )
    assert (run.picked_up_at, run.finished_at) == (None, None)
    assert (run.period_start, run.period_end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 4, 30),
    )
    assert not ServiceOrder.objects.exists()
    assert len(callbacks) == 1  # the task is sent once the request's transaction commits


def test_generate_creates_the_orders_and_shows_the_run(client_for, manager_a, agreement, generate):
    client = client_for(manager_a)
    response = generate(client, agreement)
    run = GenerationRun.objects.get()
    assert response.status_code == 302
    assert response.url == _run_page(run)
    assert (run.trigger, run.requested_by, run.orders_created, run.lines_created) == (
        "manual",
        manager_a,
        3,
        3,
    )
    orders = ServiceOrder.objects.filter(agreement=agreement, origin=Origin.AGREEMENT)
    assert sorted(orders.values_list("calculated_date", flat=True)) == [
        datetime.date(2026, 2, 15),
        datetime.date(2026, 3, 15),
        datetime.date(2026, 4, 15),
    ]
    assert ServiceOrderLine.objects.filter(order__agreement=agreement).count() == 3

    page = client.get(response.url)
    html = page.content.decode()
    assert html.split('data-testid="orders-created">')[1].startswith("3<")
    for order in orders:
        assert reverse("service_orders:order_detail", args=[order.pk]) in html
    assert page.context["status"] == "finished"
    # No more polling (the header's notification bell loads once; that is not polling).
    assert 'hx-trigger="every' not in html and 'http-equiv="refresh"' not in html


def test_a_second_generate_creates_nothing(client_for, manager_a, agreement, generate):
    client = client_for(manager_a)
    generate(client, agreement)
    preview = _post(client, "preview", agreement).content.decode()
    assert "0 orders would be created" in preview
    assert "3 already exist" in preview
    assert preview.count('data-testid="already-exists"') == 3

    response = generate(client, agreement)
    second = GenerationRun.objects.order_by("-started_at").first()
    assert (second.orders_created, second.lines_created, second.occurrences_skipped) == (0, 0, 3)
    assert ServiceOrder.objects.count() == 3
    html = client.get(response.url).content.decode()
    assert "This run created no orders" in html


def test_a_double_submit_of_generate_queues_one_run(client_for, manager_a, agreement, generate):
    client = client_for(manager_a)
    token = "0f0e0d0c0b0a09080706050403020100"
    first = generate(client, agreement, submission_token=token)
    # The repeat goes to the first submit's run and queues nothing (generate() asserts that
    # exactly one task was sent per 302, so it is checked without it here).
    second = _post(client, "generate", agreement, submission_token=token)
    assert second.status_code == 302 and second.url == first.url
    assert GenerationRun.objects.count() == 1
    assert ServiceOrder.objects.count() == 3


def test_a_repeated_submit_sends_no_second_task(
    client_for, manager_a, agreement, django_capture_on_commit_callbacks
):
    client = client_for(manager_a)
    token = "0f0e0d0c0b0a09080706050403020101"
    with django_capture_on_commit_callbacks() as callbacks:
        first = _post(client, "generate", agreement, submission_token=token)
        second = _post(client, "generate", agreement, submission_token=token)
    assert second.url == first.url
    assert len(callbacks) == 1
    assert GenerationRun.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period_start": "2026-05-01", "period_end": "2026-04-30"}, "period_end", "before"),
        ({"period_start": "2026-01-01", "period_end": "2027-01-02"}, "period_end", "366 days"),
        ({"period_start": "", "period_end": "2026-04-30"}, "period_start", "required"),
        ({"period_start": "2026-02-30"}, "period_start", "valid date"),
    ],
)
@pytest.mark.parametrize("action", ["preview", "generate"])
def test_bad_period_is_refused_beside_the_field(
    client_for, manager_a, agreement, data, field, message, action
):
    response = _post(client_for(manager_a), action, agreement, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["plan"] is None
    assert not GenerationRun.objects.exists() and not ServiceOrder.objects.exists()


def test_a_year_is_accepted(client_for, manager_a, agreement):
    response = _post(
        client_for(manager_a),
        "preview",
        agreement,
        period_start="2026-01-01",
        period_end="2026-12-31",
    )
    assert response.context["form"].errors == {}
    assert len(response.context["plan"]) == 12  # the 15th of every month


def test_another_tenants_agreement_is_refused_beside_the_field(
    client_for, manager_a, agreement, tenant_b
):
    foreign = _activated(AgreementFactory(customer=CustomerFactory(tenant=tenant_b)))
    AgreementLineFactory(agreement=foreign)
    response = _post(client_for(manager_a), "generate", foreign)
    assert response.status_code == 200
    assert "valid choice" in " ".join(response.context["form"].errors["agreement"])
    assert not GenerationRun.objects.exists() and not ServiceOrder.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SERVICE_MANAGER, 200),
        (Role.TENANT_ADMIN, 200),
        (Role.DISPATCHER, 403),
        (Role.TECHNICIAN, 403),
    ],
)
def test_who_may_generate(client_for, make_member, tenant_a, role, status):
    client = client_for(make_member(tenant_a, role))
    for name in ("generation", "generation_runs", "generation_errors"):
        assert client.get(reverse(f"service_orders:{name}")).status_code == status
    generated = client.post(PAGE, {**PERIOD, "action": "generate"}).status_code
    assert generated == (302 if status == 200 else 403)


# --- Runs and errors ----------------------------------------------------------------------------


def test_runs_list_shows_the_counters(client_for, manager_a, tenant_a, tenant_b):
    GenerationRunFactory(
        tenant=tenant_a,
        requested_by=manager_a,
        orders_created=17,
        lines_created=23,
        occurrences_skipped=4,
        agreements_failed=1,
    )
    GenerationRunFactory(tenant=tenant_b, orders_created=999)
    response = client_for(manager_a).get(reverse("service_orders:generation_runs"))
    html = response.content.decode()
    assert len(response.context["rows"]) == 1
    for text in ("17", "23", manager_a.email, "Button"):
        assert text in html
    assert "999" not in html
    csv_text = (
        client_for(manager_a)
        .get(reverse("service_orders:generation_runs"), {"format": "csv"})
        .content.decode()
    )
    assert "17,23,4,1" in csv_text


def test_run_detail_shows_its_errors_with_their_agreement(client_for, manager_a, tenant_a):
    run = GenerationRunFactory(tenant=tenant_a, agreements_failed=1, finished_at=FINISHED)
    error = GenerationErrorFactory(run=run, message="Line 20: no interval count")
    html = (
        client_for(manager_a)
        .get(reverse("service_orders:generation_run_detail", args=[run.pk]))
        .content.decode()
    )
    errors = html.split('data-testid="run-errors"')[1]
    assert error.agreement.number in errors and "Line 20: no interval count" in errors


def test_open_errors_list_shows_unresolved_errors_of_the_tenant(
    client_for, manager_a, tenant_a, tenant_b
):
    open_error = GenerationErrorFactory(
        run=GenerationRunFactory(tenant=tenant_a), message="Still broken"
    )
    GenerationErrorFactory(
        run=GenerationRunFactory(tenant=tenant_a),
        message="Fixed since",
        resolved_at=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
    )
    GenerationErrorFactory(run=GenerationRunFactory(tenant=tenant_b), message="Beta's problem")
    response = client_for(manager_a).get(reverse("service_orders:generation_errors"))
    html = response.content.decode()
    assert "Still broken" in html
    assert reverse("agreements:agreement_detail", args=[open_error.agreement_id]) in html
    assert "Fixed since" not in html and "Beta's problem" not in html


def test_run_detail_lists_only_the_orders_this_run_created(
    client_for, manager_a, agreement, generate
):
    client = client_for(manager_a)
    first = generate(client, agreement).url
    # An order generated by hand for the period by someone else is not this run's.
    ServiceOrderFactory(
        customer=agreement.customer,
        number="OLD-1",
        origin=Origin.AGREEMENT,
        agreement=agreement,
        calculated_date=datetime.date(2026, 2, 1),
    )
    html = client.get(first).content.decode()
    table = html.split('data-testid="run-orders"')[1].split("</table>")[0]
    assert table.count("<tr>") == 4  # header + 3 orders
    assert "OLD-1" not in table
    link = reverse("service_orders:order_list") + "?origin=agreement&amp;date_from=2026-02-01"
    assert link in html
    # A second run by the same person over the same period created nothing, and says so.
    second = client.get(generate(client, agreement).url).content.decode()
    assert "This run created no orders" in second


def test_a_long_preview_shows_the_first_orders_and_counts_them_all(
    client_for, manager_a, agreement, other_agreement, monkeypatch
):
    from service_orders import views

    monkeypatch.setattr(views, "PREVIEW_SHOWN", 4)
    html = _post(client_for(manager_a), "preview").content.decode()
    assert "6 orders would be created" in html
    assert html.count('data-testid="planned-order"') == 4
    assert "…and 2 more." in html


def test_run_pages_run_a_constant_number_of_queries(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    run = GenerationRunFactory(tenant=tenant_a, requested_by=manager_a, finished_at=FINISHED)
    for n in range(30):
        GenerationRunFactory(tenant=tenant_a, requested_by=manager_a)
        GenerationErrorFactory(run=run, message=f"Problem {n}")
        GenerationNoticeFactory(run=run)
    queued = GenerationRunFactory(tenant=tenant_a, requested_by=manager_a)
    client = client_for(manager_a)
    client.get(reverse("service_orders:generation_runs"))
    for url, queries, headers in [
        (reverse("service_orders:generation_runs"), 10, {}),
        (reverse("service_orders:generation_errors"), 10, {}),
        (_run_page(run), 13, {}),
        (_run_page(run), 13, HTMX),
        # While a run is unfinished its page polls: fewer queries still.
        (_run_page(queued), 9, {}),
        (_run_page(queued), 9, HTMX),
    ]:
        with django_assert_max_num_queries(queries):
            assert client.get(url, headers=headers).status_code == 200


# --- The run page while a worker has the run ---------------------------------------------------

FINISHED = datetime.datetime(2026, 3, 10, 9, 5, tzinfo=datetime.UTC)
HTMX = {"HX-Request": "true"}


def _polls(html: str) -> bool:
    return 'hx-trigger="every 2s"' in html


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_a_queued_run_says_it_waits_for_a_worker_and_when_it_was_queued(
    client_for, manager_a, agreement
):
    client = client_for(manager_a)
    url = _post(client, "generate", agreement).url  # no worker ever takes it here

    page = client.get(url)
    html = page.content.decode()
    assert page.context["status"] == "queued"
    waiting = html.split('data-testid="run-waiting"')[1].split("</div>")[0]
    assert "Waiting for a background worker" in waiting
    assert "In the queue since 03/10/2026 10 a.m.;" in waiting  # 09:00 UTC, in Warsaw
    assert _polls(html)
    assert f'hx-get="{url}"' in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert 'data-testid="run-reload"' in html  # and a link, for whoever has neither
    assert 'data-testid="run-orders"' not in html
    assert "may be stopped" not in html

    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, 7, tzinfo=datetime.UTC)):
        later = client.get(url).content.decode()
    long_wait = later.split('data-testid="run-waiting-long"')[1].split("</div>")[0]
    assert "No worker has picked it up for 7" in long_wait
    assert "the background workers may be stopped" in long_wait
    assert _polls(later)  # it still starts when a worker comes back


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_a_running_run_shows_its_progress_and_the_partial_stops_polling_once_finished(
    client_for, manager_a, tenant_a
):
    run = GenerationRunFactory(
        tenant=tenant_a,
        requested_by=manager_a,
        picked_up_at=datetime.datetime(2026, 3, 10, 8, 59, tzinfo=datetime.UTC),
        agreements_total=10,
        agreements_processed=4,
        orders_created=7,
    )
    client = client_for(manager_a)

    html = client.get(_run_page(run)).content.decode()
    generating = html.split('data-testid="run-generating"')[1].split("</div>")[0]
    assert "Generating…" in generating and "4 of 10 agreements processed." in generating
    assert html.split('data-testid="orders-created">')[1].startswith("7<")  # so far
    assert _polls(html)

    partial = client.get(_run_page(run), headers=HTMX).content.decode()
    assert "<html" not in partial and partial.lstrip().startswith('<div id="run-status"')
    assert _polls(partial) and "4 of 10" in partial

    GenerationRun.objects.filter(pk=run.pk).update(
        finished_at=FINISHED, agreements_processed=10, orders_created=12
    )
    done = client.get(_run_page(run), headers=HTMX).content.decode()
    assert not _polls(done)
    assert done.split('data-testid="orders-created">')[1].startswith("12<")
    assert 'data-testid="run-orders"' in done and "Generating…" not in done


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_a_run_that_failed_or_outlived_its_time_limit_says_so_and_stops_polling(
    client_for, manager_a, tenant_a
):
    picked_up = datetime.datetime(2026, 3, 10, 8, 50, tzinfo=datetime.UTC)
    failed = GenerationRunFactory(
        tenant=tenant_a, picked_up_at=picked_up, failure="server closed the connection"
    )
    stalled = GenerationRunFactory(
        tenant=tenant_a, picked_up_at=datetime.datetime(2026, 3, 10, 8, 29, tzinfo=datetime.UTC)
    )
    running = GenerationRunFactory(tenant=tenant_a, picked_up_at=picked_up)
    client = client_for(manager_a)

    html = client.get(_run_page(failed)).content.decode()
    assert "This run stopped with an error." in html and "server closed the connection" in html
    assert not _polls(html) and 'data-testid="run-orders"' in html
    html = client.get(_run_page(stalled)).content.decode()
    assert "This run stopped before it finished." in html and not _polls(html)
    # Ten minutes into a run is within its time limit: still generating.
    assert _polls(client.get(_run_page(running)).content.decode())
