"""The subscription pages: what managers do, bad input beside its field, lost races, queries."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from subscriptions.models import (
    Fee,
    PriceListRow,
    Reduction,
    Subscription,
    SubscriptionGroup,
    SubscriptionState,
)
from subscriptions.services.billing import billing_run
from tests.factories import CustomerFactory, SubscriptionGroupFactory

from .helpers import active_subscription

D = datetime.date
pytestmark = pytest.mark.django_db


def token() -> str:
    return uuid.uuid4().hex


def test_the_manager_creates_and_activates_a_subscription(tenant_a, manager_a, client_for):
    client = client_for(manager_a)
    customer = CustomerFactory(tenant=tenant_a)
    group = SubscriptionGroupFactory(tenant=tenant_a)
    form = {
        "customer": customer.pk,
        "group": group.pk,
        "description": "Boiler maintenance plan",
        "base_price": "200.00",
        "index": "100",
        "currency": "PLN",
        "start_date": "2026-01-01",
        "submission_token": token(),
    }
    response = client.post(reverse("subscriptions:subscription_create"), form)
    subscription = Subscription.objects.get()
    assert response.status_code == 302 and response.url == subscription.get_absolute_url()
    # The same submit again returns the first result instead of a second subscription.
    client.post(reverse("subscriptions:subscription_create"), form)
    assert Subscription.objects.count() == 1
    response = client.post(reverse("subscriptions:subscription_activate", args=[subscription.pk]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    assert subscription.next_due_on == D(2026, 1, 1)
    # Activating again is a lost race: 409 with the state as it is now.
    response = client.post(reverse("subscriptions:subscription_activate", args=[subscription.pk]))
    assert response.status_code == 409
    assert "Only a draft subscription can be activated" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end_date": "2025-12-01"}, "end_date", "The end date cannot be before the start date."),
        ({"index": "0"}, "index", "The index must be above zero"),
        ({"index": "-5"}, "index", "The index must be above zero"),
    ],
)
def test_bad_subscription_input_is_refused_beside_its_field(
    tenant_a, manager_a, client_for, change, field, message
):
    client = client_for(manager_a)
    form = {
        "customer": CustomerFactory(tenant=tenant_a).pk,
        "group": SubscriptionGroupFactory(tenant=tenant_a).pk,
        "description": "Plan",
        "base_price": "200.00",
        "index": "100",
        "currency": "PLN",
        "start_date": "2026-01-01",
        "submission_token": token(),
        **change,
    }
    response = client.post(reverse("subscriptions:subscription_create"), form)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Subscription.objects.exists()


def test_a_price_row_without_currency_is_refused(tenant_a, manager_a, client_for):
    response = client_for(manager_a).post(
        reverse("subscriptions:price_create"),
        {
            "period": "month",
            "currency": "",
            "valid_from": "2026-01-01",
            "price": "100",
            "submission_token": token(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["currency"] == ["Choose the currency of this price."]
    assert not PriceListRow.objects.exists()


def test_a_price_reduction_larger_than_the_fee_is_refused(tenant_a, manager_a, client_for):
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    response = client_for(manager_a).post(
        reverse("subscriptions:reduction_add", args=[subscription.pk]),
        {"kind": "amount", "start_date": "2026-02-01", "end_date": "2026-02-28", "amount": "250"},
    )
    assert response.status_code == 400
    assert "larger than the fee" in " ".join(response.context["reduction_form"].errors["amount"])
    assert not Reduction.objects.exists()


def test_reduction_days_and_a_one_off_fee_are_added_and_billed(tenant_a, manager_a, client_for):
    client = client_for(manager_a)
    subscription = active_subscription(tenant_a, start=D(2026, 3, 1))
    response = client.post(
        reverse("subscriptions:reduction_add", args=[subscription.pk]),
        {"kind": "days", "start_date": "2026-03-10", "end_date": "2026-03-11", "reason": "Closed"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("subscriptions:one_off_add", args=[subscription.pk]),
        {"description": "Set-up", "charge_on": "2026-03-01", "amount": "80.00"},
    )
    assert response.status_code == 302
    billing_run(tenant=tenant_a, through=D(2026, 3, 1))
    amounts = sorted(Fee.objects.filter(subscription=subscription).values_list("amount", flat=True))
    assert amounts == [Decimal("-12.90"), Decimal("80.00"), Decimal("200.00")]
    page = client.get(subscription.get_absolute_url())
    assert "-12.90" in page.content.decode() or "-12,90" in page.content.decode()


def test_indexation_previews_then_applies(tenant_a, manager_a, client_for):
    client = client_for(manager_a)
    subscription = active_subscription(tenant_a, start=D(2026, 1, 1))
    form = {"mode": "raise", "value": "3.5", "group": subscription.group_id}
    preview = client.post(reverse("subscriptions:indexation"), {**form, "action": "preview"})
    (change,) = preview.context["preview"]
    assert (change.old_price, change.new_price) == (Decimal("200.00"), Decimal("207.00"))
    subscription.refresh_from_db()
    assert subscription.index == Decimal("100")  # the preview changed nothing
    response = client.post(reverse("subscriptions:indexation"), {**form, "action": "apply"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.index == Decimal("103.50")
    refused = client.post(
        reverse("subscriptions:indexation"), {"mode": "set", "value": "0", "action": "preview"}
    )
    assert refused.status_code == 400
    assert "above zero" in " ".join(refused.context["form"].errors["value"])


def test_groups_are_created_and_their_code_is_unique(tenant_a, manager_a, client_for):
    client = client_for(manager_a)
    data = {
        "code": "M1",
        "name": "Monthly in advance",
        "period": "month",
        "timing": "advance",
        "accrual_period": "month",
    }
    client.post(reverse("subscriptions:group_create"), {**data, "submission_token": token()})
    response = client.post(
        reverse("subscriptions:group_create"), {**data, "submission_token": token()}
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert SubscriptionGroup.objects.count() == 1


def test_technicians_and_dispatchers_cannot_open_subscriptions(
    tenant_a, technician_a, dispatcher_a, client_for
):
    for user in (technician_a, dispatcher_a):
        client = client_for(user)
        assert client.get(reverse("subscriptions:subscription_list")).status_code == 403
        assert client.get(reverse("subscriptions:billing")).status_code == 403


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_run_a_constant_number_of_queries(
    tenant_a, manager_a, client_for, django_assert_max_num_queries, rows
):
    client = client_for(manager_a)
    group = SubscriptionGroupFactory(tenant=tenant_a)
    subscriptions = [
        active_subscription(tenant_a, start=D(2026, 1, 1), group=group) for _ in range(rows)
    ]
    run = billing_run(tenant=tenant_a, through=D(2026, 3, 1))
    pages = [
        reverse("subscriptions:subscription_list"),
        reverse("subscriptions:subscription_list") + "?format=csv",
        subscriptions[0].get_absolute_url(),
        reverse("subscriptions:group_list"),
        reverse("subscriptions:price_list"),
        reverse("subscriptions:run_list"),
        run.get_absolute_url(),
        reverse("subscriptions:billing"),
        reverse("subscriptions:deferred_revenue"),
    ]
    for url in pages:
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200, url
