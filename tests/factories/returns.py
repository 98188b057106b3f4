"""Factories for returns models. Dispositions, credits and caps are made through the services
in the tests; these build rows for the schema, RLS and admin tests and for arranging pages."""

import datetime
from decimal import Decimal

import factory

from returns import models as ret

from .customers import CustomerFactory
from .invoicing import InvoiceFactory, InvoiceLineFactory
from .tenancy import TenantFactory


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ret.ReturnReason

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"reason-{n}")
    name = factory.Sequence(lambda n: f"Reason {n}")


class ReturnOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ret.ReturnOrder

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    reason = factory.LazyAttribute(lambda o: ReturnReasonFactory(tenant=o.tenant))
    number = factory.Sequence(lambda n: f"RMA-{n:06d}")
    deadline = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=14))


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ret.ReturnLine

    return_order = factory.SubFactory(ReturnOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.return_order.tenant)
    invoice_line = factory.LazyAttribute(
        lambda o: InvoiceLineFactory(
            invoice=InvoiceFactory(tenant=o.tenant, customer=o.return_order.customer)
        )
    )
    invoice = factory.LazyAttribute(lambda o: o.invoice_line.invoice)
    description = factory.Sequence(lambda n: f"Returned {n}")
    quantity = Decimal("1")


class ReturnCreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ret.ReturnCredit

    line = factory.SubFactory(ReturnLineFactory)
    tenant = factory.LazyAttribute(lambda o: o.line.tenant)
    credit_note = factory.LazyAttribute(
        lambda o: InvoiceFactory(tenant=o.tenant, customer=o.line.return_order.customer)
    )
    amount = Decimal("10.00")
