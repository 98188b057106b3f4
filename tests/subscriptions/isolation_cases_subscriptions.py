"""Isolation cases for the subscription URLs that take an id."""

import datetime
from decimal import Decimal

from subscriptions.services import subscriptions as services
from tests.factories import (
    BillingRunFactory,
    CustomerFactory,
    PriceListRowFactory,
    SubscriptionGroupFactory,
)


def _subscription(tenant, *, active=True):
    subscription = services.subscription_create(
        tenant=tenant,
        by=None,
        data={
            "customer": CustomerFactory(tenant=tenant),
            "group": SubscriptionGroupFactory(tenant=tenant),
            "description": "Maintenance fee",
            "base_price": Decimal("100.00"),
            "currency": "EUR",
            "start_date": datetime.date(2026, 1, 1),
        },
    )
    if active:
        services.subscription_activate(tenant=tenant, subscription_id=subscription.pk, by=None)
    return subscription


def _active(tenant):
    return {"pk": _subscription(tenant).pk}


def _draft(tenant):
    return {"pk": _subscription(tenant, active=False).pk}


def _paused(tenant):
    subscription = _subscription(tenant)
    services.subscription_pause(tenant=tenant, subscription_id=subscription.pk, by=None)
    return {"pk": subscription.pk}


CASES = {
    "subscriptions:subscription_detail": _active,
    "subscriptions:subscription_edit": _active,
    "subscriptions:subscription_activate": _draft,
    "subscriptions:subscription_pause": _active,
    "subscriptions:subscription_resume": _paused,
    "subscriptions:subscription_cancel": _active,
    "subscriptions:reduction_add": _active,
    "subscriptions:one_off_add": _active,
    "subscriptions:group_edit": lambda tenant: {"pk": SubscriptionGroupFactory(tenant=tenant).pk},
    "subscriptions:price_delete": lambda tenant: {"pk": PriceListRowFactory(tenant=tenant).pk},
    "subscriptions:run_detail": lambda tenant: {"pk": BillingRunFactory(tenant=tenant).pk},
}
