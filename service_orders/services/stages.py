"""The tenant's stage tree and moving orders through it.

Configuration (``stage_create``, ``stage_update``, ``stage_delete``, the reason codes) checks the
tree against the order's lifecycle: a child stage's state must be able to follow its parent's
(``models.state_transition``), and going back must be able to return. ``stage_tree_ensure`` gives a
tenant without a tree the default one, in the tenant's language.

Moving an order (``order_stage_move``) locks the order's row, checks the move again after the lock
(another user may have moved it first: ``OrderTransitionRefused``, the view answers 409 with the
current state), runs the order's FSM transition, writes the stage log in the same transaction and
sends ``signals.order_stage_changed`` once it commits.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from tenancy.integrity import save_unique
from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot

from .. import signals
from ..models import (
    OrderStage,
    OrderState,
    ReasonCode,
    ServiceOrder,
    StageLog,
    StageLogKind,
    state_transition,
)
from ..selectors import next_stages_of, order_current_stage, order_is_signed_off
from . import sla_clock


class OrderTransitionRefused(Exception):
    """The order is not (or no longer) where the requested change applies (someone else changed
    it first, or the tree does not allow it). Carries the order as it is now, so the view can
    answer 409 showing it, and why."""

    def __init__(self, order: ServiceOrder, message: str = ""):
        super().__init__(message or order.state)
        self.order = order
        self.message = message


# --- The default tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultStage:
    code: str
    name: str
    state: str
    parent: str | None
    flags: dict
    reasons: tuple[tuple[str, str], ...] = ()


def default_tree() -> list[DefaultStage]:
    """The stage tree a tenant starts with (names in the active language)."""
    hold_reasons = (
        ("parts", _("Waiting for parts")),
        ("customer", _("Customer not available")),
        ("access", _("No access to the site")),
    )
    cancel_reasons = (
        ("customer", _("Cancelled by the customer")),
        ("duplicate", _("Duplicate order")),
        ("not_needed", _("Work no longer needed")),
        # Given by the reconciliation with agreement changes (services.reconciliation).
        ("agreement", _("No longer covered by the agreement")),
    )
    modify = {"can_modify": True, "can_cancel": True}
    return [
        DefaultStage("new", _("New"), OrderState.NEW, None, {**modify, "can_delete": True}),
        DefaultStage("scheduled", _("Scheduled"), OrderState.SCHEDULED, "new", modify),
        DefaultStage("travel", _("Travelling"), OrderState.IN_PROGRESS, "scheduled", modify),
        DefaultStage("work", _("In progress"), OrderState.IN_PROGRESS, "travel", modify),
        DefaultStage(
            "hold",
            _("On hold"),
            OrderState.ON_HOLD,
            "work",
            {**modify, "stops_sla": True, "requires_reason": True, "back_allowed": True},
            hold_reasons,
        ),
        DefaultStage(
            "done",
            _("Completed"),
            OrderState.COMPLETED,
            "work",
            {"can_modify": False, "can_cancel": False, "can_post": True, "stops_sla": True},
        ),
        DefaultStage(
            "cancelled",
            _("Cancelled"),
            OrderState.CANCELLED,
            None,
            {"can_modify": False, "can_cancel": False, "stops_sla": True, "requires_reason": True},
            cancel_reasons,
        ),
    ]


def _lock_tenant_tree(tenant: Tenant) -> None:
    """Serialise changes of one tenant's tree (and its creation) for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5354, tenant.pk])


@transaction.atomic
def stage_tree_create(*, tenant: Tenant, stages: list[DefaultStage]) -> OrderStage:
    """Create a tree from ``stages`` (parents before children; the first is the initial
    stage). Returns the initial stage."""
    _lock_tenant_tree(tenant)
    created: dict[str, OrderStage] = {}
    for position, spec in enumerate(stages):
        stage = OrderStage.objects.create(
            tenant=tenant,
            code=spec.code,
            name=str(spec.name)[:80],
            state=spec.state,
            parent=created[spec.parent] if spec.parent else None,
            is_initial=position == 0,
            position=position * 10,
            **spec.flags,
        )
        created[spec.code] = stage
        for reason_position, (code, name) in enumerate(spec.reasons):
            ReasonCode.objects.create(
                tenant=tenant,
                stage=stage,
                code=code,
                name=str(name)[:120],
                position=reason_position,
            )
    return created[stages[0].code]


@transaction.atomic
def stage_tree_ensure(*, tenant: Tenant) -> OrderStage:
    """The tenant's initial stage; a tenant without one gets the default tree first (named in
    the tenant's language). Safe to call concurrently."""
    initial = OrderStage.objects.for_tenant(tenant).filter(is_initial=True).first()
    if initial is not None:
        return initial
    _lock_tenant_tree(tenant)
    initial = OrderStage.objects.for_tenant(tenant).filter(is_initial=True).first()
    if initial is not None:
        return initial
    if OrderStage.objects.for_tenant(tenant).exists():
        raise ValidationError(_("The stage tree has no initial stage."))
    with translation.override(tenant.default_language):
        return stage_tree_create(tenant=tenant, stages=default_tree())


# --- Configuring the tree ---------------------------------------------------------------------

STAGE_FIELDS = (
    "name",
    "code",
    "state",
    "parent",
    "back_allowed",
    "can_modify",
    "can_cancel",
    "can_delete",
    "can_post",
    "stops_sla",
    "requires_reason",
    "requires_signoff",
    "position",
)


def _descendant_ids(tenant: Tenant, stage: OrderStage) -> set[int]:
    parents = dict(OrderStage.objects.for_tenant(tenant).values_list("pk", "parent_id"))
    found: set[int] = set()
    frontier = {stage.pk}
    while frontier:
        frontier = {pk for pk, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _state_label(state: str) -> str:
    return str(OrderState(state).label)


def _validate_stage(tenant: Tenant, stage: OrderStage) -> None:
    """The tree's rules for one stage, each refusal beside its field."""
    errors: dict[str, str] = {}
    parent = stage.parent
    if stage.is_initial:
        if parent is not None:
            errors["parent"] = _("The initial stage comes first: it has no previous stage.")
        if stage.state != OrderState.NEW:
            errors["state"] = _(
                "The initial stage is where new orders start: map it to “%(state)s”."
            ) % {"state": _state_label(OrderState.NEW)}
    elif parent is None and stage.state != OrderState.CANCELLED:
        errors["parent"] = _("Choose the stage this one follows.")
    if (
        parent is not None
        and stage.pk is not None
        and (parent.pk == stage.pk or parent.pk in _descendant_ids(tenant, stage))
    ):
        errors["parent"] = _("A stage cannot follow itself or one of its own next stages.")
    if parent is not None and "parent" not in errors and "state" not in errors:
        if state_transition(parent.state, stage.state) is None:
            errors["state"] = _(
                "An order cannot go from “%(parent_state)s” (%(parent)s) to “%(state)s”: "
                "choose a state that can follow it."
            ) % {
                "parent_state": _state_label(parent.state),
                "parent": parent.name,
                "state": _state_label(stage.state),
            }
        elif stage.back_allowed and state_transition(stage.state, parent.state) is None:
            errors["back_allowed"] = _(
                "An order cannot go back from “%(state)s” to “%(parent_state)s”."
            ) % {"state": _state_label(stage.state), "parent_state": _state_label(parent.state)}
    if stage.back_allowed and parent is None:
        errors["back_allowed"] = _("Only a stage with a previous stage can go back.")
    if stage.pk is not None and "state" not in errors:
        for child in OrderStage.objects.for_tenant(tenant).filter(parent=stage):
            if state_transition(stage.state, child.state) is None:
                errors["state"] = _(
                    "Its next stage %(child)s (“%(child_state)s”) could no longer follow "
                    "“%(state)s”."
                ) % {
                    "child": child.name,
                    "child_state": _state_label(child.state),
                    "state": _state_label(stage.state),
                }
                break
    if errors:
        raise ValidationError(errors)


def _save_stage(stage: OrderStage) -> None:
    stage.full_clean(
        exclude=["tenant", "parent"], validate_unique=False, validate_constraints=False
    )
    save_unique(stage, {"so_stage_code": ("code", _("Another stage has this code."))})


@transaction.atomic
def stage_create(*, tenant: Tenant, by: User, data: dict) -> OrderStage:
    _lock_tenant_tree(tenant)
    if "parent" in data and data["parent"] is not None and data["parent"].tenant_id != tenant.pk:
        raise ValidationError({"parent": _("Choose one of your stages.")})
    stage = OrderStage(tenant=tenant, **{f: data[f] for f in STAGE_FIELDS if f in data})
    if not OrderStage.objects.for_tenant(tenant).filter(is_initial=True).exists():
        stage.is_initial = True
    _validate_stage(tenant, stage)
    _save_stage(stage)
    audit_record(
        tenant=tenant,
        actor=by,
        action="order_stage.create",
        target=stage,
        params={"record": stage.name},
    )
    return stage


@transaction.atomic
def stage_update(*, tenant: Tenant, by: User, stage_id: int, data: dict) -> OrderStage:
    _lock_tenant_tree(tenant)
    stage = OrderStage.objects.for_tenant(tenant).select_for_update().get(pk=stage_id)
    before = audit_snapshot(stage, STAGE_FIELDS)
    if data.get("parent") is not None and data["parent"].tenant_id != tenant.pk:
        raise ValidationError({"parent": _("Choose one of your stages.")})
    in_use = ServiceOrder.objects.for_tenant(tenant).filter(stage=stage).exists()
    if in_use and "state" in data and data["state"] != stage.state:
        raise ValidationError(
            {"state": _("Orders are at this stage: its state can no longer change.")}
        )
    for field in STAGE_FIELDS:
        if field in data:
            setattr(stage, field, data[field])
    _validate_stage(tenant, stage)
    _save_stage(stage)
    changes = audit_changes(before, audit_snapshot(stage, STAGE_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="order_stage.update",
            target=stage,
            params={"record": stage.name, "fields": sorted(changes)},
            changes=changes,
        )
    return stage


@transaction.atomic
def stage_delete(*, tenant: Tenant, by: User, stage_id: int) -> None:
    _lock_tenant_tree(tenant)
    stage = OrderStage.objects.for_tenant(tenant).select_for_update().get(pk=stage_id)
    if stage.is_initial:
        raise ValidationError(_("The initial stage cannot be deleted."))
    if OrderStage.objects.for_tenant(tenant).filter(parent=stage).exists():
        raise ValidationError(_("Delete or move its next stages first."))
    if ServiceOrder.objects.for_tenant(tenant).filter(stage=stage).exists():
        raise ValidationError(_("Orders are at this stage: it cannot be deleted."))
    audit_record(
        tenant=tenant,
        actor=by,
        action="order_stage.delete",
        target=stage,
        params={"record": stage.name},
    )
    stage.delete()


REASON_FIELDS = ("code", "name", "position")


def _save_reason(reason: ReasonCode) -> None:
    reason.full_clean(
        exclude=["tenant", "stage"], validate_unique=False, validate_constraints=False
    )
    save_unique(
        reason, {"so_reason_code": ("code", _("This stage has a reason with this code already."))}
    )


@transaction.atomic
def reason_code_create(*, tenant: Tenant, by: User, stage_id: int, data: dict) -> ReasonCode:
    stage = OrderStage.objects.for_tenant(tenant).get(pk=stage_id)
    reason = ReasonCode(
        tenant=tenant, stage=stage, **{f: data[f] for f in REASON_FIELDS if f in data}
    )
    _save_reason(reason)
    audit_record(
        tenant=tenant,
        actor=by,
        action="reason_code.create",
        target=reason,
        params={"record": reason.name},
    )
    return reason


@transaction.atomic
def reason_code_update(*, tenant: Tenant, by: User, reason_id: int, data: dict) -> ReasonCode:
    reason = ReasonCode.objects.for_tenant(tenant).select_for_update().get(pk=reason_id)
    before = audit_snapshot(reason, REASON_FIELDS)
    for field in REASON_FIELDS:
        if field in data:
            setattr(reason, field, data[field])
    _save_reason(reason)
    changes = audit_changes(before, audit_snapshot(reason, REASON_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="reason_code.update",
            target=reason,
            params={"record": reason.name, "fields": sorted(changes)},
            changes=changes,
        )
    return reason


@transaction.atomic
def reason_code_delete(*, tenant: Tenant, by: User, reason_id: int) -> None:
    reason = ReasonCode.objects.for_tenant(tenant).select_for_update().get(pk=reason_id)
    audit_record(
        tenant=tenant,
        actor=by,
        action="reason_code.delete",
        target=reason,
        params={"record": reason.name},
    )
    reason.delete()  # the stage log keeps its text (reason_code set to null)


# --- Moving orders ----------------------------------------------------------------------------


def reason_for(*, tenant: Tenant, stage: OrderStage, reason_code_id, reason_text: str):
    """The reason code (of ``stage``) and text given for a move to ``stage``; ValidationError
    when the stage requires a reason and none was given, or the code is not the stage's."""
    reason = None
    if reason_code_id not in (None, ""):
        reason = (
            ReasonCode.objects.for_tenant(tenant).filter(stage=stage, pk=reason_code_id).first()
        )
        if reason is None:
            raise ValidationError({"reason_code": _("Choose one of this stage's reasons.")})
    text = (reason_text or "").strip()
    if stage.requires_reason and reason is None and not text:
        raise ValidationError(
            {
                "reason_code": _("%(stage)s needs a reason: choose one or write it.")
                % {"stage": stage.name}
            }
        )
    return reason, text


def _apply_state(order: ServiceOrder, to_state: str) -> bool:
    """Run the lifecycle transition from the order's state to ``to_state``; False when there is
    none or it does not apply."""
    name = state_transition(order.state, to_state)
    if name is None:
        return False
    if name == "":
        return True
    method = getattr(order, name)
    if not can_proceed(method):
        return False
    if name == "revoke_cancel":
        method(to_state)
    else:
        method()
    return True


def stage_log_write(
    *,
    tenant: Tenant,
    order: ServiceOrder,
    by: User | None,
    kind: str,
    from_stage: OrderStage | None,
    from_state: str,
    reason: ReasonCode | None = None,
    reason_text: str = "",
    late_reason: str = "",
) -> StageLog:
    """Record a stage change of ``order`` (already saved at its new stage), start or follow its
    SLA clock in the same transaction, and tell the listeners once the transaction commits."""
    log = StageLog.objects.create(
        tenant=tenant,
        order=order,
        kind=kind,
        from_stage=from_stage,
        to_stage=order.stage,
        from_state=from_state,
        to_state=order.state,
        reason_code=reason,
        reason_text=reason_text,
        by=by,
    )
    if kind == StageLogKind.CREATE:
        sla_clock.clock_start(tenant=tenant, order=order, now=log.at)
    else:
        sla_clock.clock_on_stage_change(
            tenant=tenant, order=order, log=log, late_reason=late_reason, by=by
        )
    tenant_id, order_id, log_id = tenant.pk, order.pk, log.pk
    transaction.on_commit(
        lambda: signals.order_stage_changed.send(
            sender=ServiceOrder, tenant_id=tenant_id, order_id=order_id, log_id=log_id
        ),
        robust=True,
    )
    return log


@transaction.atomic
def order_stage_move(
    *,
    tenant: Tenant,
    order_id: int,
    to_stage_id: int,
    by: User,
    reason_code_id: int | None = None,
    reason_text: str = "",
    late_reason: str = "",
) -> ServiceOrder:
    """Move the order to one of its next (or its previous) stages.

    ServiceOrder.DoesNotExist / OrderStage.DoesNotExist for another tenant's order or stage;
    ValidationError (field ``reason_code``) when the stage needs a reason that is missing;
    OrderTransitionRefused when the move does not apply to the order as it is now (not a next
    stage, the lifecycle forbids it, cancelling is not allowed here, sign-off missing);
    ValidationError (field ``late_reason``) when completing an order past its SLA time without
    the reason the tenant asks for."""
    order = (
        ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("stage")
        .get(pk=order_id)
    )
    to_stage = OrderStage.objects.for_tenant(tenant).get(pk=to_stage_id)
    current = order_current_stage(tenant=tenant, order=order)
    allowed = {s.pk for s in next_stages_of(tenant=tenant, stage=current, state=order.state)}
    if to_stage.pk not in allowed:
        raise OrderTransitionRefused(
            order,
            _("%(stage)s is not a next step of %(current)s.")
            % {"stage": to_stage.name, "current": current.name if current else "—"},
        )
    if to_stage.state == OrderState.CANCELLED and not current.can_cancel:
        raise OrderTransitionRefused(
            order, _("Orders at %(stage)s cannot be cancelled.") % {"stage": current.name}
        )
    if current.requires_signoff and not order_is_signed_off(tenant=tenant, order=order):
        raise OrderTransitionRefused(
            order,
            _("The customer has to sign off before the order leaves %(stage)s.")
            % {"stage": current.name},
        )
    reason, text = reason_for(
        tenant=tenant, stage=to_stage, reason_code_id=reason_code_id, reason_text=reason_text
    )
    sla_clock.clock_check_completion(
        tenant=tenant, order=order, to_state=to_stage.state, late_reason=late_reason
    )
    from_state = order.state
    if not _apply_state(order, to_stage.state):
        raise OrderTransitionRefused(
            order,
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": _state_label(from_state), "to": _state_label(to_stage.state)},
        )
    order.stage = to_stage
    update = ["state", "stage"]
    if to_stage.state == OrderState.CANCELLED:
        order.cancel_reason = _reason_words(reason, text)
        update.append("cancel_reason")
    order.save(update_fields=update)
    stage_log_write(
        tenant=tenant,
        order=order,
        by=by,
        kind=StageLogKind.CANCEL if to_stage.state == OrderState.CANCELLED else StageLogKind.STAGE,
        from_stage=current,
        from_state=from_state,
        reason=reason,
        reason_text=text,
        late_reason=late_reason,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.stage",
        target=order,
        params={
            "number": order.number,
            "from": current.name if current else "",
            "to": to_stage.name,
            "reason": _reason_words(reason, text),
        },
        changes={
            "state": [from_state, order.state],
            "stage": [current.name if current else "", to_stage.name],
        },
    )
    return order


def _reason_words(reason: ReasonCode | None, text: str) -> str:
    return " · ".join(part for part in (reason.name if reason else "", text) if part)
