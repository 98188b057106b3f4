"""Recording lines from the field: hours (duration, start and end, timer), items with serial
numbers, expenses and fees; each refusal; the activity log; no changes after sign-off."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import LineKind
from service_orders.models import OrderState, ServiceOrder, ServiceOrderLine
from service_orders.services import lines
from tenancy.models import AuditEvent
from tests.factories import ItemFactory, ServiceObjectFactory, ServiceTaskFactory

from .technician_helpers import assigned_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(tenant_a, technician_a):
    return assigned_order(tenant_a, technician_a)


def _lines(order):
    return list(ServiceOrderLine.objects.filter(order=order).order_by("id"))


def test_hours_from_start_and_end(tenant_a, technician_a, order):
    start = datetime.datetime(2026, 3, 2, 8, 15, tzinfo=tenant_a.zone)
    task = ServiceTaskFactory(tenant=tenant_a)
    line = lines.line_add_hours(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=1, minutes=45),
        task=task,
        assigned_to=technician_a,
    )
    assert (line.kind, line.quantity, line.technician, line.task) == (
        LineKind.HOUR,
        Decimal("1.75"),
        technician_a,
        task,
    )
    event = AuditEvent.objects.get(action="order.line_add", target_id=order.pk)
    assert event.params["number"] == order.number and event.actor == technician_a


def test_hours_as_a_duration(tenant_a, technician_a, order):
    line = lines.line_add_hours(
        tenant=tenant_a, by=technician_a, order_id=order.pk, hours=Decimal("2.5")
    )
    assert line.quantity == Decimal("2.5") and line.started_at is None


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"hours": Decimal("-1")}, "hours"),
        ({}, "hours"),
        ({"hours": Decimal("25")}, "hours"),
        (
            {
                "started_at": datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC),
                "ended_at": datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC),
            },
            "ended_at",
        ),
        ({"started_at": datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)}, "ended_at"),
    ],
)
def test_bad_hours_are_refused_beside_the_field(tenant_a, technician_a, order, arguments, field):
    with pytest.raises(ValidationError) as refused:
        lines.line_add_hours(tenant=tenant_a, by=technician_a, order_id=order.pk, **arguments)
    assert field in refused.value.message_dict
    assert _lines(order) == []


def test_item_line_takes_price_unit_and_serial(tenant_a, technician_a, order):
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=True, unit="pcs")
    line = lines.line_add_item(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        item=item,
        quantity=Decimal("1"),
        serial_number=" SN-42 ",
    )
    assert (line.serial_number, line.unit, line.unit_price, line.cost_price) == (
        "SN-42",
        "pcs",
        item.sales_price,
        item.cost_price,
    )


@pytest.mark.parametrize(
    ("serial_tracked", "quantity", "serial", "field"),
    [
        (False, Decimal("-2"), "", "quantity"),
        (False, Decimal("0"), "", "quantity"),
        (True, Decimal("1"), "", "serial_number"),
        (True, Decimal("2"), "SN-1", "quantity"),
    ],
)
def test_bad_item_lines_are_refused(
    tenant_a, technician_a, order, serial_tracked, quantity, serial, field
):
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=serial_tracked)
    with pytest.raises(ValidationError) as refused:
        lines.line_add_item(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            item=item,
            quantity=quantity,
            serial_number=serial,
        )
    assert field in refused.value.message_dict
    assert _lines(order) == []


def test_item_of_another_customer_object_is_refused(tenant_a, technician_a, order):
    other_object = ServiceObjectFactory(customer__tenant=tenant_a)
    with pytest.raises(ValidationError) as refused:
        lines.line_add_item(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            item=ItemFactory(tenant=tenant_a),
            quantity=Decimal("1"),
            service_object=other_object,
        )
    assert "service_object" in refused.value.message_dict


def test_expense_and_fee_lines(tenant_a, technician_a, order):
    expense = lines.line_add_expense(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        description="Parking",
        quantity=Decimal("2"),
        unit_cost=Decimal("4.50"),
    )
    fee = lines.line_add_fee(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        description="Call-out",
        quantity=Decimal("1"),
        unit_price=Decimal("60"),
    )
    assert (expense.kind, expense.amount, expense.cost_price) == (
        LineKind.EXPENSE,
        Decimal("9.00"),
        Decimal("4.50"),
    )
    assert (fee.kind, fee.amount) == (LineKind.FEE, Decimal("60.00"))
    with pytest.raises(ValidationError) as refused:
        lines.line_add_fee(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            description="Call-out",
            quantity=Decimal("1"),
            unit_price=Decimal("-5"),
        )
    assert "unit_price" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        lines.line_add_expense(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            description="",
            quantity=Decimal("1"),
            unit_cost=Decimal("1"),
        )
    assert "description" in refused.value.message_dict


def test_timer_start_and_stop(tenant_a, technician_a, order, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    line = lines.line_timer_start(tenant=tenant_a, by=technician_a, order_id=order.pk)
    with pytest.raises(ValidationError):
        lines.line_timer_start(tenant=tenant_a, by=technician_a, order_id=order.pk)
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC), tick=False)
    stopped = lines.line_timer_stop(
        tenant=tenant_a, by=technician_a, order_id=order.pk, line_id=line.pk
    )
    assert stopped.quantity == Decimal("1.5")
    # A second tap on "stop" changes nothing.
    time_machine.move_to(datetime.datetime(2026, 3, 2, 11, 30, tzinfo=datetime.UTC), tick=False)
    again = lines.line_timer_stop(
        tenant=tenant_a, by=technician_a, order_id=order.pk, line_id=line.pk
    )
    assert again.quantity == Decimal("1.5")
    actions = list(
        AuditEvent.objects.filter(target_id=order.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["order.timer_start", "order.timer_stop"]


def test_remove_only_own_recorded_lines(tenant_a, technician_a, make_member, order):
    line = lines.line_add_fee(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        description="Call-out",
        quantity=Decimal("1"),
        unit_price=Decimal("60"),
    )
    colleague = make_member(tenant_a, "technician")
    with pytest.raises(ServiceOrderLine.DoesNotExist):
        lines.line_remove(tenant=tenant_a, by=colleague, order_id=order.pk, line_id=line.pk)
    lines.line_remove(tenant=tenant_a, by=technician_a, order_id=order.pk, line_id=line.pk)
    assert _lines(order) == []
    assert AuditEvent.objects.filter(action="order.line_remove", target_id=order.pk).exists()


@pytest.mark.parametrize(
    ("state", "code"),
    [(OrderState.COMPLETED, "done"), (OrderState.CANCELLED, "cancelled")],
)
def test_no_lines_on_a_closed_order(tenant_a, technician_a, state, code):
    order = assigned_order(tenant_a, technician_a, state=state, code=code)
    with pytest.raises(ValidationError):
        lines.line_add_hours(
            tenant=tenant_a, by=technician_a, order_id=order.pk, hours=Decimal("1")
        )
    assert _lines(order) == []


def test_no_line_changes_after_sign_off(tenant_a, technician_a, order):
    fee = lines.line_add_fee(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        description="Call-out",
        quantity=Decimal("1"),
        unit_price=Decimal("60"),
    )
    ServiceOrder.objects.filter(pk=order.pk).update(signed_off_at=tenant_a.now())
    with pytest.raises(ValidationError) as refused:
        lines.line_add_hours(
            tenant=tenant_a, by=technician_a, order_id=order.pk, hours=Decimal("1")
        )
    assert "signed off" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        lines.line_remove(tenant=tenant_a, by=technician_a, order_id=order.pk, line_id=fee.pk)
    assert _lines(order) == [fee]


def test_another_technicians_order_looks_missing(tenant_a, technician_a, make_member, order):
    colleague = make_member(tenant_a, "technician")
    with pytest.raises(ServiceOrder.DoesNotExist):
        lines.line_add_hours(
            tenant=tenant_a,
            by=colleague,
            order_id=order.pk,
            hours=Decimal("1"),
            assigned_to=colleague,
        )


def test_database_refuses_negative_quantity_and_end_before_start(tenant_a, order):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOrderLine.objects.create(tenant=tenant_a, order=order, quantity=Decimal("-1"))
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOrderLine.objects.create(
            tenant=tenant_a,
            order=order,
            started_at=start,
            ended_at=start - datetime.timedelta(minutes=1),
        )
