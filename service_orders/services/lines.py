"""Recording work on an order: hour lines (a duration, a start and an end, or a start/stop
timer), item lines (with the serial number of a serial-tracked item), expense and fee lines.

Every write locks the order row first and re-checks, after the lock, that its lines may still
change: not once the customer has signed off, not once the order is completed, posted or
cancelled, not at a stage that forbids changes. ``assigned_to`` (the technician's pages pass
the signed-in user) makes an order assigned to someone else look missing, as it does to the
technician's views.
Each change is recorded in the activity log against the order, so it shows on its timeline.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements import selectors as agreement_selectors
from agreements.rates import NO_RATES, AgreementRates, LinePrice
from customers.models import Item, LineKind, ServiceObject, ServiceTask
from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import OPEN_STATES, LineStatus, ServiceOrder, ServiceOrderLine
from ..selectors import order_current_stage

HOURS = Decimal("0.01")
MAX_HOURS_PER_LINE = Decimal("24")


def lines_change_refusal(*, tenant: Tenant, order: ServiceOrder) -> str:
    """Why the order's lines cannot change now, or "" when they can: signed off, no longer
    open, or at a stage that forbids changing lines."""
    if order.signed_off_at is not None:
        return _("The customer has signed off this order; its lines can no longer change.")
    if order.state not in OPEN_STATES:
        return _("This order is %(state)s; its lines can no longer change.") % {
            "state": order.get_state_display().lower()
        }
    stage = order_current_stage(tenant=tenant, order=order)
    if stage is not None and not stage.can_modify:
        return _("At the stage “%(stage)s” the order's lines cannot be changed.") % {
            "stage": stage.name
        }
    return ""


def order_for_line_change(
    *, tenant: Tenant, order_id: int, assigned_to: User | None = None
) -> ServiceOrder:
    """The order, locked, once it is known that its lines may change; ValidationError
    otherwise, ServiceOrder.DoesNotExist for another tenant's (or technician's) order."""
    orders = ServiceOrder.objects.for_tenant(tenant).select_for_update(of=("self",))
    order = orders.select_related("stage").get(pk=order_id)
    if assigned_to is not None and order.assigned_technician_id != assigned_to.pk:
        raise ServiceOrder.DoesNotExist
    refusal = lines_change_refusal(tenant=tenant, order=order)
    if refusal:
        raise ValidationError(refusal)
    return order


def _audit_line(
    *, tenant: Tenant, by: User, order: ServiceOrder, action: str, line: ServiceOrderLine
) -> None:
    audit_record(
        tenant=tenant,
        actor=by,
        action=action,
        target=order,
        params={
            "number": order.number,
            "kind": line.kind,
            "line": line_label(line),
            "quantity": quantity_text(line.quantity),
        },
        changes={"line": line.pk},
    )


def line_label(line: ServiceOrderLine) -> str:
    """What a line is about, in a few words: its item, task or description."""
    if line.item_id:
        name = line.item.name
        return f"{name} ({line.serial_number})" if line.serial_number else name
    if line.description:
        return line.description
    if line.task_id:
        return line.task.name
    return ""


def quantity_text(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _not_negative(value: Decimal | None, field: str) -> None:
    if value is not None and value < 0:
        raise ValidationError({field: _("Enter a number that is not negative.")})


def _positive(value: Decimal | None, field: str, message: str) -> Decimal:
    _not_negative(value, field)
    if value is None or value == 0:
        raise ValidationError({field: message})
    return value


def hours_between(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    seconds = Decimal((end - start).total_seconds())
    return (seconds / Decimal(3600)).quantize(HOURS, rounding=ROUND_HALF_UP)


def _check_relations(order: ServiceOrder, service_object: ServiceObject | None) -> None:
    if service_object is not None and service_object.customer_id != order.customer_id:
        raise ValidationError({"service_object": _("Choose an object of this order's customer.")})


def order_rates(*, tenant: Tenant, order: ServiceOrder) -> AgreementRates:
    """The rate card that prices the order's lines: its agreement's; none without one."""
    if not order.agreement_id:
        return NO_RATES
    agreement = agreement_selectors.agreement_get(tenant=tenant, pk=order.agreement_id)
    return agreement_selectors.agreement_rates(tenant=tenant, agreement=agreement)


def _priced(*, tenant: Tenant, order: ServiceOrder, **line) -> LinePrice:
    return order_rates(tenant=tenant, order=order).price(**line)


def _create(
    *, tenant: Tenant, by: User, order: ServiceOrder, action: str = "order.line_add", **fields
) -> ServiceOrderLine:
    line = ServiceOrderLine(
        tenant=tenant,
        order=order,
        recorded_at=timezone.now(),
        recorded_by=by,
        **fields,
    )
    line.save()
    _audit_line(tenant=tenant, by=by, order=order, action=action, line=line)
    return line


@transaction.atomic
def line_add_hours(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    hours: Decimal | None = None,
    started_at: datetime.datetime | None = None,
    ended_at: datetime.datetime | None = None,
    task: ServiceTask | None = None,
    service_object: ServiceObject | None = None,
    description: str = "",
    assigned_to: User | None = None,
) -> ServiceOrderLine:
    """An hour line of ``by``: a duration, or a start and an end time (the hours are then
    the time between them)."""
    _not_negative(hours, "hours")
    if started_at and ended_at:
        if ended_at < started_at:
            raise ValidationError({"ended_at": _("The end time is before the start time.")})
        between = hours_between(started_at, ended_at)
        if hours is None:
            hours = between
        elif hours > between:
            raise ValidationError(
                {"hours": _("More hours than between the start and the end time.")}
            )
    elif started_at or ended_at:
        field = "ended_at" if started_at else "started_at"
        raise ValidationError({field: _("Enter both the start and the end time, or neither.")})
    hours = _positive(hours, "hours", _("Enter the hours worked, or a start and an end time."))
    if hours > MAX_HOURS_PER_LINE:
        raise ValidationError({"hours": _("One line holds at most 24 hours.")})
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    _check_relations(order, service_object)
    price = _priced(tenant=tenant, order=order, kind=LineKind.HOUR, task=task)
    return _create(
        tenant=tenant,
        by=by,
        order=order,
        kind=LineKind.HOUR,
        description=description.strip(),
        task=task,
        service_object=service_object,
        technician=by,
        quantity=hours.quantize(HOURS, rounding=ROUND_HALF_UP),
        unit="h",
        started_at=started_at,
        ended_at=ended_at,
        unit_price=price.unit_price,
        cost_price=price.cost_price,
    )


def running_timer(*, tenant: Tenant, order: ServiceOrder, technician: User):
    return (
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(
            order=order,
            kind=LineKind.HOUR,
            technician=technician,
            started_at__isnull=False,
            ended_at__isnull=True,
        )
        .first()
    )


@transaction.atomic
def line_timer_start(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    task: ServiceTask | None = None,
    service_object: ServiceObject | None = None,
    description: str = "",
    assigned_to: User | None = None,
) -> ServiceOrderLine:
    """Start the clock: an hour line of ``by`` with a start and no end yet (one at a time per
    technician and order)."""
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    if running_timer(tenant=tenant, order=order, technician=by) is not None:
        raise ValidationError(_("Your timer on this order is already running."))
    _check_relations(order, service_object)
    price = _priced(tenant=tenant, order=order, kind=LineKind.HOUR, task=task)
    return _create(
        tenant=tenant,
        by=by,
        order=order,
        action="order.timer_start",
        kind=LineKind.HOUR,
        description=description.strip(),
        task=task,
        service_object=service_object,
        technician=by,
        quantity=Decimal("0"),
        unit="h",
        started_at=timezone.now(),
        unit_price=price.unit_price,
        cost_price=price.cost_price,
    )


@transaction.atomic
def line_timer_stop(
    *, tenant: Tenant, by: User, order_id: int, line_id: int, assigned_to: User | None = None
) -> ServiceOrderLine:
    """Stop a running timer: the line gets its end time and the hours between. Stopping a
    stopped timer (a second tap) changes nothing."""
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    line = (
        ServiceOrderLine.objects.for_tenant(tenant)
        .select_for_update()
        .get(order=order, pk=line_id, kind=LineKind.HOUR, technician=by)
    )
    if line.ended_at is not None or line.started_at is None:
        return line
    line.ended_at = max(timezone.now(), line.started_at)
    line.quantity = hours_between(line.started_at, line.ended_at)
    line.save(update_fields=["ended_at", "quantity"])
    _audit_line(tenant=tenant, by=by, order=order, action="order.timer_stop", line=line)
    return line


@transaction.atomic
def line_add_item(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    item: Item,
    quantity: Decimal | None,
    serial_number: str = "",
    service_object: ServiceObject | None = None,
    assigned_to: User | None = None,
) -> ServiceOrderLine:
    """An item used: its quantity, and for a serial-tracked item the serial number (one line
    per unit)."""
    quantity = _positive(quantity, "quantity", _("Enter a quantity above zero."))
    serial_number = serial_number.strip()
    if item.tenant_id != tenant.pk or not item.is_active:
        raise ValidationError({"item": _("Choose an active item of this tenant.")})
    if item.is_serial_tracked:
        if not serial_number:
            raise ValidationError(
                {"serial_number": _("This item is serial-tracked: enter its serial number.")}
            )
        if quantity != 1:
            raise ValidationError(
                {"quantity": _("A serial-tracked item is recorded one unit per line.")}
            )
    else:
        serial_number = ""
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    _check_relations(order, service_object)
    price = _priced(tenant=tenant, order=order, kind=LineKind.ITEM, item=item)
    return _create(
        tenant=tenant,
        by=by,
        order=order,
        kind=LineKind.ITEM,
        item=item,
        description=item.name[:200],
        service_object=service_object,
        technician=by,
        quantity=quantity,
        unit=item.unit,
        serial_number=serial_number,
        unit_price=price.unit_price,
        cost_price=price.cost_price,
    )


@transaction.atomic
def line_add_expense(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    description: str,
    quantity: Decimal | None,
    unit_cost: Decimal | None,
    assigned_to: User | None = None,
) -> ServiceOrderLine:
    """An expense (parking, a ferry ticket, material bought on the way): what, how many, and
    what one cost; charged on at cost plus the agreement's expense markup."""
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what the expense was for.")})
    quantity = _positive(quantity, "quantity", _("Enter a quantity above zero."))
    _not_negative(unit_cost, "unit_cost")
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    price = _priced(tenant=tenant, order=order, kind=LineKind.EXPENSE, unit_price=unit_cost)
    return _create(
        tenant=tenant,
        by=by,
        order=order,
        kind=LineKind.EXPENSE,
        description=description,
        technician=by,
        quantity=quantity,
        unit_price=price.unit_price,
        cost_price=price.cost_price,
    )


@transaction.atomic
def line_add_fee(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    description: str,
    quantity: Decimal | None,
    unit_price: Decimal | None,
    assigned_to: User | None = None,
) -> ServiceOrderLine:
    """A fee (call-out, travel, disposal): how many and the price of one; without a price,
    the agreement's fixed fee of that description prices it (and gives its cost)."""
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what the fee is for.")})
    quantity = _positive(quantity, "quantity", _("Enter a quantity above zero."))
    _not_negative(unit_price, "unit_price")
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    price = _priced(
        tenant=tenant,
        order=order,
        kind=LineKind.FEE,
        description=description,
        unit_price=unit_price,
    )
    return _create(
        tenant=tenant,
        by=by,
        order=order,
        kind=LineKind.FEE,
        description=description,
        technician=by,
        quantity=quantity,
        unit_price=price.unit_price,
        cost_price=price.cost_price,
    )


@transaction.atomic
def line_remove(
    *, tenant: Tenant, by: User, order_id: int, line_id: int, assigned_to: User | None = None
) -> None:
    """Take back a line recorded by mistake: only a line ``by`` recorded by hand (generated
    lines are cancelled by the office instead), while it is neither posted nor cancelled."""
    order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    line = (
        ServiceOrderLine.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("item", "task")
        .get(order=order, pk=line_id, recorded_by=by, agreement_line__isnull=True)
    )
    if line.status != LineStatus.CREATED:
        raise ValidationError(_("Only a line that is neither posted nor cancelled can be removed."))
    _audit_line(tenant=tenant, by=by, order=order, action="order.line_remove", line=line)
    ServiceOrderLine.objects.for_tenant(tenant).filter(pk=line.pk).delete()


def _line_unit(line) -> str:
    if line.kind == LineKind.HOUR:
        return "h"
    if line.item_id:
        return line.item.unit
    return line.unit or ""


@transaction.atomic
def lines_add_from_agreement(
    *, tenant: Tenant, by: User, order_id: int, agreement_line_ids
) -> list[ServiceOrderLine]:
    """One-off work drawn from the order's agreement: copy the chosen agreement lines onto the
    order (what, which object, how many), priced by the agreement's rate card where a line has
    no price of its own. The copies keep their agreement line but no calculated date, so they
    never count as a generated visit. A chosen line of another agreement (or tenant) refuses
    the whole choice."""
    order = order_for_line_change(tenant=tenant, order_id=order_id)
    if not order.agreement_id:
        raise ValidationError(_("This order has no agreement to draw lines from."))
    chosen = sorted({int(value) for value in agreement_line_ids or () if str(value).isdigit()})
    if not chosen:
        raise ValidationError({"lines": _("Choose at least one agreement line.")})
    lines = list(
        agreement_selectors.agreement_lines_by_id(
            tenant=tenant, agreement_id=order.agreement_id, line_ids=chosen
        )
    )
    if len(lines) != len(chosen):
        raise ValidationError(
            {
                "lines": _(
                    "Some chosen lines are not lines of agreement %(number)s; nothing was added."
                )
                % {"number": order.agreement.number}
            }
        )
    rates = order_rates(tenant=tenant, order=order)
    now = timezone.now()
    created = []
    for line in lines:
        obj = line.service_object if line.service_object_id else None
        _check_relations(order, obj)
        price = rates.price(
            kind=line.kind,
            task=line.task if line.task_id else None,
            item=line.item if line.item_id else None,
            description=line.description,
            unit_price=line.unit_price,
        )
        created.append(
            ServiceOrderLine(
                tenant=tenant,
                order=order,
                kind=line.kind,
                description=(line.description or (line.task.name if line.task_id else ""))[:200],
                service_object=obj,
                task_id=line.task_id,
                item_id=line.item_id,
                technician_id=line.technician_id,
                quantity=line.quantity,
                unit=_line_unit(line),
                unit_price=price.unit_price,
                cost_price=price.cost_price,
                agreement_line=line,
                recorded_at=now,
                recorded_by=by,
            )
        )
    ServiceOrderLine.objects.bulk_create(created)
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.lines_from_agreement",
        target=order,
        params={
            "number": order.number,
            "count": len(created),
            "agreement": order.agreement.number,
        },
        changes={"lines": [line.pk for line in created]},
    )
    return created
