""" "Add from agreement" on a service order: chosen agreement lines copied onto the order, priced
by the agreement's rate card; a line of another agreement refuses the choice; a double submit
adds once; the page runs a constant number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import AgreementState, RateKind
from service_orders.models import ServiceOrderLine
from tenancy.models import AuditEvent
from tests.agreements.isolation_cases_agreements import agreement_with_line
from tests.factories import AgreementLineFactory, AgreementRateFactory, ServiceOrderFactory
from web.submissions import new_token

pytestmark = pytest.mark.django_db


def _order(tenant):
    agreement = agreement_with_line(tenant, state=AgreementState.ACTIVE)
    return agreement, ServiceOrderFactory(customer=agreement.customer, agreement=agreement)


def _url(order) -> str:
    return reverse("service_orders:lines_from_agreement", args=[order.pk])


def test_chosen_lines_are_copied_with_rate_card_prices(tenant_a, manager_a, client):
    agreement, order = _order(tenant_a)
    priced = agreement.lines.get()
    by_card = AgreementLineFactory(
        agreement=agreement, task=priced.task, quantity=Decimal("1.5"), unit_price=None
    )
    AgreementLineFactory(agreement=agreement, task=priced.task)  # not chosen
    AgreementRateFactory(agreement=agreement, task=priced.task, sales_price=Decimal("77.00"))
    client.force_login(manager_a)
    page = client.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert 'data-testid="lines-from-agreement-link"' in page.content.decode()
    response = client.post(
        _url(order), {"lines": [priced.pk, by_card.pk], "submission_token": new_token()}
    )
    assert response.status_code == 302
    copies = {line.agreement_line_id: line for line in ServiceOrderLine.objects.filter(order=order)}
    assert set(copies) == {priced.pk, by_card.pk}
    assert (copies[priced.pk].unit_price, copies[priced.pk].cost_price) == (
        priced.unit_price,
        Decimal("45.00"),
    )
    assert (copies[by_card.pk].unit_price, copies[by_card.pk].quantity) == (
        Decimal("77.00"),
        Decimal("1.5"),
    )
    assert all(line.calculated_date is None for line in copies.values())
    assert AuditEvent.objects.get(action="order.lines_from_agreement").params["count"] == 2


def test_a_fee_line_takes_the_fixed_fee_of_the_rate_card(tenant_a, manager_a, client):
    agreement, order = _order(tenant_a)
    fee = AgreementLineFactory(
        agreement=agreement, kind="fee", description="Call-out", unit_price=None
    )
    AgreementRateFactory(
        agreement=agreement, kind=RateKind.FEE, description="Call-out",
        sales_price=Decimal("55.00"), cost_price=Decimal("15.00"),
    )  # fmt: skip
    client.force_login(manager_a)
    client.post(_url(order), {"lines": [fee.pk], "submission_token": new_token()})
    line = ServiceOrderLine.objects.get(order=order)
    assert (line.unit_price, line.cost_price) == (Decimal("55.00"), Decimal("15.00"))


def test_a_line_of_another_agreement_adds_nothing(tenant_a, tenant_b, manager_a, client):
    agreement, order = _order(tenant_a)
    other, _ = _order(tenant_a)
    foreign, _ = _order(tenant_b)
    client.force_login(manager_a)
    for stranger in (other.lines.get(), foreign.lines.get()):
        response = client.post(
            _url(order),
            {"lines": [agreement.lines.get().pk, stranger.pk], "submission_token": new_token()},
        )
        assert response.status_code == 400
        assert "nothing was added" in response.content.decode()
    assert not ServiceOrderLine.objects.filter(order=order).exists()


def test_a_double_submit_adds_the_lines_once(tenant_a, manager_a, client):
    agreement, order = _order(tenant_a)
    client.force_login(manager_a)
    data = {"lines": [agreement.lines.get().pk], "submission_token": new_token()}
    first = client.post(_url(order), data)
    second = client.post(_url(order), data)
    assert first.status_code == second.status_code == 302
    assert ServiceOrderLine.objects.filter(order=order).count() == 1


def test_the_page_runs_a_constant_number_of_queries(
    tenant_a, manager_a, client, django_assert_max_num_queries
):
    agreement, order = _order(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    client.get(_url(order))
    for _ in range(25):
        AgreementLineFactory(
            agreement=agreement, task=line.task, service_object=line.service_object
        )
    with django_assert_max_num_queries(12):
        response = client.get(_url(order))
    assert len(response.context["choices"]) == 26
