"""Isolation cases for the invoice URLs, and the record builders the invoicing tests share."""

from decimal import Decimal

from invoicing.services import DraftLine, add_to_draft_invoice, invoice_issue
from tests.factories import CustomerFactory


def draft_for(tenant, *, customer=None, amounts=("100.00",), currency="EUR"):
    customer = customer or CustomerFactory(tenant=tenant, email="billing@customer.test")
    return add_to_draft_invoice(
        tenant=tenant,
        customer=customer,
        currency=currency,
        lines=[
            DraftLine(
                description=f"Maintenance {i}",
                quantity=Decimal("1"),
                unit_price=Decimal(amount),
                source="manual",
            )
            for i, amount in enumerate(amounts)
        ],
    )


def issued_for(tenant, **kwargs):
    draft = draft_for(tenant, **kwargs)
    return invoice_issue(tenant=tenant, by=None, invoice_id=draft.pk)


def _draft(tenant):
    return {"pk": draft_for(tenant).pk}


def _issued(tenant):
    return {"pk": issued_for(tenant).pk}


def _draft_line(tenant):
    draft = draft_for(tenant)
    return {"pk": draft.pk, "line_pk": draft.lines.get().pk}


CASES = {
    "invoicing:invoice_detail": _issued,
    "invoicing:invoice_pdf": _issued,
    "invoicing:invoice_issue": _draft,
    "invoicing:invoice_cancel": _draft,
    "invoicing:invoice_notes": _draft,
    "invoicing:draft_line_remove": _draft_line,
    "invoicing:payment_add": _issued,
    "invoicing:credit_note_create": _issued,
}
