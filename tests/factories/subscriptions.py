"""Factories for subscriptions models."""

import datetime
from decimal import Decimal

import factory

from subscriptions import models as sub

from .customers import CustomerFactory
from .tenancy import TenantFactory


class SubscriptionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.SubscriptionGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"Maintenance plan {n}")
    period = sub.PeriodKind.MONTH
    timing = sub.Timing.ADVANCE


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A draft subscription; pass state=SubscriptionState.ACTIVE (with next_period_start and
    next_due_on) for an active one: the FSM field is protected, so the factory writes the state
    through a queryset update. Prefer subscriptions.services.subscription_activate in tests of
    behaviour."""

    class Meta:
        model = sub.Subscription

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    group = factory.SubFactory(SubscriptionGroupFactory, tenant=factory.SelfAttribute("..tenant"))
    number = factory.Sequence(lambda n: f"SUB-{n:06d}")
    description = factory.Sequence(lambda n: f"Maintenance fee {n}")
    base_price = Decimal("200.00")
    index = Decimal("100")
    currency = "PLN"
    start_date = datetime.date(2026, 1, 1)
    end_date = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = kwargs.pop("state", None)
        obj = super()._create(model_class, *args, **kwargs)
        if state:
            model_class.objects.filter(pk=obj.pk).update(state=state)
            obj = model_class.objects.get(pk=obj.pk)
        return obj


class PriceListRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.PriceListRow

    tenant = factory.SubFactory(TenantFactory)
    period = sub.PeriodKind.MONTH
    currency = "PLN"
    valid_from = datetime.date(2020, 1, 1)
    price = Decimal("100.00")


class ReductionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.Reduction

    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.LazyAttribute(lambda o: o.subscription.tenant)
    kind = sub.ReductionKind.DAYS
    start_date = datetime.date(2026, 3, 10)
    end_date = datetime.date(2026, 3, 11)


class OneOffFeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.OneOffFee

    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.LazyAttribute(lambda o: o.subscription.tenant)
    description = "Set-up"
    charge_on = datetime.date(2026, 1, 15)
    amount = Decimal("50.00")


class BillingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.BillingRun

    tenant = factory.SubFactory(TenantFactory)
    trigger = sub.RunTrigger.MANUAL
    through = datetime.date(2026, 1, 31)


class SubscriptionPauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.SubscriptionPause

    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.LazyAttribute(lambda o: o.subscription.tenant)
    start_date = datetime.date(2026, 2, 1)
    end_date = datetime.date(2026, 2, 14)


class FeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.Fee

    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.LazyAttribute(lambda o: o.subscription.tenant)
    kind = sub.FeeKind.REGULAR
    period_start = factory.Sequence(lambda n: datetime.date(2000, 1, 1) + datetime.timedelta(n))
    period_end = factory.LazyAttribute(lambda o: o.period_start)
    description = "Maintenance fee"
    unit_price = Decimal("200.00")
    proration_factor = Decimal("1")
    amount = Decimal("200.00")
    currency = "PLN"
    one_off = factory.SubFactory(
        OneOffFeeFactory, subscription=factory.SelfAttribute("..subscription")
    )
    run = factory.SubFactory(BillingRunFactory, tenant=factory.SelfAttribute("..tenant"))


class BillingErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.BillingError

    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.LazyAttribute(lambda o: o.subscription.tenant)
    run = factory.SubFactory(BillingRunFactory, tenant=factory.SelfAttribute("..tenant"))
    message = "No price"


class AccrualEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sub.AccrualEntry

    fee = factory.SubFactory(FeeFactory)
    tenant = factory.LazyAttribute(lambda o: o.fee.tenant)
    month = factory.Sequence(lambda n: datetime.date(2000 + n // 12, n % 12 + 1, 1))
    amount = Decimal("10.00")
    currency = "PLN"
    invoiced_on = datetime.date(2026, 1, 1)
