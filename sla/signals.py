"""Signals the SLA app sends for higher apps (it names none of them).

``sla_timing_changed``: an SLA's targets or threshold, or a calendar's hours, holidays or time
zone changed; kwargs ``tenant_id`` and ``calendar_id`` or ``sla_id``. Sent after the commit;
service orders recompute the open clocks it affects in a background job.
"""

from django.db import transaction
from django.dispatch import Signal

sla_timing_changed = Signal()


def timing_changed(*, tenant_id: int, calendar_id: int | None = None, sla_id: int | None = None):
    """Tell the listeners once the current transaction commits."""
    transaction.on_commit(
        lambda: sla_timing_changed.send(
            sender=None, tenant_id=tenant_id, calendar_id=calendar_id, sla_id=sla_id
        ),
        robust=True,
    )
