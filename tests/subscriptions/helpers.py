"""Building subscriptions the way users do (through the services) for the tests."""

import datetime
from decimal import Decimal

from subscriptions.models import Subscription
from subscriptions.services import subscriptions as services
from tests.factories import CustomerFactory, SubscriptionGroupFactory


def active_subscription(
    tenant,
    *,
    start: datetime.date,
    price: Decimal | None = Decimal("200.00"),
    group=None,
    customer=None,
    end: datetime.date | None = None,
    **data,
) -> Subscription:
    """An active subscription created and activated by the services."""
    subscription = services.subscription_create(
        tenant=tenant,
        by=None,
        data={
            "customer": customer or CustomerFactory(tenant=tenant),
            "group": group or SubscriptionGroupFactory(tenant=tenant),
            "description": data.pop("description", "Maintenance fee"),
            "base_price": price,
            "currency": data.pop("currency", "PLN"),
            "start_date": start,
            "end_date": end,
            **data,
        },
    )
    return services.subscription_activate(tenant=tenant, subscription_id=subscription.pk, by=None)
