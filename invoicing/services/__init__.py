"""Every write of the invoice ledger. Other apps call these (never the models' managers):
subscriptions and service orders through ``add_to_draft_invoice``."""

from .drafts import DraftLine, add_to_draft_invoice, open_draft

__all__ = ["DraftLine", "add_to_draft_invoice", "open_draft"]
