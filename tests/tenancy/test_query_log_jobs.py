"""The background jobs and the ledger's services route every statement by tenant_id too.

The page crawls in test_query_log.py cover requests; these run what Celery and the services run
outside a request — the subscription billing run, the SLA escalation sweep and recompute, posting
orders, issuing, paying and crediting invoices — each as its job calls it, and check every
statement with tests.tenancy.querylog (the one list of allowed exceptions is there).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.services import credit_note_create, invoice_issue, payment_record
from service_orders.services.posting import order_post
from service_orders.services.sla_clock import clocks_recompute
from sla.models import EscalationRole
from subscriptions.services.billing import billing_run
from tenancy.context import tenant_scope
from tenancy.roles import Role
from tests.invoicing.isolation_cases_invoicing import draft_for
from tests.service_orders.test_escalations import make_clock, run_sweep, sla_with_levels
from tests.service_orders.test_posting import _completed
from tests.subscriptions.helpers import active_subscription

from .querylog import assert_tenant_routed, capture_statements

pytestmark = pytest.mark.django_db


def test_the_billing_run_routes_every_statement(tenant_a, tenant_b):
    for tenant in (tenant_b, tenant_a):
        active_subscription(tenant, start=datetime.date(2026, 1, 1))
    with capture_statements() as log:
        run = billing_run(tenant=tenant_a, through=datetime.date(2026, 3, 15))
    assert run.fees_created == 3
    assert_tenant_routed(log)


def test_the_escalation_sweep_and_the_recompute_route_every_statement(
    tenant_a, tenant_b, make_member
):
    make_member(tenant_a, Role.DISPATCHER)
    now = timezone.now()
    for tenant in (tenant_b, tenant_a):
        sla = sla_with_levels(tenant, (75, EscalationRole.DISPATCHER))
        make_clock(tenant, sla, next_at=now - datetime.timedelta(minutes=5), percent=75)
    with capture_statements() as log:
        escalated = run_sweep(tenant_a, now)
        with tenant_scope(tenant_a):
            clocks_recompute(tenant=tenant_a, sla_id=sla.pk)
    assert escalated == 1
    assert_tenant_routed(log)


def test_posting_and_the_invoice_ledger_route_every_statement(tenant_a, tenant_b):
    _completed(tenant_b)
    order = _completed(tenant_a)
    with capture_statements() as log:
        invoice_id = order_post(tenant=tenant_a, by=None, order_id=order.pk)
        invoice = invoice_issue(tenant=tenant_a, by=None, invoice_id=invoice_id)
        payment_record(
            tenant=tenant_a,
            by=None,
            invoice_id=invoice.pk,
            amount=Decimal("10.00"),
            paid_on=tenant_a.today(),
        )
        line = invoice.lines.order_by("id").first()
        credit_note_create(
            tenant=tenant_a, by=None, invoice_id=invoice.pk, amounts={line.pk: Decimal("5.00")}
        )
        draft = draft_for(tenant_a)
    assert draft.pk != invoice.pk
    assert_tenant_routed(log)
