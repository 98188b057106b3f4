"""The subscriptions demo: groups, a price list, subscriptions with a billing history, accruals."""

import pytest

from subscriptions import demo
from subscriptions.models import (
    AccrualEntry,
    BillingError,
    BillingRun,
    Fee,
    Subscription,
    SubscriptionGroup,
    SubscriptionState,
)
from tenancy.roles import Role
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_demo_lays_a_billing_history_in_the_tenants_language_once(tenant_a, make_member):
    tenant_a.default_language = "pl"
    tenant_a.currency = "PLN"
    tenant_a.save()
    for _ in range(4):
        CustomerFactory(tenant=tenant_a)
    people = {"manager": make_member(tenant_a, Role.SERVICE_MANAGER)}

    demo.seed(tenant=tenant_a, people=people)

    assert SubscriptionGroup.objects.count() == 3
    assert set(Subscription.objects.values_list("state", flat=True)) == {SubscriptionState.ACTIVE}
    assert Subscription.objects.filter(description="Zdalny monitoring pomp ciepła").exists()
    assert BillingRun.objects.count() > 3 and not BillingError.objects.exists()
    assert Fee.objects.filter(invoice_id__isnull=False).count() > 8
    assert AccrualEntry.objects.filter(posted_at__isnull=False).exists()
    counts = (Subscription.objects.count(), Fee.objects.count(), BillingRun.objects.count())
    demo.seed(tenant=tenant_a, people=people)
    assert (Subscription.objects.count(), Fee.objects.count(), BillingRun.objects.count()) == counts
