"""Every write of the invoice ledger. Other apps call these (never the models' managers):
subscriptions and service orders through ``add_to_draft_invoice``."""

from .drafts import DraftEntry, DraftLine, add_to_draft_invoice, add_to_draft_invoices, open_draft
from .ledger import (
    BulkIssue,
    InvoiceConflict,
    credit_note_create,
    draft_line_remove,
    invoice_cancel,
    invoice_issue,
    invoice_update_notes,
    invoices_issue,
    next_sequence,
    payment_record,
    take_sequences,
)
from .settings import invoicing_settings_update

__all__ = [
    "BulkIssue",
    "DraftEntry",
    "DraftLine",
    "InvoiceConflict",
    "add_to_draft_invoice",
    "add_to_draft_invoices",
    "credit_note_create",
    "draft_line_remove",
    "invoice_cancel",
    "invoice_issue",
    "invoices_issue",
    "invoice_update_notes",
    "invoicing_settings_update",
    "next_sequence",
    "take_sequences",
    "open_draft",
    "payment_record",
]
