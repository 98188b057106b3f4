"""The batched services: many customers' draft lines at once (the billing run's chunk) and
issuing many drafts at once (the list's "Issue these drafts"), in a constant number of
statements, with the same rules as one at a time."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from invoicing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceState
from invoicing.services import (
    DraftEntry,
    DraftLine,
    add_to_draft_invoices,
    invoice_issue,
    invoices_issue,
)
from invoicing.tasks import mail_invoices
from tenancy.context import tenant_scope
from tenancy.models import AuditEvent
from tests.factories import CustomerFactory, TenantFactory

from .isolation_cases_invoicing import draft_for

pytestmark = pytest.mark.django_db


def line(amount: str, text: str = "Maintenance") -> DraftLine:
    return DraftLine(description=text, unit_price=Decimal(amount), tax_rate=Decimal("23"))


def test_lines_of_many_customers_land_on_each_ones_draft_with_totals(tenant_a):
    existing = draft_for(tenant_a, amounts=("10.00",))
    payer = CustomerFactory(tenant=tenant_a)
    branch = CustomerFactory(tenant=tenant_a, invoice_account=payer)
    new = CustomerFactory(tenant=tenant_a)
    drafts = add_to_draft_invoices(
        tenant=tenant_a,
        entries=[
            DraftEntry(existing.customer, "EUR", [line("100.00")]),
            DraftEntry(new, "EUR", [line("50.00"), line("25.00")]),
            DraftEntry(branch, "eur", [line("40.00")]),
            DraftEntry(payer, "EUR", [line("60.00")]),
        ],
    )
    assert drafts[0].pk == existing.pk
    assert drafts[1].customer_id == new.pk and drafts[1].pk != existing.pk
    # The branch's lines go on its invoice account's draft: the same one as the payer's own.
    assert drafts[2].pk == drafts[3].pk and drafts[2].customer_id == payer.pk
    for draft in {d.pk: d for d in drafts}.values():
        stored = Invoice.objects.get(pk=draft.pk)
        lines = InvoiceLine.objects.filter(invoice=stored)
        net = sum((row.amount for row in lines), Decimal("0"))
        # Every amount here taxes to whole cents: no rounding question in the expectation.
        tax = sum((row.amount * row.tax_rate / 100 for row in lines), Decimal("0"))
        assert stored.net_total == net
        assert stored.tax_total == tax
        assert stored.gross_total == net + tax
        assert (draft.net_total, draft.gross_total) == (stored.net_total, stored.gross_total)
    assert Invoice.objects.filter(state=InvoiceState.DRAFT).count() == 3


def test_one_refused_line_saves_nothing_of_the_batch(tenant_a):
    good, bad = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    with pytest.raises(ValidationError) as refused:
        add_to_draft_invoices(
            tenant=tenant_a,
            entries=[
                DraftEntry(good, "PLN", [line("10.00")]),
                DraftEntry(bad, "PLN", [line("10.00", text="   ")]),
            ],
        )
    assert "description" in refused.value.message_dict
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_another_tenants_customer_is_refused(tenant_a, tenant_b):
    theirs = CustomerFactory(tenant=tenant_b)
    with pytest.raises(ValidationError):
        add_to_draft_invoices(tenant=tenant_a, entries=[DraftEntry(theirs, "PLN", [line("1")])])


@pytest.mark.parametrize("size", [3, 30])
def test_a_batch_takes_the_same_statements_whatever_its_size(
    tenant_a, size, django_assert_max_num_queries
):
    customers = [CustomerFactory(tenant=tenant_a) for _ in range(size)]
    half = size // 2
    for customer in customers[:half]:  # half have a draft already, half get one
        draft_for(tenant_a, customer=customer)
    with django_assert_max_num_queries(8):
        add_to_draft_invoices(
            tenant=tenant_a,
            entries=[DraftEntry(c, "EUR", [line("5.00"), line("7.00")]) for c in customers],
        )
    assert InvoiceLine.objects.count() == half + 2 * size


def test_bulk_issue_numbers_consecutively_and_reports_what_it_left(tenant_a):
    first = invoice_issue(tenant=tenant_a, by=None, invoice_id=draft_for(tenant_a).pk)
    drafts = [draft_for(tenant_a) for _ in range(4)]
    empty = draft_for(tenant_a, amounts=())
    negative = draft_for(tenant_a, amounts=("-5.00",))
    result = invoices_issue(
        tenant=tenant_a,
        by=None,
        invoice_ids=[d.pk for d in reversed(drafts)] + [empty.pk, negative.pk, first.pk],
    )
    assert [invoice.pk for invoice in result.issued] == [d.pk for d in drafts]
    assert {invoice.pk for invoice, _reason in result.refused} == {empty.pk, negative.pk, first.pk}
    stored = list(Invoice.objects.filter(pk__in=[d.pk for d in drafts]).order_by("pk"))
    assert [i.sequence for i in stored] == list(range(2, 6))
    assert all(i.state == InvoiceState.ISSUED and i.issue_date and i.due_date for i in stored)
    assert [i.number for i in stored] == [i.number for i in result.issued]
    assert stored[0].gross_total == stored[0].net_total + stored[0].tax_total > 0
    assert Invoice.objects.get(pk=empty.pk).state == InvoiceState.DRAFT
    counter = InvoiceCounter.objects.get(tenant=tenant_a)
    assert counter.last_value == 5
    assert AuditEvent.objects.filter(action="invoicing.issue").count() == 5


@pytest.mark.parametrize("size", [3, 30])
def test_bulk_issue_takes_the_same_statements_whatever_its_size(
    tenant_a, size, django_assert_max_num_queries
):
    ids = [draft_for(tenant_a).pk for _ in range(size)]
    with django_assert_max_num_queries(9):
        result = invoices_issue(tenant=tenant_a, by=None, invoice_ids=ids)
    assert len(result.issued) == size


def test_bulk_issue_mails_after_commit_by_a_task_once(tenant_a, django_capture_on_commit_callbacks):
    with_mail = [
        draft_for(tenant_a, customer=CustomerFactory(tenant=tenant_a, billing_email=f"{n}@c.test"))
        for n in range(2)
    ]
    without = draft_for(
        tenant_a, customer=CustomerFactory(tenant=tenant_a, email="", billing_email="")
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoices_issue(tenant=tenant_a, by=None, invoice_ids=[d.pk for d in [*with_mail, without]])
    assert len(callbacks) == 1 and mail.outbox == []  # nothing rendered nor sent in the issue
    ids = [d.pk for d in with_mail]
    assert mail_invoices.apply(kwargs={"tenant_id": tenant_a.pk, "invoice_ids": ids}).get() == {
        "sent": 2,
        "failed": 0,
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["0@c.test", "1@c.test"]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    # Delivered again (a worker died after sending): nothing is sent twice.
    mail_invoices.apply(kwargs={"tenant_id": tenant_a.pk, "invoice_ids": ids})
    assert len(mail.outbox) == 2


def test_the_list_issues_the_drafts_it_shows_after_confirming(tenant_a, manager_a, client_for):
    client = client_for(manager_a)
    drafts = [draft_for(tenant_a) for _ in range(3)]
    listed = client.get(reverse("invoicing:invoice_list") + "?state=draft")
    assert b'data-testid="issue-drafts"' in listed.content
    url = reverse("invoicing:invoice_issue_drafts")
    asked = client.get(url + "?state=draft")
    assert asked.status_code == 200
    assert b'data-testid="confirmation"' in asked.content
    ids = asked.context["confirmation"].form.initial["ids"]
    assert ids == ",".join(str(d.pk) for d in drafts)
    # A POST without the confirmation changes nothing.
    client.post(url, {"ids": ids})
    assert Invoice.objects.filter(state=InvoiceState.DRAFT).count() == 3
    late = draft_for(tenant_a)  # added after the confirmation was shown: not issued
    done = client.post(url, {"ids": ids, "confirmed": "True"})
    assert done.status_code == 302
    assert Invoice.objects.filter(state=InvoiceState.ISSUED).count() == 3
    assert Invoice.objects.get(pk=late.pk).state == InvoiceState.DRAFT


def test_the_list_never_issues_another_tenants_drafts(tenant_a, tenant_b, manager_a, client_for):
    theirs = draft_for(tenant_b)
    client = client_for(manager_a)
    client.post(
        reverse("invoicing:invoice_issue_drafts"), {"ids": str(theirs.pk), "confirmed": "True"}
    )
    assert Invoice.objects.get(pk=theirs.pk).state == InvoiceState.DRAFT


@pytest.mark.django_db(transaction=True)
def test_bulk_and_single_issues_at_once_keep_numbers_gapless():
    tenant = TenantFactory()
    with tenant_scope(tenant):
        drafts = [draft_for(tenant, customer=CustomerFactory(tenant=tenant)).pk for _ in range(12)]
    batches = [drafts[0:4], drafts[4:8]] + [[pk] for pk in drafts[8:]]
    start = threading.Barrier(len(batches))
    errors = []

    def issue(ids):
        try:
            start.wait(10)
            with tenant_scope(tenant):
                if len(ids) == 1:
                    invoice_issue(tenant=tenant, by=None, invoice_id=ids[0])
                else:
                    invoices_issue(tenant=tenant, by=None, invoice_ids=ids)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(ids,)) for ids in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    sequences = sorted(
        Invoice.objects.filter(tenant=tenant, pk__in=drafts).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(drafts) + 1))
