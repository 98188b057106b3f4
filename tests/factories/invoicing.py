"""Factories for invoicing models. Drafts are built directly; issued invoices are made through
the services in the tests (numbers come from the locked counter, never from a factory)."""

from decimal import Decimal

import factory

from invoicing import models as inv

from .customers import CustomerFactory
from .tenancy import TenantFactory


class InvoicingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = inv.InvoicingSettings

    tenant = factory.SubFactory(TenantFactory)


class InvoiceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = inv.InvoiceCounter

    tenant = factory.SubFactory(TenantFactory)
    kind = inv.InvoiceKind.INVOICE
    year = factory.Sequence(lambda n: 2000 + n)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = inv.Invoice

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    currency = "EUR"


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = inv.InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    tenant = factory.LazyAttribute(lambda o: o.invoice.tenant)
    description = factory.Sequence(lambda n: f"Line {n}")
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    amount = Decimal("100.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = inv.Payment

    invoice = factory.SubFactory(InvoiceFactory)
    tenant = factory.LazyAttribute(lambda o: o.invoice.tenant)
    paid_on = factory.Faker("date_this_year")
    amount = Decimal("10.00")
