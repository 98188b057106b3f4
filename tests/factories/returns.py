"""Factories for returns models. Dispositions, credits and caps are made through the services
in the tests; these build rows for the schema, RLS and admin tests and for arranging pages."""

import datetime
import itertools
from decimal import Decimal

import factory

from invoicing import models as inv
from returns import models as ret

from .customers import CustomerFactory
from .invoicing import InvoiceFactory, InvoiceLineFactory
from .tenancy import TenantFactory

_numbers = itertools.count(1)


def issued_invoice(tenant, customer, **kwargs):
    """An issued invoice (or credit note) row with a number of its own: several can exist for
    one customer, unlike drafts."""
    sequence = next(_numbers)
    return InvoiceFactory(
        tenant=tenant,
        customer=customer,
        state=inv.InvoiceState.ISSUED,
        year=1990,
        sequence=sequence,
        number=f"F-1990-{sequence:05d}",
        issue_date=datetime.date(1990, 1, 1),
        **kwargs,
    )


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
        lambda o: InvoiceLineFactory(invoice=issued_invoice(o.tenant, o.return_order.customer))
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
        lambda o: issued_invoice(
            o.tenant,
            o.line.return_order.customer,
            kind=inv.InvoiceKind.CREDIT_NOTE,
            credited_invoice=o.line.invoice,
        )
    )
    amount = Decimal("10.00")
