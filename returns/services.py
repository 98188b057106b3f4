"""Every write of returns: reasons, return orders and their lines, arrival, dispositions.

Each change to a return locks its row (``select_for_update``) and re-checks the state after the
lock; when another request changed the return first it raises ``ReturnConflict`` (the view
answers 409 with the return as it is now). A line is picked from a customer's invoice line under
that invoice line's lock, so two returns of the same goods at once cannot both pass the cap
(invoiced less already returned). A disposition acts in the same transaction: a credit note
through the invoice ledger (once per line: a unique constraint), a replacement order or a repair
order of origin "return" through the service orders' creation service.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer, LineKind, ServiceObject
from invoicing import selectors as invoicing_selectors
from invoicing import services as invoicing_services
from invoicing.models import InvoiceLine
from invoicing.money import round_money
from service_orders.models import Origin
from service_orders.services.orders import order_create
from tenancy.integrity import save_unique
from tenancy.models import Tenant, User
from tenancy.services import audit_record, sequence_next_number

from .models import (
    CREDITING,
    REPAIRING,
    REPLACING,
    Disposition,
    ReturnCredit,
    ReturnLine,
    ReturnOrder,
    ReturnReason,
    ReturnState,
)
from .selectors import returned_quantities


class ReturnConflict(Exception):
    """The return is no longer in a state that allows the action (someone else was first)."""

    def __init__(self, return_order: ReturnOrder):
        super().__init__(return_order.state)
        self.return_order = return_order


def quantity_text(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


# --- Reasons -------------------------------------------------------------------------------------

REASON_FIELDS = ("code", "name", "is_active")


@transaction.atomic
def reason_save(
    *, tenant: Tenant, by: User | None, data: dict, reason: ReturnReason | None = None
) -> ReturnReason:
    """Create a return reason, or change ``reason``. Codes are unique per tenant."""
    code = (data.get("code") or "").strip()
    name = (data.get("name") or "").strip()
    if not code:
        raise ValidationError({"code": _("Enter a code.")})
    if not name:
        raise ValidationError({"name": _("Say what the reason is.")})
    creating = reason is None
    reason = reason or ReturnReason(tenant=tenant)
    reason.code, reason.name = code, name
    reason.is_active = data.get("is_active", True)
    save_unique(
        reason,
        {"returns_reason_code": ("code", _("Another return reason has this code."))},
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns_reason.create" if creating else "returns_reason.update",
        target=reason,
        params={"record": str(reason), "fields": list(REASON_FIELDS)},
    )
    return reason


# --- Return orders -------------------------------------------------------------------------------


def _locked(tenant: Tenant, return_id: int) -> ReturnOrder:
    return (
        ReturnOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer", "reason")
        .get(pk=return_id)
    )


def _check_header(tenant: Tenant, data: dict, *, creating: bool) -> None:
    errors = {}
    reason = data.get("reason")
    if reason is None or reason.tenant_id != tenant.pk:
        errors["reason"] = _("Choose a return reason.")
    elif creating and not reason.is_active:
        errors["reason"] = _("This return reason is no longer used: choose another one.")
    deadline = data.get("deadline")
    if deadline is None:
        errors["deadline"] = _("Enter the date by which the goods must arrive.")
    elif creating and deadline < tenant.today():
        errors["deadline"] = _("The deadline cannot be in the past.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def return_create(*, tenant: Tenant, by: User | None, data: dict) -> ReturnOrder:
    """A new return order for ``data["customer"]`` with its reason, deadline and note; its lines
    are added next (``line_add``)."""
    customer = data.get("customer")
    if customer is None or customer.tenant_id != tenant.pk:
        raise ValidationError({"customer": _("Choose one of your customers.")})
    _check_header(tenant, data, creating=True)
    order = ReturnOrder.objects.create(
        tenant=tenant,
        number=sequence_next_number(tenant=tenant, key="return_order"),
        customer=customer,
        reason=data["reason"],
        deadline=data["deadline"],
        notes=(data.get("notes") or "").strip(),
        created_by=by,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.create",
        target=order,
        params={"number": order.number, "customer": customer.name},
    )
    return order


@transaction.atomic
def return_update(*, tenant: Tenant, by: User | None, return_id: int, data: dict) -> ReturnOrder:
    """Change the reason, deadline or note of a return that is not closed or cancelled."""
    order = _locked(tenant, return_id)
    if order.state not in (ReturnState.CREATED, ReturnState.OPEN):
        raise ReturnConflict(order)
    _check_header(tenant, data, creating=False)
    order.reason = data["reason"]
    order.deadline = data["deadline"]
    order.notes = (data.get("notes") or "").strip()
    order.save(update_fields=["reason", "deadline", "notes"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.update",
        target=order,
        params={"record": order.number, "fields": ["reason", "deadline", "notes"]},
    )
    return order


def _object_with_serial(tenant: Tenant, customer: Customer, item, serial: str):
    if not serial or item is None:
        return None
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer=customer, item=item, serial_number=serial)
        .first()
    )


@transaction.atomic
def line_add(
    *,
    tenant: Tenant,
    by: User | None,
    return_id: int,
    invoice_line_id: int | None,
    quantity: Decimal | None,
    serial_number: str = "",
) -> ReturnLine:
    """Add goods from one of the customer's invoice lines. The quantity is capped at what was
    invoiced less what other returns (not cancelled) already take back, checked with the invoice
    line locked. A serial-tracked item comes back one serial per line."""
    order = _locked(tenant, return_id)
    if order.state != ReturnState.CREATED:
        raise ReturnConflict(order)
    if invoice_line_id is None:
        raise ValidationError({"invoice_line": _("Choose a line of the customer's invoices.")})
    try:
        source = invoicing_selectors.invoice_line_locked(tenant=tenant, pk=invoice_line_id)
    except InvoiceLine.DoesNotExist:
        source = None
    if (
        source is None
        or not invoicing_selectors.customer_returnable_lines(tenant=tenant, customer=order.customer)
        .filter(pk=source.pk)
        .exists()
    ):
        raise ValidationError({"invoice_line": _("Choose a line of the customer's invoices.")})
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("Enter a quantity above zero.")})
    already = returned_quantities(tenant=tenant, invoice_line_ids=[source.pk]).get(
        source.pk, Decimal("0")
    )
    left = source.quantity - already
    if quantity > left:
        if left <= 0:
            message = _("Everything invoiced on this line is already being returned.")
        else:
            message = _(
                "At most %(left)s can still be returned: %(invoiced)s invoiced, "
                "%(returned)s already returned."
            ) % {
                "left": quantity_text(left),
                "invoiced": quantity_text(source.quantity),
                "returned": quantity_text(already),
            }
        raise ValidationError({"quantity": message})
    serial = (serial_number or "").strip()
    item = source.item
    if not serial and source.service_object_id and source.service_object.serial_number:
        serial = source.service_object.serial_number
    if item is not None and item.is_serial_tracked:
        if not serial:
            raise ValidationError(
                {"serial_number": _("This item is serial-tracked: enter the returned serial.")}
            )
        if quantity != 1:
            raise ValidationError(
                {"quantity": _("A serial-tracked item comes back one serial per line.")}
            )
    service_object = source.service_object
    if serial and (service_object is None or service_object.serial_number != serial):
        service_object = _object_with_serial(tenant, order.customer, item, serial)
    position = (
        ReturnLine.objects.for_tenant(tenant)
        .filter(return_order=order)
        .aggregate(top=Max("position"))["top"]
        or 0
    )
    line = ReturnLine.objects.create(
        tenant=tenant,
        return_order=order,
        invoice_line=source,
        invoice=source.invoice,
        kind=LineKind.ITEM if item is not None else source.kind,
        description=source.description,
        item=item,
        service_object=service_object,
        quantity=quantity,
        unit=source.unit,
        unit_price=max(source.unit_price, Decimal("0")),
        serial_number=serial,
        position=position + 1,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.line_add",
        target=order,
        params={"number": order.number, "description": line.description},
    )
    return line


@transaction.atomic
def line_remove(*, tenant: Tenant, by: User | None, return_id: int, line_id: int) -> ReturnOrder:
    order = _locked(tenant, return_id)
    if order.state != ReturnState.CREATED:
        raise ReturnConflict(order)
    line = ReturnLine.objects.for_tenant(tenant).get(pk=line_id, return_order=order)
    line.delete()
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.line_remove",
        target=order,
        params={"number": order.number, "description": line.description},
    )
    return order


@transaction.atomic
def return_open(*, tenant: Tenant, by: User | None, return_id: int) -> ReturnOrder:
    """Release the return to the customer: lines can no longer change, arrivals are expected."""
    order = _locked(tenant, return_id)
    if not can_proceed(order.open):
        raise ReturnConflict(order)
    if not ReturnLine.objects.for_tenant(tenant).filter(return_order=order).exists():
        raise ValidationError(_("Add the goods coming back before opening the return."))
    order.open()
    order.opened_at = timezone.now()
    order.save(update_fields=["state", "opened_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.open",
        target=order,
        params={"number": order.number},
    )
    return order


@transaction.atomic
def return_cancel(
    *, tenant: Tenant, by: User | None, return_id: int, reason: str = ""
) -> ReturnOrder:
    """Cancel a return that was never opened: its lines no longer count against the invoice."""
    order = _locked(tenant, return_id)
    if not can_proceed(order.cancel):
        raise ReturnConflict(order)
    order.cancel()
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason.strip()
    order.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.cancel",
        target=order,
        params={"number": order.number},
    )
    return order


@transaction.atomic
def return_close(*, tenant: Tenant, by: User | None, return_id: int) -> ReturnOrder:
    """Close an open return once every line has its disposition."""
    order = _locked(tenant, return_id)
    if not can_proceed(order.close):
        raise ReturnConflict(order)
    if ReturnLine.objects.for_tenant(tenant).filter(return_order=order, disposition="").exists():
        raise ValidationError(_("Every line needs its disposition before the return is closed."))
    order.close()
    order.closed_at = timezone.now()
    order.save(update_fields=["state", "closed_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.close",
        target=order,
        params={"number": order.number},
    )
    return order


def _open_line(tenant: Tenant, order: ReturnOrder, line_id: int) -> ReturnLine:
    return (
        ReturnLine.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("item", "service_object", "invoice_line", "invoice")
        .get(pk=line_id, return_order=order)
    )


@transaction.atomic
def arrival_register(
    *,
    tenant: Tenant,
    by: User | None,
    return_id: int,
    line_id: int,
    quantity: Decimal | None,
) -> ReturnLine:
    """Goods of a line arrived: ``quantity`` more of it (at most what is still expected)."""
    order = _locked(tenant, return_id)
    if order.state != ReturnState.OPEN:
        raise ReturnConflict(order)
    line = _open_line(tenant, order, line_id)
    if line.is_disposed:
        raise ReturnConflict(order)
    expected = line.quantity - line.received_quantity
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("Enter a quantity above zero.")})
    if quantity > expected:
        raise ValidationError(
            {
                "quantity": _("Only %(expected)s of this line is still expected.")
                % {"expected": quantity_text(expected)}
            }
        )
    line.received_quantity += quantity
    line.received_at = timezone.now()
    line.save(update_fields=["received_quantity", "received_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.arrival",
        target=order,
        params={
            "number": order.number,
            "description": line.description,
            "quantity": quantity_text(quantity),
        },
    )
    return line


@dataclass(frozen=True)
class DispositionResult:
    line: ReturnLine
    rest: ReturnLine | None  # the split-off line with what was not decided
    credit_note: object | None
    order: object | None  # the replacement or repair service order


def credit_amount(line: ReturnLine, quantity: Decimal) -> Decimal:
    """The net amount to credit for ``quantity`` of the invoice line: its share of the line's
    amount (a prorated or discounted line credits what it billed), half-up to the currency."""
    source = line.invoice_line
    if not source.quantity:
        return Decimal("0")
    share = source.amount * quantity / source.quantity
    return round_money(share, line.invoice.currency)


def _split(tenant: Tenant, line: ReturnLine, quantity: Decimal) -> ReturnLine | None:
    """Keep ``quantity`` (all arrived) on ``line``; move the rest to a new line."""
    if quantity >= line.quantity:
        return None
    rest_quantity = line.quantity - quantity
    rest = ReturnLine.objects.create(
        tenant=tenant,
        return_order_id=line.return_order_id,
        invoice_line_id=line.invoice_line_id,
        invoice_id=line.invoice_id,
        kind=line.kind,
        description=line.description,
        item_id=line.item_id,
        service_object_id=line.service_object_id,
        task_id=line.task_id,
        quantity=rest_quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        serial_number=line.serial_number,
        received_quantity=line.received_quantity - quantity,
        received_at=line.received_at if line.received_quantity > quantity else None,
        split_from=line,
        position=line.position,
    )
    line.quantity = quantity
    line.received_quantity = quantity
    return rest


def _order_text(order: ReturnOrder, line: ReturnLine, quantity: Decimal, what: str) -> str:
    serial = f", {line.serial_number}" if line.serial_number else ""
    return (
        f"{what} · {order.number}: {quantity_text(quantity)} {line.unit} {line.description}{serial}"
    )[:300]


@transaction.atomic
def disposition_set(
    *,
    tenant: Tenant,
    by: User | None,
    return_id: int,
    line_id: int,
    disposition: str,
    quantity: Decimal | None = None,
    note: str = "",
    may_credit: bool = True,
) -> DispositionResult:
    """Decide what happens to arrived goods of a line and do it.

    ``quantity`` (default: all that arrived) at most what arrived; less than the line's quantity
    splits the line (the rest stays undecided on a new line). Credit dispositions issue a credit
    note for that share of the invoice line (once per line: a unique constraint); replacements
    open a service order for the replacement; "repair and return" opens a repair order of origin
    "return" for the service object with the returned serial."""
    order = _locked(tenant, return_id)
    if order.state != ReturnState.OPEN:
        raise ReturnConflict(order)
    line = _open_line(tenant, order, line_id)
    if line.is_disposed:
        raise ReturnConflict(order)
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("Choose a disposition.")})
    if disposition in CREDITING and not may_credit:
        raise ValidationError(
            {"disposition": _("Only someone who may credit invoices can choose a credit.")}
        )
    if line.received_quantity <= 0:
        raise ValidationError(
            {"disposition": _("Nothing of this line has arrived yet: register its arrival first.")}
        )
    if quantity is None:
        quantity = line.received_quantity
    if quantity <= 0:
        raise ValidationError({"quantity": _("Enter a quantity above zero.")})
    if quantity > line.received_quantity:
        raise ValidationError(
            {
                "quantity": _("Only %(arrived)s of this line has arrived.")
                % {"arrived": quantity_text(line.received_quantity)}
            }
        )
    service_object = None
    if disposition in REPAIRING:
        service_object = line.service_object or _object_with_serial(
            tenant, order.customer, line.item, line.serial_number
        )
        if service_object is None:
            raise ValidationError(
                {
                    "disposition": _(
                        "No service object of this customer has the serial “%(serial)s”: "
                        "record the object first, or choose another disposition."
                    )
                    % {"serial": line.serial_number or "—"}
                }
            )
    rest = _split(tenant, line, quantity)
    line.disposition = disposition
    line.disposition_note = note.strip()[:300]
    line.disposed_at = timezone.now()
    line.disposed_by = by
    line.service_object = service_object or line.service_object
    result_order = None
    if disposition in REPLACING:
        result_order = order_create(
            tenant=tenant,
            by=by,
            data={
                "customer": order.customer,
                "description": _order_text(order, line, quantity, line.get_disposition_display()),
            },
            origin=Origin.RETURN,
        )
        line.replacement_order = result_order
    if disposition in REPAIRING:
        result_order = order_create(
            tenant=tenant,
            by=by,
            data={
                "customer": order.customer,
                "description": _order_text(order, line, quantity, line.get_disposition_display()),
                "objects": [service_object],
            },
            origin=Origin.RETURN,
        )
        line.repair_order = result_order
    line.save()
    credit_note = None
    if disposition in CREDITING:
        credit_note = _credit(tenant, by, order, line, quantity)
    audit_record(
        tenant=tenant,
        actor=by,
        action="returns.disposition",
        target=order,
        params={
            "number": order.number,
            "description": line.description,
            "disposition": disposition,
        },
    )
    return DispositionResult(line=line, rest=rest, credit_note=credit_note, order=result_order)


def _credit(tenant: Tenant, by: User | None, order: ReturnOrder, line: ReturnLine, quantity):
    amount = credit_amount(line, quantity)
    if amount <= 0:
        raise ValidationError({"disposition": _("Nothing was billed for this line to credit.")})
    try:
        note = invoicing_services.credit_note_create(
            tenant=tenant,
            by=by,
            invoice_id=line.invoice_id,
            amounts={line.invoice_line_id: amount},
            reason=_("Return %(number)s") % {"number": order.number},
        )
    except invoicing_services.InvoiceConflict as exc:
        raise ValidationError(
            {
                "disposition": _(
                    "Invoice %(invoice)s can no longer be credited: choose a disposition "
                    "without a credit."
                )
                % {"invoice": exc.invoice}
            }
        ) from exc
    except ValidationError as exc:
        raise ValidationError({"disposition": exc.messages}) from exc
    try:
        with transaction.atomic():
            ReturnCredit.objects.create(tenant=tenant, line=line, credit_note=note, amount=amount)
    except IntegrityError as exc:
        raise ValidationError({"disposition": _("This line has already been credited.")}) from exc
    return note
