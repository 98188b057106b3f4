"""The pages of reconciliation: what a change will cancel is listed before the user confirms (in
a constant number of queries), bad input is answered beside the field with nothing saved, a
transition that no longer applies answers 409."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement, AgreementLine, AgreementState, AgreementSuspension
from customers.models import Customer
from service_orders.models import CoverageCancellation, LineStatus, OrderState, ServiceOrder
from tests.service_orders.test_reconciliation import TODAY, Setup, at

pytestmark = pytest.mark.django_db

d = datetime.date
CONFIRMED = {"confirmed": "1"}


def _open_future_numbers(s) -> list[str]:
    return [
        order.number
        for order in s.orders()
        if order.calculated_date >= TODAY and order.state == OrderState.NEW
    ]


def _confirmation(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_suspend_confirmation_lists_the_orders_it_cancels(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        small = Setup(tenant_a)
        large = Setup(tenant_a, until=d(2026, 9, 30))
    client.force_login(manager_a)
    with at(TODAY):
        page, small_queries = _confirmation(
            client, reverse("agreements:agreement_suspend", args=[small.agreement.pk])
        )
        large_page, large_queries = _confirmation(
            client, reverse("agreements:agreement_suspend", args=[large.agreement.pk])
        )
    numbers = _open_future_numbers(small)
    assert 'data-testid="effects"' in page
    assert f"{len(numbers)} service orders will be cancelled" in page
    for number in numbers:  # fewer than the ten named
        assert number in page
    large_numbers = _open_future_numbers(large)
    assert len(large_numbers) > 10
    assert f"{len(large_numbers)} service orders will be cancelled" in large_page
    assert sum(number in large_page for number in large_numbers) == 10
    assert f"and {len(large_numbers) - 10} more" in large_page
    # The same number of queries whatever the number of orders.
    assert large_queries <= small_queries
    # Nothing changed by looking.
    assert Agreement.objects.get(pk=small.agreement.pk).state == AgreementState.ACTIVE
    assert not CoverageCancellation.objects.exists()


def test_cancelling_the_agreement_from_the_page_cancels_its_orders(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    numbers = _open_future_numbers(s)
    client.force_login(manager_a)
    with at(TODAY):
        url = reverse("agreements:agreement_cancel", args=[s.agreement.pk])
        assert (
            f"{len(numbers)} service orders will be cancelled" in client.get(url).content.decode()
        )
        response = client.post(url, {**CONFIRMED, "reason": "Customer closed the site"})
    assert response.status_code == 302
    cancelled = ServiceOrder.objects.filter(number__in=numbers)
    assert {order.state for order in cancelled} == {OrderState.CANCELLED}
    assert all("Customer closed the site" in order.cancel_reason for order in cancelled)


def test_a_resume_date_before_the_start_is_refused_beside_the_field(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    client.force_login(manager_a)
    with at(TODAY):
        response = client.post(
            reverse("agreements:agreement_suspend", args=[s.agreement.pk]),
            {**CONFIRMED, "resume_on": "2026-05-09"},
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The suspension starts today" in page
    assert 'fl-field-error" data-field="resume_on"' in page
    assert Agreement.objects.get(pk=s.agreement.pk).state == AgreementState.ACTIVE
    assert not AgreementSuspension.objects.exists()
    assert s.states() == before


def test_resuming_an_active_agreement_answers_409_and_changes_nothing(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    client.force_login(manager_a)
    with at(TODAY):
        response = client.post(
            reverse("agreements:agreement_resume", args=[s.agreement.pk]), {"backfill": "on"}
        )
    assert response.status_code == 409
    assert "Only a suspended agreement can be resumed" in response.content.decode()
    assert not CoverageCancellation.objects.exists()


def _line_data(line: AgreementLine, **changes) -> dict:
    data = {
        "kind": line.kind,
        "description": line.description,
        "service_object": line.service_object_id,
        "interval_unit": line.interval_unit,
        "interval_count": str(line.interval_count),
        "time_window": line.time_window,
        "start_date": line.start_date.isoformat(),
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
    }
    data.update(changes)
    return data


def test_a_schedule_edit_lists_the_visits_it_cancels_before_saving(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    client.force_login(manager_a)
    url = reverse("agreements:line_edit", args=[s.weekly.pk])
    data = _line_data(s.weekly, start_date="2026-05-06")
    with at(TODAY):
        response = client.post(url, data)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-testid="coverage-confirm"' in page
        assert "will be cancelled" in page
        # Not saved yet.
        assert AgreementLine.objects.get(pk=s.weekly.pk).start_date == d(2026, 5, 4)
        assert s.states() == before
        response = client.post(url, {**data, "coverage_confirmed": "1"})
    assert response.status_code == 302
    assert AgreementLine.objects.get(pk=s.weekly.pk).start_date == d(2026, 5, 6)
    assert CoverageCancellation.objects.filter(cause="line_changed").exists()


def test_an_edit_that_changes_no_schedule_saves_at_once(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    client.force_login(manager_a)
    with at(TODAY):
        response = client.post(
            reverse("agreements:line_edit", args=[s.weekly.pk]),
            _line_data(s.weekly, description="Weekly check, east wing"),
        )
    assert response.status_code == 302
    assert not CoverageCancellation.objects.exists()


def test_a_bad_schedule_edit_shows_the_error_and_saves_nothing(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    before = s.states()
    client.force_login(manager_a)
    with at(TODAY):
        response = client.post(
            reverse("agreements:line_edit", args=[s.weekly.pk]),
            _line_data(s.weekly, start_date="2026-05-20", end_date="2026-05-10"),
        )
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert s.states() == before
    assert AgreementLine.objects.get(pk=s.weekly.pk).end_date is None


def test_deactivating_a_customer_lists_and_then_cancels_its_visits(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    customer = s.agreement.customer
    numbers = _open_future_numbers(s)
    client.force_login(manager_a)
    url = reverse("customers:customer_edit", args=[customer.pk])
    data = {"name": customer.name, "language": customer.language or "en"}  # is_active unticked
    with at(TODAY):
        page = client.post(url, data).content.decode()
        assert f"{len(numbers)} service orders will be cancelled" in page
        assert Customer.objects.get(pk=customer.pk).is_active
        response = client.post(url, {**data, "coverage_confirmed": "1"})
    assert response.status_code == 302
    assert not Customer.objects.get(pk=customer.pk).is_active
    assert {o.state for o in ServiceOrder.objects.filter(number__in=numbers)} == {
        OrderState.CANCELLED
    }


def test_the_stop_confirmation_lists_the_lines_it_cancels(tenant_a, manager_a, client):
    with at(d(2026, 5, 1)):
        s = Setup(tenant_a)
    client.force_login(manager_a)
    with at(TODAY):
        page = client.get(reverse("agreements:line_stop", args=[s.weekly.pk])).content.decode()
        assert "line of other service orders will be cancelled" in page
        client.post(reverse("agreements:line_stop", args=[s.weekly.pk]), CONFIRMED)
    shared = ServiceOrder.objects.get(agreement=s.agreement, calculated_date=d(2026, 5, 18))
    assert shared.state == OrderState.NEW
    assert shared.lines.get(agreement_line=s.weekly).status == LineStatus.CANCELLED
