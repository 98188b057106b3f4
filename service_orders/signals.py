"""Signals service orders send for side effects that other parts hook into (SLA clocks, the
dispatch board, notifications). Sent after the transaction that made the change commits."""

from django.dispatch import Signal

# An order changed stage: kwargs tenant_id, order_id, log_id (the StageLog row).
order_stage_changed = Signal()
