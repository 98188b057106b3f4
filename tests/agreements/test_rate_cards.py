"""Rate cards: the entries an agreement uses (its own over its group's, in its currency), the
prices they give generated and hand-added lines, and the refusals of bad rates."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agreements import selectors, services
from agreements.models import AgreementRate, AgreementState, RateKind
from customers.models import LineKind
from service_orders.models import GenerationTrigger, ServiceOrder, ServiceOrderLine
from service_orders.services import lines as line_services
from service_orders.services.generation import generation_run
from tenancy.models import AuditEvent
from tests.factories import (
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementRateFactory,
    ItemFactory,
    ServiceOrderFactory,
    ServiceTaskFactory,
)

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def _rate_data(**fields) -> dict:
    data = {
        "kind": RateKind.HOUR,
        "task": None,
        "task_category": "",
        "item": None,
        "description": "",
        "currency": "PLN",
        "sales_price": Decimal("90.00"),
        "cost_price": Decimal("50.00"),
        "markup_percent": None,
    }
    data.update(fields)
    return data


def _active(tenant, **fields):
    return agreement_with_line(tenant, state=AgreementState.ACTIVE, **fields)


# --- Which entry prices a line -----------------------------------------------------------------


def test_task_rate_beats_category_beats_general_and_own_beats_group(tenant_a):
    group = AgreementGroupFactory(tenant=tenant_a)
    agreement = _active(tenant_a, group=group)
    boiler = ServiceTaskFactory(tenant=tenant_a, category="Boilers")
    pump = ServiceTaskFactory(tenant=tenant_a, category="Boilers")
    other = ServiceTaskFactory(tenant=tenant_a)
    AgreementRateFactory(agreement=None, group=group, sales_price=Decimal("70"))
    AgreementRateFactory(
        agreement=None, group=group, task_category="Boilers", sales_price=Decimal("85")
    )
    AgreementRateFactory(agreement=agreement, task=boiler, sales_price=Decimal("120"))
    # A group default in another currency is not this agreement's.
    AgreementRateFactory(
        agreement=None, group=group, currency="EUR", task=other, sales_price=Decimal("30")
    )
    rates = selectors.agreement_rates(tenant=tenant_a, agreement=agreement)
    price = lambda task: rates.price(kind=LineKind.HOUR, task=task).unit_price  # noqa: E731
    assert (price(boiler), price(pump), price(other), price(None)) == (
        Decimal("120"),
        Decimal("85"),
        Decimal("70"),
        Decimal("70"),
    )
    # A price on the line itself wins; the card still gives the cost.
    own = rates.price(kind=LineKind.HOUR, task=boiler, unit_price=Decimal("99"))
    assert (own.unit_price, own.cost_price) == (Decimal("99"), Decimal("45.00"))


def test_expense_markup_fee_by_description_and_item_prices_by_currency(tenant_a):
    agreement = _active(tenant_a)
    item = ItemFactory(tenant=tenant_a, sales_price=Decimal("10"), cost_price=Decimal("6"))
    AgreementRateFactory(
        agreement=agreement, kind=RateKind.EXPENSE, sales_price=None, cost_price=None,
        markup_percent=Decimal("15"),
    )  # fmt: skip
    AgreementRateFactory(
        agreement=agreement, kind=RateKind.FEE, description="Call-out",
        sales_price=Decimal("60"), cost_price=Decimal("20"),
    )  # fmt: skip
    rates = selectors.agreement_rates(tenant=tenant_a, agreement=agreement)
    expense = rates.price(kind=LineKind.EXPENSE, unit_price=Decimal("40.00"))
    assert (expense.unit_price, expense.cost_price) == (Decimal("46.00"), Decimal("40.00"))
    fee = rates.price(kind=LineKind.FEE, description="  call-OUT ")
    assert (fee.unit_price, fee.cost_price) == (Decimal("60"), Decimal("20"))
    assert rates.price(kind=LineKind.ITEM, item=item).unit_price == item.sales_price
    # An agreement in another currency than the tenant's cannot use the item's own prices.
    euro = _active(tenant_a, currency="EUR")
    euro_rates = selectors.agreement_rates(tenant=tenant_a, agreement=euro)
    assert euro_rates.price(kind=LineKind.ITEM, item=item).unit_price == Decimal("0")
    AgreementRateFactory(agreement=euro, kind=RateKind.ITEM, item=item, sales_price=Decimal("2.50"))
    euro_rates = selectors.agreement_rates(tenant=tenant_a, agreement=euro)
    assert euro_rates.price(kind=LineKind.ITEM, item=item).unit_price == Decimal("2.50")


# --- Generation and hand-added lines ----------------------------------------------------------


def test_generation_prices_hour_lines_without_a_price_from_the_rate_card(tenant_a):
    agreement = _active(tenant_a)
    line = agreement.lines.get()
    AgreementLine = type(line)
    AgreementLine.objects.filter(pk=line.pk).update(unit_price=None)
    priced = AgreementLineFactory(
        agreement=agreement,
        service_object=line.service_object,
        task=line.task,
        unit_price=Decimal("150.00"),
    )
    AgreementRateFactory(agreement=agreement, task=line.task, sales_price=Decimal("95.50"))
    generation_run(
        tenant=tenant_a,
        period_start=MARCH[0],
        period_end=MARCH[1],
        trigger=GenerationTrigger.MANUAL,
    )
    generated = {
        ln.agreement_line_id: (ln.unit_price, ln.cost_price)
        for ln in ServiceOrderLine.objects.filter(order__agreement=agreement)
    }
    assert generated == {
        line.pk: (Decimal("95.50"), Decimal("45.00")),
        priced.pk: (Decimal("150.00"), Decimal("45.00")),
    }


def test_generated_orders_carry_the_agreement_contact(tenant_a):
    agreement = _active(tenant_a)
    contact = agreement.customer.contacts.create(tenant=tenant_a, name="Anna Nowak")
    type(agreement).objects.filter(pk=agreement.pk).update(
        contact=contact, customer_reference="PO-7781"
    )
    generation_run(
        tenant=tenant_a,
        period_start=MARCH[0],
        period_end=MARCH[1],
        trigger=GenerationTrigger.MANUAL,
    )
    order = ServiceOrder.objects.get(agreement=agreement)
    assert order.contact == contact


def test_hand_added_lines_of_an_agreement_order_take_its_rates(tenant_a, technician_a):
    agreement = _active(tenant_a)
    task = agreement.lines.get().task
    AgreementRateFactory(agreement=agreement, task=task, sales_price=Decimal("88.00"))
    AgreementRateFactory(
        agreement=agreement, kind=RateKind.EXPENSE, sales_price=None, cost_price=None,
        markup_percent=Decimal("10"),
    )  # fmt: skip
    AgreementRateFactory(
        agreement=agreement, kind=RateKind.FEE, description="Travel",
        sales_price=Decimal("35.00"), cost_price=Decimal("12.00"),
    )  # fmt: skip
    order = ServiceOrderFactory(customer=agreement.customer, agreement=agreement)
    kwargs = {"tenant": tenant_a, "by": technician_a, "order_id": order.pk}
    hours = line_services.line_add_hours(**kwargs, hours=Decimal("2"), task=task)
    expense = line_services.line_add_expense(
        **kwargs, description="Parking", quantity=Decimal("1"), unit_cost=Decimal("20.00")
    )
    fee = line_services.line_add_fee(
        **kwargs, description="Travel", quantity=Decimal("1"), unit_price=None
    )
    typed = line_services.line_add_fee(
        **kwargs, description="Travel", quantity=Decimal("1"), unit_price=Decimal("40")
    )
    assert (hours.unit_price, hours.cost_price) == (Decimal("88.00"), Decimal("45.00"))
    assert (expense.unit_price, expense.cost_price) == (Decimal("22.00"), Decimal("20.00"))
    assert (fee.unit_price, fee.cost_price) == (Decimal("35.00"), Decimal("12.00"))
    assert typed.unit_price == Decimal("40")
    # An order without an agreement has no rate card.
    plain = ServiceOrderFactory(customer=agreement.customer)
    line = line_services.line_add_hours(
        tenant=tenant_a, by=technician_a, order_id=plain.pk, hours=Decimal("1"), task=task
    )
    assert line.unit_price == Decimal("0")


# --- Bad rates ---------------------------------------------------------------------------------


def test_a_rate_in_another_currency_or_negative_is_refused(tenant_a, manager_a):
    agreement = _active(tenant_a)
    with pytest.raises(ValidationError) as refused:
        services.rate_create(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk,
            data=_rate_data(currency="EUR"),
        )  # fmt: skip
    assert "in PLN" in " ".join(refused.value.message_dict["currency"])
    with pytest.raises(ValidationError) as refused:
        services.rate_create(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk,
            data=_rate_data(sales_price=Decimal("-1")),
        )  # fmt: skip
    assert "sales_price" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.rate_create(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk,
            data=_rate_data(kind=RateKind.EXPENSE, markup_percent=Decimal("-5")),
        )  # fmt: skip
    assert "markup_percent" in refused.value.message_dict
    assert not AgreementRate.objects.filter(agreement=agreement).exists()


def test_the_same_rate_twice_and_a_currency_change_under_a_rate_card_are_refused(
    tenant_a, manager_a
):
    agreement = _active(tenant_a)
    services.rate_create(
        tenant=tenant_a, by=manager_a, agreement_id=agreement.pk, data=_rate_data()
    )
    with pytest.raises(ValidationError):
        services.rate_create(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk, data=_rate_data()
        )
    with pytest.raises(ValidationError) as refused:
        services.agreement_update(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk, data={"currency": "EUR"}
        )
    assert "currency" in refused.value.message_dict
    assert AgreementRate.objects.filter(agreement=agreement).count() == 1
    assert AuditEvent.objects.filter(action="agreement.rate_add").count() == 1


def test_a_group_holds_defaults_in_several_currencies(tenant_a, manager_a):
    group = AgreementGroupFactory(tenant=tenant_a)
    for currency in ("PLN", "EUR"):
        services.rate_create(
            tenant=tenant_a, by=manager_a, group=group, data=_rate_data(currency=currency)
        )
    assert AgreementRate.objects.filter(group=group).count() == 2


# --- Pages -------------------------------------------------------------------------------------


def test_manager_adds_a_rate_on_the_page_and_a_wrong_currency_is_shown_beside_the_field(
    tenant_a, manager_a, client
):
    agreement = _active(tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:rate_create", args=[agreement.pk])
    form = {"kind": "hour", "currency": "EUR", "sales_price": "90", "cost_price": ""}
    response = client.post(url, form)
    assert response.status_code == 200
    assert "currency" in response.context["form"].errors
    assert not AgreementRate.objects.exists()
    response = client.post(url, {**form, "currency": "PLN"})
    assert response.status_code == 302
    rate = AgreementRate.objects.get(agreement=agreement)
    assert (rate.sales_price, rate.key) == (Decimal("90"), "hour:")
    page = client.get(reverse("agreements:agreement_detail", args=[agreement.pk]))
    assert page.content.decode().count('data-testid="rate-row"') == 1


def test_rate_pages_run_a_constant_number_of_queries(
    tenant_a, manager_a, client, django_assert_max_num_queries
):
    group = AgreementGroupFactory(tenant=tenant_a)
    agreement = _active(tenant_a, group=group)
    client.force_login(manager_a)
    pages = [
        reverse("agreements:group_rates", args=[group.pk]),
        reverse("agreements:rate_cards"),
        reverse("agreements:agreement_detail", args=[agreement.pk]),
    ]
    for url in pages:
        client.get(url)
    for _ in range(15):
        task = ServiceTaskFactory(tenant=tenant_a)
        AgreementRateFactory(agreement=None, group=group, task=task)
        AgreementRateFactory(agreement=agreement, task=task)
        AgreementGroupFactory(tenant=tenant_a)
    for url, most in zip(pages, (12, 12, 19), strict=True):
        with django_assert_max_num_queries(most):
            response = client.get(url)
        assert response.status_code == 200
    assert response.content.decode().count('data-testid="rate-row"') == 15
