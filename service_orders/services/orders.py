"""Writes on a single service order: creating one by hand, cancelling and revoking a
cancellation, deleting, assigning a technician. Stage moves are in ``stages``."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer, CustomerSite, LineKind
from tenancy.models import Tenant, User
from tenancy.services import audit_record, sequence_next_number

from ..models import (
    DeletedOccurrence,
    LineStatus,
    OrderState,
    Origin,
    ServiceOrder,
    ServiceOrderLine,
    StageLog,
    StageLogKind,
)
from ..selectors import (
    cancel_stage,
    order_current_stage,
    order_generation_settings,
    technician_choices,
)
from .stages import (
    OrderTransitionRefused,
    reason_for,
    stage_log_write,
    stage_tree_ensure,
)

__all__ = [
    "OrderTransitionRefused",
    "order_assign",
    "order_cancel",
    "order_create",
    "order_delete",
    "order_revoke_cancel",
]


def _locked(tenant: Tenant, order_id: int) -> ServiceOrder:
    return (
        ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("stage")
        .get(pk=order_id)
    )


@transaction.atomic
def order_cancel(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    reason: str = "",
    reason_code_id: int | None = None,
) -> ServiceOrder:
    """Cancel an open order, keeping why (shown on its page and in its timeline); it goes to
    the tenant's cancelled stage. ServiceOrder.DoesNotExist for another tenant's order;
    OrderTransitionRefused when it is already completed, posted or cancelled, or its stage does
    not allow cancelling; ValidationError when the cancelled stage requires a reason."""
    order = _locked(tenant, order_id)
    if not can_proceed(order.cancel):
        raise OrderTransitionRefused(
            order,
            _("This order is %(state)s now and can no longer be cancelled.")
            % {"state": order.get_state_display().lower()},
        )
    current = order_current_stage(tenant=tenant, order=order)
    if current is not None and not current.can_cancel:
        raise OrderTransitionRefused(
            order, _("Orders at %(stage)s cannot be cancelled.") % {"stage": current.name}
        )
    target = cancel_stage(tenant=tenant, stage=current)
    reason_code, text = None, reason.strip()
    if target is not None:
        reason_code, text = reason_for(
            tenant=tenant, stage=target, reason_code_id=reason_code_id, reason_text=reason
        )
    previous = order.state
    order.cancel()
    order.stage = target
    order.cancel_reason = " · ".join(
        p for p in (reason_code.name if reason_code else "", text) if p
    )
    order.save(update_fields=["state", "stage", "cancel_reason"])
    stage_log_write(
        tenant=tenant,
        order=order,
        by=by,
        kind=StageLogKind.CANCEL,
        from_stage=current,
        from_state=previous,
        reason=reason_code,
        reason_text=text,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.cancel",
        target=order,
        params={"number": order.number, "reason": order.cancel_reason},
        changes={"state": [previous, order.state]},
    )
    return order


@transaction.atomic
def order_revoke_cancel(
    *, tenant: Tenant, by: User, order_id: int, reason: str = ""
) -> ServiceOrder:
    """Undo a cancellation: the order goes back to the stage (and state) it was cancelled
    from, or to the initial stage when that is unknown. OrderTransitionRefused when it is not
    cancelled."""
    order = _locked(tenant, order_id)
    if order.state != OrderState.CANCELLED:
        raise OrderTransitionRefused(
            order,
            _("This order is %(state)s: only a cancelled order can be reopened.")
            % {"state": order.get_state_display().lower()},
        )
    last_cancel = (
        StageLog.objects.for_tenant(tenant)
        .filter(order=order, kind=StageLogKind.CANCEL)
        .select_related("from_stage")
        .order_by("-at", "-id")
        .first()
    )
    back_to = last_cancel.from_stage if last_cancel and last_cancel.from_stage else None
    if back_to is None or back_to.state not in (
        OrderState.NEW,
        OrderState.SCHEDULED,
        OrderState.IN_PROGRESS,
        OrderState.ON_HOLD,
    ):
        back_to = stage_tree_ensure(tenant=tenant)
    current = order.stage
    previous = order.state
    order.revoke_cancel(back_to.state)
    order.stage = back_to
    order.cancel_reason = ""
    order.save(update_fields=["state", "stage", "cancel_reason"])
    stage_log_write(
        tenant=tenant,
        order=order,
        by=by,
        kind=StageLogKind.REVOKE,
        from_stage=current,
        from_state=previous,
        reason_text=reason.strip(),
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.revoke_cancel",
        target=order,
        params={"number": order.number, "stage": back_to.name},
        changes={"state": [previous, order.state]},
    )
    return order


@transaction.atomic
def order_delete(*, tenant: Tenant, by: User, order_id: int) -> str:
    """Delete an order whose stage allows it and that has no posted lines; returns its number.
    A generated order's occurrences are recorded (``DeletedOccurrence``) so that generation
    never creates them again."""
    order = _locked(tenant, order_id)
    current = order_current_stage(tenant=tenant, order=order)
    if current is None or not current.can_delete:
        raise OrderTransitionRefused(
            order,
            _("Orders at %(stage)s cannot be deleted.")
            % {"stage": current.name if current else order.get_state_display()},
        )
    lines = ServiceOrderLine.objects.for_tenant(tenant).filter(order=order)
    if lines.filter(status=LineStatus.POSTED).exists():
        raise OrderTransitionRefused(order, _("This order has posted lines: it cannot be deleted."))
    generated = list(
        lines.filter(agreement_line__isnull=False, calculated_date__isnull=False).values_list(
            "agreement_line_id", "calculated_date"
        )
    )
    DeletedOccurrence.objects.bulk_create(
        [
            DeletedOccurrence(
                tenant=tenant,
                agreement_line_id=line_id,
                calculated_date=day,
                order_number=order.number,
                deleted_by=by,
            )
            for line_id, day in generated
        ],
        ignore_conflicts=True,
    )
    number = order.number
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.delete",
        target=order,
        params={"number": number, "lines": len(generated)},
    )
    StageLog.objects.for_tenant(tenant).filter(order=order).delete()
    lines.delete()
    order.delete()
    return number


def _check_technician(tenant: Tenant, technician: User | None, field: str) -> None:
    if technician is None:
        return
    if not technician_choices(tenant=tenant).filter(pk=technician.pk).exists():
        raise ValidationError({field: _("Choose one of your technicians.")})


@transaction.atomic
def order_assign(
    *, tenant: Tenant, by: User, order_id: int, technician: User | None
) -> ServiceOrder:
    """Assign the order to a technician (None: unassign). Only open orders."""
    order = _locked(tenant, order_id)
    _check_technician(tenant, technician, "technician")
    if order.state not in (
        OrderState.NEW,
        OrderState.SCHEDULED,
        OrderState.IN_PROGRESS,
        OrderState.ON_HOLD,
    ):
        raise OrderTransitionRefused(
            order,
            _("This order is %(state)s: it can no longer be assigned.")
            % {"state": order.get_state_display().lower()},
        )
    before = order.assigned_technician_id
    order.assigned_technician = technician
    order.save(update_fields=["assigned_technician"])
    if before != order.assigned_technician_id:
        audit_record(
            tenant=tenant,
            actor=by,
            action="order.assign",
            target=order,
            params={
                "number": order.number,
                "technician": (technician.get_full_name() or technician.email)
                if technician
                else "",
            },
            changes={"assigned_technician": [before, order.assigned_technician_id]},
        )
    return order


def _hours(task) -> Decimal:
    minutes = getattr(task, "default_duration_minutes", None) or 60
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))


@transaction.atomic
def order_create(
    *, tenant: Tenant, by: User, data: dict, origin: str = Origin.MANUAL
) -> ServiceOrder:
    """An order made by hand (or from an accepted web request: ``origin``), at the tenant's
    initial stage.

    ``data``: customer; agreement (required when the tenant's settings say so; the
    customer's, not a template); site (the customer's; defaults to its default site) or a
    one-off ``address``; contact (the customer's); description; priority; preferred_date;
    window_start/window_end; sla (the order's own, above the agreement's and customer's);
    objects and tasks (planned hour lines: one per object and task);
    assigned_technician (a technician of the tenant)."""
    customer = data["customer"]
    errors: dict[str, str] = {}
    if customer.tenant_id != tenant.pk:
        raise ValidationError({"customer": _("Choose one of your customers.")})
    agreement = data.get("agreement")
    if agreement is None and order_generation_settings(tenant=tenant).agreement_required:
        errors["agreement"] = _("Orders need an agreement: choose one of the customer's.")
    elif agreement is not None and (agreement.customer_id != customer.pk or agreement.is_template):
        errors["agreement"] = _("Choose an agreement of %(customer)s.") % {
            "customer": customer.name
        }
    site = data.get("site")
    address = (data.get("address") or "").strip()
    if site is not None and site.customer_id != customer.pk:
        errors["site"] = _("Choose a site of %(customer)s.") % {"customer": customer.name}
    elif site is not None and site.is_archived:
        errors["site"] = _("This site is archived: choose another one or restore it first.")
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = _("Choose a contact of %(customer)s.") % {"customer": customer.name}
    elif contact is not None and contact.is_archived:
        errors["contact"] = _("This contact is archived: choose another one or restore it first.")
    start, end = data.get("window_start"), data.get("window_end")
    if start and end and end < start:
        errors["window_end"] = _("The end of the window cannot be before its start.")
    preferred = data.get("preferred_date")
    if preferred and ((start and preferred < start) or (end and preferred > end)):
        errors["preferred_date"] = _("The preferred date must lie inside the time window.")
    objects = list(data.get("objects") or [])
    if any(obj.customer_id != customer.pk for obj in objects):
        errors["objects"] = _("Choose objects of %(customer)s.") % {"customer": customer.name}
    tasks = list(data.get("tasks") or [])
    try:
        _check_technician(tenant, data.get("assigned_technician"), "assigned_technician")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not (data.get("description") or "").strip():
        errors["description"] = _("Say what is to be done.")
    sla = data.get("sla")
    if sla is not None and sla.tenant_id != tenant.pk:
        errors["sla"] = _("Choose one of your SLAs.")
    if errors:
        raise ValidationError(errors)
    if site is None and not address:
        site = customer_default_site(tenant=tenant, customer=customer)
    initial = stage_tree_ensure(tenant=tenant)
    order = ServiceOrder(
        tenant=tenant,
        number=sequence_next_number(tenant=tenant, key="service_order"),
        customer=customer,
        agreement=agreement,
        site=site,
        address=address,
        contact=contact,
        description=data["description"].strip(),
        priority=data.get("priority") or "normal",
        preferred_date=preferred,
        window_start=start,
        window_end=end,
        assigned_technician=data.get("assigned_technician"),
        origin=origin,
        stage=initial,
        sla=sla,
        created_by=by,
    )
    order.full_clean(exclude=["tenant", "state"], validate_unique=False, validate_constraints=False)
    order.save()
    pairs = [(obj, task) for obj in objects or [None] for task in tasks or [None]]
    ServiceOrderLine.objects.bulk_create(
        [
            ServiceOrderLine(
                tenant=tenant,
                order=order,
                kind=LineKind.HOUR,
                description=(task.name if task else obj.name)[:200],
                service_object=obj,
                task=task,
                quantity=_hours(task),
                unit="h",
                unit_price=Decimal("0"),
            )
            for obj, task in pairs
            if obj is not None or task is not None
        ]
    )
    stage_log_write(
        tenant=tenant,
        order=order,
        by=by,
        kind=StageLogKind.CREATE,
        from_stage=None,
        from_state="",
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.create",
        target=order,
        params={"number": order.number, "customer": customer.name},
    )
    return order


def customer_default_site(*, tenant: Tenant, customer: Customer) -> CustomerSite | None:
    return (
        CustomerSite.objects.for_tenant(tenant)
        .filter(customer=customer, is_archived=False)
        .order_by("-is_default", "name", "id")
        .first()
    )
