"""Changes to an order's lines that dispatchers and managers make: cancel a line, revoke the
cancellation, move lines to another open order of the same agreement. Each is refused where the
order's stage does not allow changing lines."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import OPEN_STATES, LineStatus, ServiceOrder, ServiceOrderLine
from .stages import OrderTransitionRefused, order_current_stage


def _lock_order(tenant: Tenant, order_id: int) -> ServiceOrder:
    return (
        ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("stage")
        .get(pk=order_id)
    )


def _check_modifiable(tenant: Tenant, order: ServiceOrder) -> None:
    stage = order_current_stage(tenant=tenant, order=order)
    if order.signed_off_at is not None:  # the signed work receipt lists the lines as they are
        raise OrderTransitionRefused(
            order, _("The customer has signed off this order; its lines can no longer change.")
        )
    if order.state not in OPEN_STATES:
        raise OrderTransitionRefused(
            order,
            _("This order is %(state)s: its lines can no longer change.")
            % {"state": order.get_state_display().lower()},
        )
    if stage is not None and not stage.can_modify:
        raise OrderTransitionRefused(
            order, _("Lines of orders at %(stage)s cannot change.") % {"stage": stage.name}
        )


def _line_label(line: ServiceOrderLine) -> str:
    return line.description or line.get_kind_display()


@transaction.atomic
def line_cancel(
    *, tenant: Tenant, by: User, order_id: int, line_id: int, reason: str
) -> ServiceOrderLine:
    """Cancel a created line of an order, with a reason."""
    order = _lock_order(tenant, order_id)
    line = ServiceOrderLine.objects.for_tenant(tenant).get(order=order, pk=line_id)
    _check_modifiable(tenant, order)
    if line.status != LineStatus.CREATED:
        raise OrderTransitionRefused(
            order,
            _("This line is %(status)s: it cannot be cancelled.")
            % {"status": line.get_status_display().lower()},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the line is cancelled.")})
    line.status = LineStatus.CANCELLED
    line.cancel_reason = reason
    line.save(update_fields=["status", "cancel_reason"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.line_cancel",
        target=order,
        params={"number": order.number, "line": _line_label(line), "reason": reason},
        changes={"line": line.pk, "status": [LineStatus.CREATED, LineStatus.CANCELLED]},
    )
    return line


@transaction.atomic
def line_revoke_cancel(
    *, tenant: Tenant, by: User, order_id: int, line_id: int
) -> ServiceOrderLine:
    """Bring a cancelled line back (status "created")."""
    order = _lock_order(tenant, order_id)
    line = ServiceOrderLine.objects.for_tenant(tenant).get(order=order, pk=line_id)
    _check_modifiable(tenant, order)
    if line.status != LineStatus.CANCELLED:
        raise OrderTransitionRefused(
            order,
            _("This line is %(status)s: only a cancelled line can be brought back.")
            % {"status": line.get_status_display().lower()},
        )
    line.status = LineStatus.CREATED
    line.cancel_reason = ""
    line.save(update_fields=["status", "cancel_reason"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.line_revoke",
        target=order,
        params={"number": order.number, "line": _line_label(line)},
        changes={"line": line.pk, "status": [LineStatus.CANCELLED, LineStatus.CREATED]},
    )
    return line


@transaction.atomic
def lines_move(
    *, tenant: Tenant, by: User, order_id: int, line_ids: list[int], to_order_id: int
) -> ServiceOrder:
    """Move created lines to another open order of the same agreement; returns that order.
    Both orders are locked in id order (no deadlock with a move the other way)."""
    if not line_ids:
        raise ValidationError({"lines": _("Choose the lines to move.")})
    if to_order_id == order_id:
        raise ValidationError({"to_order": _("Choose another order.")})
    locked = {
        o.pk: o
        for o in ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("stage")
        .filter(pk__in=sorted({order_id, to_order_id}))
        .order_by("pk")
    }
    if order_id not in locked:
        raise ServiceOrder.DoesNotExist
    order = locked[order_id]
    target = locked.get(to_order_id)
    if target is None:
        raise ValidationError({"to_order": _("Choose one of your open orders.")})
    if order.agreement_id is None or target.agreement_id != order.agreement_id:
        raise ValidationError(
            {"to_order": _("Lines can move only to another order of the same agreement.")}
        )
    if target.state not in OPEN_STATES:
        raise ValidationError({"to_order": _("Choose an open order.")})
    _check_modifiable(tenant, order)
    _check_modifiable(tenant, target)
    lines = list(
        ServiceOrderLine.objects.for_tenant(tenant).filter(order=order, pk__in=set(line_ids))
    )
    if len(lines) != len(set(line_ids)):
        raise ValidationError({"lines": _("Choose lines of this order.")})
    if any(line.status == LineStatus.POSTED for line in lines):
        raise ValidationError({"lines": _("Posted lines cannot move.")})
    ServiceOrderLine.objects.for_tenant(tenant).filter(pk__in=[line.pk for line in lines]).update(
        order=target
    )
    for source, other in ((order, target), (target, order)):
        audit_record(
            tenant=tenant,
            actor=by,
            action="order.lines_moved_out" if source is order else "order.lines_moved_in",
            target=source,
            params={"number": source.number, "other": other.number, "count": len(lines)},
            changes={"lines": sorted(line.pk for line in lines)},
        )
    return target
