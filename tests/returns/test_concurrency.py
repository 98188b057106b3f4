"""Two real connections at once: the cap holds under the invoice line's lock, and a line is
credited once however many people decide its disposition at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from invoicing.models import Invoice, InvoiceKind
from returns import services
from returns.models import Disposition, ReturnCredit, ReturnLine
from tenancy.context import tenant_scope
from tests.factories import TenantFactory

from .isolation_cases_returns import goods_line, issued_goods, new_return, open_return_with_line

pytestmark = pytest.mark.django_db(transaction=True)


def _race(actions):
    start = threading.Barrier(len(actions))
    outcomes = []

    def run(action):
        try:
            start.wait(10)
            outcomes.append(action())
        except (ValidationError, services.ReturnConflict) as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_returns_of_the_same_goods_at_once_cannot_both_pass_the_cap():
    tenant = TenantFactory()
    with tenant_scope(tenant):
        invoice = issued_goods(tenant, quantity="3")
        source = goods_line(invoice).pk
        orders = [new_return(tenant, invoice.customer).pk for _ in range(2)]

    def add(order_id):
        def action():
            with tenant_scope(tenant):
                return services.line_add(
                    tenant=tenant,
                    by=None,
                    return_id=order_id,
                    invoice_line_id=source,
                    quantity=Decimal("2"),
                )

        return action

    outcomes = _race([add(pk) for pk in orders])
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1, outcomes
    total = sum(
        ReturnLine.objects.filter(tenant=tenant, invoice_line_id=source).values_list(
            "quantity", flat=True
        )
    )
    assert total == Decimal("2")


def test_two_credit_dispositions_at_once_credit_the_line_once():
    tenant = TenantFactory()
    with tenant_scope(tenant):
        order, line, _invoice = open_return_with_line(tenant, arrived="2")

    def credit():
        with tenant_scope(tenant):
            return services.disposition_set(
                tenant=tenant,
                by=None,
                return_id=order.pk,
                line_id=line.pk,
                disposition=Disposition.CREDIT,
            )

    outcomes = _race([credit, credit])
    assert sum(isinstance(o, services.ReturnConflict) for o in outcomes) == 1, outcomes
    assert ReturnCredit.objects.filter(tenant=tenant, line=line).count() == 1
    assert Invoice.objects.filter(tenant=tenant, kind=InvoiceKind.CREDIT_NOTE).count() == 1
