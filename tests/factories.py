"""factory_boy factories. Tenant-owned factories take ``tenant`` like any other field."""

import datetime
from decimal import Decimal

import factory

from agreements import models as agr
from service_orders import models as so
from sla import models as sla
from tenancy.models import (
    AuditEvent,
    Membership,
    NumberSequence,
    SubmissionToken,
    Tenant,
    User,
)
from tenancy.roles import Role


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    time_zone = "Europe/Warsaw"
    currency = "PLN"
    default_language = "en"
    country = "PL"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.SERVICE_MANAGER


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    tenant = factory.SubFactory(TenantFactory)
    action = "settings.update"
    target_type = "tenancy.tenant"
    target_id = factory.LazyAttribute(lambda o: o.tenant.pk)
    summary = factory.Sequence(lambda n: f"Event {n}")


# --- sla -----------------------------------------------------------------------------------------


class ServiceLevelAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.ServiceLevelAgreement

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"SLA{n}")
    name = factory.Sequence(lambda n: f"Service level {n}")


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.BusinessCalendar

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Calendar {n}")
    is_default = True


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    tenant = factory.LazyAttribute(lambda o: o.calendar.tenant)
    date = datetime.date(2026, 12, 25)
    name = "Holiday"


# --- agreements: master data ---------------------------------------------------------------------


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.Customer

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"C-{n:06d}")
    name = factory.Faker("company")


class CustomerSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.CustomerSite

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    name = "Main site"
    street = factory.Faker("street_address")
    postal_code = "00-001"
    city = factory.Faker("city")
    is_default = False


class CustomerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.CustomerContact

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.test")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.Item

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"I-{n:06d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    cost_price = Decimal("10.00")
    sales_price = Decimal("15.00")


class ServiceTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.ServiceTask

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"Task {n}")


class ServiceObjectGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.ServiceObjectGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class ServiceObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.ServiceObject

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"OBJ-{n:06d}")
    name = factory.Sequence(lambda n: f"Boiler {n}")


# --- agreements ----------------------------------------------------------------------------------


class AgreementGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"GRP{n}")
    name = factory.Sequence(lambda n: f"Gold {n}")


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
    transaction_type = agr.TransactionType.HOUR
    interval_unit = agr.IntervalUnit.MONTH
    interval_count = 1
    quantity = Decimal("1")
    unit_price = Decimal("100.00")


# --- service orders ------------------------------------------------------------------------------


class ServiceOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrder

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"SO-{n:06d}")
    description = factory.Sequence(lambda n: f"Repair {n}")


class ServiceOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrderLine

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    description = "Work"
    quantity = Decimal("1")
    unit_price = Decimal("50.00")


class NumberSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberSequence

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: f"sequence-{n}")


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


class GenerationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.GenerationRun

    tenant = factory.SubFactory(TenantFactory)
    trigger = agr.GenerationTrigger.MANUAL
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 1, 31)


class GenerationErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.GenerationError

    run = factory.SubFactory(GenerationRunFactory)
    tenant = factory.LazyAttribute(lambda o: o.run.tenant)
    agreement = factory.LazyAttribute(
        lambda o: AgreementFactory(customer=CustomerFactory(tenant=o.tenant))
    )
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 1, 31)
    message = "Boom"


class SubmissionTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubmissionToken

    tenant = factory.SubFactory(TenantFactory)
    token = factory.Faker("uuid4", cast_to=None)


class AgreementSuspensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = agr.AgreementSuspension

    agreement = factory.SubFactory(AgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    suspended_from = datetime.date(2026, 3, 1)


def factory_for_model(model) -> type[factory.django.DjangoModelFactory] | None:
    """The factory of this module that builds ``model`` (tests that run over every model)."""
    for value in globals().values():
        if (
            isinstance(value, type)
            and issubclass(value, factory.django.DjangoModelFactory)
            and value._meta.model is model
        ):
            return value
    return None
