"""Factories for agreements models."""

import datetime
from decimal import Decimal

import factory

from agreements import models as agr
from agreements.rates import rate_key
from customers import models as cust

from .customers import CustomerFactory, ServiceObjectFactory, ServiceTaskFactory
from .tenancy import TenantFactory


class TemplateGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.TemplateGroup

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Templates {n}")


class AgreementFactory(factory.django.DjangoModelFactory):
    """A draft agreement; pass state=AgreementState.ACTIVE for an active one (the FSM field is
    protected, so the factory writes the state through a queryset update)."""

    class Meta:
        model = agr.Agreement

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"AG-{n:06d}")
    description = factory.Sequence(lambda n: f"Maintenance {n}")
    start_date = datetime.date(2026, 1, 1)
    end_date = None
    currency = "PLN"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        state = kwargs.pop("state", None)
        obj = super()._create(model_class, *args, **kwargs)
        if state:
            model_class.objects.filter(pk=obj.pk).update(state=state)
            # refresh_from_db() would be refused by the protected FSM field: read it anew.
            obj = model_class.objects.get(pk=obj.pk)
        return obj


class AgreementLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementLine

    agreement = factory.SubFactory(AgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    position = factory.Sequence(lambda n: (n + 1) * 10)
    kind = cust.LineKind.HOUR
    interval_unit = agr.IntervalUnit.MONTH
    interval_count = 1
    quantity = Decimal("1")
    unit_price = Decimal("100.00")


# --- service orders ------------------------------------------------------------------------------


class AgreementObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementObject

    agreement = factory.SubFactory(AgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    service_object = factory.SubFactory(
        ServiceObjectFactory, customer=factory.SelfAttribute("..agreement.customer")
    )


class AgreementTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementTask

    agreement = factory.SubFactory(AgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    task = factory.SubFactory(
        ServiceTaskFactory, tenant=factory.SelfAttribute("..agreement.tenant")
    )


class AgreementSuspensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementSuspension

    agreement = factory.SubFactory(AgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    suspended_from = datetime.date(2026, 3, 1)


class AgreementRateFactory(factory.django.DjangoModelFactory):
    """An hour rate for every task on an agreement's rate card (pass group= and agreement=None
    for a group default); ``key`` follows the entry as the service sets it."""

    class Meta:
        model = agr.AgreementRate

    agreement = factory.SubFactory(AgreementFactory)
    group = None
    tenant = factory.LazyAttribute(
        lambda o: o.agreement.tenant if o.agreement is not None else o.group.tenant
    )
    kind = agr.RateKind.HOUR
    task = None
    task_category = ""
    item = None
    description = ""
    currency = factory.LazyAttribute(
        lambda o: o.agreement.currency if o.agreement is not None else "PLN"
    )
    sales_price = Decimal("80.00")
    cost_price = Decimal("45.00")
    key = factory.LazyAttribute(
        lambda o: rate_key(
            kind=o.kind,
            task_id=o.task.pk if o.task else None,
            task_category=o.task_category,
            item_id=o.item.pk if o.item else None,
            description=o.description,
        )
    )
