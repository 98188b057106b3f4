"""Factories for customers models."""

from decimal import Decimal

import factory

from customers import models as cust

from .tenancy import TenantFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.Customer

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"C-{n:06d}")
    name = factory.Faker("company")


class CustomerSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.CustomerSite

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    name = "Main site"
    street = factory.Faker("street_address")
    postal_code = "00-001"
    city = factory.Faker("city")
    is_default = False


class CustomerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.CustomerContact

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.test")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.Item

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"I-{n:06d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    cost_price = Decimal("10.00")
    sales_price = Decimal("15.00")


class ServiceTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.ServiceTask

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"Task {n}")


class ServiceObjectGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.ServiceObjectGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class ServiceObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.ServiceObject

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"OBJ-{n:06d}")
    name = factory.Sequence(lambda n: f"Boiler {n}")


# --- agreements ----------------------------------------------------------------------------------


class AgreementGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.AgreementGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"GRP{n}")
    name = factory.Sequence(lambda n: f"Gold {n}")


class ContactLoginFactory(factory.django.DjangoModelFactory):
    """A customer contact's login bound to its customer (the membership is the test's own)."""

    class Meta:
        model = cust.ContactLogin

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    user = factory.SubFactory("tests.factories.tenancy.UserFactory")
    contact = factory.LazyAttribute(
        lambda o: CustomerContactFactory(customer=o.customer, email=o.user.email)
    )


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cust.CustomerGroup

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"G{n:03d}")
    name = factory.Sequence(lambda n: f"Group {n}")
