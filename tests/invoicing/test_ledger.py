"""Issuing (gapless numbers per tenant and year, also under concurrent issue), cancelling,
payments and credit notes."""

import io
import re
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from pypdf import PdfReader

from invoicing import hooks
from invoicing.documents import render_invoice_pdf
from invoicing.models import Invoice, InvoiceKind, InvoiceState, Payment
from invoicing.services import (
    InvoiceConflict,
    credit_note_create,
    invoice_cancel,
    invoice_issue,
    payment_record,
)
from tenancy.context import tenant_scope
from tests.factories import CustomerFactory, InvoicingSettingsFactory, TenantFactory

from .isolation_cases_invoicing import draft_for, issued_for

pytestmark = pytest.mark.django_db


def test_issue_gives_consecutive_numbers_and_a_cancelled_draft_leaves_no_gap(tenant_a):
    first = issued_for(tenant_a)
    cancelled = draft_for(tenant_a)
    invoice_cancel(tenant=tenant_a, by=None, invoice_id=cancelled.pk)
    second = issued_for(tenant_a)
    year = tenant_a.today().year
    assert (first.year, first.sequence) == (year, 1)
    assert (second.year, second.sequence) == (year, 2)
    assert first.number.endswith(f"{year}-00001") and second.number.endswith(f"{year}-00002")
    assert Invoice.objects.get(pk=cancelled.pk).number == ""


def test_numbers_are_per_tenant_and_start_again_each_year(tenant_a, tenant_b):
    with time_machine.travel("2026-12-31 12:00Z", tick=False):
        last_2026 = issued_for(tenant_a)
        other_tenant = issued_for(tenant_b)
    with time_machine.travel("2027-01-02 12:00Z", tick=False):
        first_2027 = issued_for(tenant_a)
    assert (last_2026.year, last_2026.sequence) == (2026, 1)
    assert (other_tenant.year, other_tenant.sequence) == (2026, 1)
    assert (first_2027.year, first_2027.sequence) == (2027, 1)


def test_issue_freezes_customer_data_sets_due_date_and_mails_after_commit(
    tenant_a, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(
        tenant=tenant_a,
        billing_address="ul. Długa 1\n00-001 Warszawa",
        tax_id="PL123",
        payment_terms_days=30,
        billing_email="ap@customer.test",
        language="pl",
    )
    draft = draft_for(tenant_a, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED
    assert (invoice.due_date - invoice.issue_date).days == 30
    assert invoice.bill_to_tax_id == "PL123" and invoice.language == "pl"
    customer.tax_id = "changed"
    customer.save()
    invoice.refresh_from_db()
    assert invoice.bill_to_tax_id == "PL123"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ap@customer.test"]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    assert invoice.sent_to == "ap@customer.test"


def test_an_empty_draft_cannot_be_issued(tenant_a):
    draft = draft_for(tenant_a, amounts=())
    with pytest.raises(ValidationError):
        invoice_issue(tenant=tenant_a, by=None, invoice_id=draft.pk)
    draft.refresh_from_db()
    assert draft.state == InvoiceState.DRAFT and draft.sequence is None


def test_issuing_twice_is_a_conflict(tenant_a):
    invoice = issued_for(tenant_a)
    with pytest.raises(InvoiceConflict):
        invoice_issue(tenant=tenant_a, by=None, invoice_id=invoice.pk)


def test_issued_hook_runs_in_the_issuing_transaction(tenant_a):
    seen = []

    def hook(*, tenant, invoice, lines):
        seen.append((invoice.number, len(lines)))

    hooks.register_issued_hook(hook)
    try:
        invoice = issued_for(tenant_a, amounts=("10.00", "20.00"))
    finally:
        hooks._issued.remove(hook)
    assert seen == [(invoice.number, 2)]


def test_partial_payments_then_paid(tenant_a):
    invoice = issued_for(tenant_a, amounts=("100.00",))
    today = tenant_a.today()
    payment_record(
        tenant=tenant_a, by=None, invoice_id=invoice.pk, amount=Decimal("40.00"), paid_on=today
    )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED and invoice.open_amount == Decimal("60.00")
    with pytest.raises(ValidationError) as err:
        payment_record(
            tenant=tenant_a, by=None, invoice_id=invoice.pk, amount=Decimal("60.01"), paid_on=today
        )
    assert "amount" in err.value.message_dict
    payment_record(
        tenant=tenant_a, by=None, invoice_id=invoice.pk, amount=Decimal("60.00"), paid_on=today
    )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID and invoice.open_amount == 0
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_credit_note_references_the_invoice_and_cannot_credit_more_than_invoiced(tenant_a):
    InvoicingSettingsFactory(tenant=tenant_a, default_tax_rate=Decimal("23"))
    invoice = issued_for(tenant_a, amounts=("100.00", "50.00"))
    first, second = invoice.lines.order_by("id")
    with pytest.raises(ValidationError):
        credit_note_create(
            tenant=tenant_a,
            by=None,
            invoice_id=invoice.pk,
            amounts={first.pk: Decimal("100.01")},
        )
    note = credit_note_create(
        tenant=tenant_a,
        by=None,
        invoice_id=invoice.pk,
        amounts={first.pk: Decimal("40.00")},
        reason="Visit cut short",
    )
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.credited_invoice_id == invoice.pk
    assert note.sequence == 1 and note.number.startswith("CN-")
    assert note.gross_total == Decimal("40.00") + Decimal("9.20")
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED and invoice.credited_total == note.gross_total
    # What is left of the first line: 60.00; 60.01 is refused, nothing is saved.
    with pytest.raises(ValidationError):
        credit_note_create(
            tenant=tenant_a, by=None, invoice_id=invoice.pk, amounts={first.pk: Decimal("60.01")}
        )
    credit_note_create(
        tenant=tenant_a,
        by=None,
        invoice_id=invoice.pk,
        amounts={first.pk: Decimal("60.00"), second.pk: Decimal("50.00")},
    )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.CREDITED and invoice.open_amount == 0
    assert Invoice.objects.filter(credited_invoice=invoice).count() == 2


def test_a_draft_cannot_be_credited_nor_paid(tenant_a):
    draft = draft_for(tenant_a)
    with pytest.raises(InvoiceConflict):
        credit_note_create(
            tenant=tenant_a,
            by=None,
            invoice_id=draft.pk,
            amounts={draft.lines.get().pk: Decimal("1")},
        )
    with pytest.raises(InvoiceConflict):
        payment_record(
            tenant=tenant_a,
            by=None,
            invoice_id=draft.pk,
            amount=Decimal("1"),
            paid_on=tenant_a.today(),
        )


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("language", "currency", "expected_total"),
    [("pl", "PLN", "1 476,00 zł"), ("pt-br", "BRL", "R$ 1.476,00"), ("en", "EUR", "€1,476.00")],
)
def test_the_pdf_parses_back_with_number_and_totals_in_the_customers_language(
    tenant_a, language, currency, expected_total
):
    InvoicingSettingsFactory(
        tenant=tenant_a, default_tax_rate=Decimal("23"), legal_name="Alpha Serwis Sp. z o.o."
    )
    customer = CustomerFactory(tenant=tenant_a, language=language)
    invoice = issued_for(
        tenant_a, customer=customer, amounts=("1000.00", "200.00"), currency=currency
    )
    text = _pdf_text(render_invoice_pdf(tenant=tenant_a, invoice=invoice))
    normalised = re.sub(r"[\u00a0\u202f]", " ", text)
    assert invoice.number in text
    assert "Alpha Serwis Sp. z o.o." in text
    # 1 200,00 net + 23 % tax = 1 476,00, written as the customer's language writes money.
    assert invoice.gross_total == Decimal("1476.00")
    assert expected_total in normalised


@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_from_real_connections_keeps_numbers_gapless():
    tenant = TenantFactory()
    with tenant_scope(tenant):
        drafts = [draft_for(tenant, customer=CustomerFactory(tenant=tenant)).pk for _ in range(12)]
    start = threading.Barrier(len(drafts))
    errors = []

    def issue(pk):
        try:
            start.wait(10)
            with tenant_scope(tenant):
                invoice_issue(tenant=tenant, by=None, invoice_id=pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(pk,)) for pk in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    sequences = sorted(
        Invoice.objects.filter(tenant=tenant, pk__in=drafts).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(drafts) + 1))
