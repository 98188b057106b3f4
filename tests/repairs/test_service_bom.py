"""The service BOM: made from the active BOM version, parts replaced, added and removed during
repairs (history rows, item lines on the order), and the structure as of any date checked
against a history written out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from repairs import selectors, services
from repairs.models import BomAction, BomHistory, ServiceBomLine
from service_orders.models import LineKind, ServiceOrderLine
from tests.factories import ItemFactory

from .helpers import bom, order_with_object

pytestmark = pytest.mark.django_db


def _at(tenant, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, tzinfo=tenant.zone)


def _structure(tenant, obj, when) -> set[tuple[str, Decimal, str]]:
    return {
        (node.line.item.name, node.line.quantity, node.line.serial_number)
        for node in selectors.service_bom_as_of(tenant=tenant, obj=obj, at=when)
    }


@pytest.fixture
def boiler(tenant_a, manager_a):
    items = {n: ItemFactory(tenant=tenant_a, name=n) for n in ("boiler", "pump", "fan", "board")}
    items["board"].is_serial_tracked = True
    items["board"].save()
    bom(tenant_a, manager_a, items["boiler"], [(items["pump"], 1), (items["fan"], 2)])
    return items


def test_made_from_the_active_version(tenant_a, manager_a, boiler):
    order, obj = order_with_object(tenant_a, item=boiler["boiler"])
    lines = services.service_bom_create(
        tenant=tenant_a, by=manager_a, object_id=obj.pk, at=_at(tenant_a, 1)
    )
    assert {(line.item.name, line.quantity) for line in lines} == {
        ("pump", Decimal(1)),
        ("fan", Decimal(2)),
    }
    assert BomHistory.objects.filter(service_object=obj, action=BomAction.CREATE).count() == 2
    with pytest.raises(ValidationError):
        services.service_bom_create(tenant=tenant_a, by=manager_a, object_id=obj.pk)


def test_a_replacement_writes_history_and_an_item_line(tenant_a, technician_a, manager_a, boiler):
    order, obj = order_with_object(tenant_a, item=boiler["boiler"], technician=technician_a)
    services.service_bom_create(tenant=tenant_a, by=manager_a, object_id=obj.pk)
    pump = ServiceBomLine.objects.get(service_object=obj, item=boiler["pump"])
    history = services.service_bom_change(
        tenant=tenant_a,
        by=technician_a,
        object_id=obj.pk,
        change=services.PartChange(action=BomAction.REPLACE, line_id=pump.pk),
        order_id=order.pk,
        add_order_line=True,
        assigned_to=technician_a,
    )
    pump.refresh_from_db()
    assert pump.removed_at is not None
    assert history.old_line == pump
    assert (history.new_line.item, history.new_line.slot) == (boiler["pump"], pump.slot)
    assert (history.order, history.technician, history.quantity) == (order, technician_a, 1)
    line = ServiceOrderLine.objects.get(order=order)
    assert (line.kind, line.item, line.service_object) == (LineKind.ITEM, boiler["pump"], obj)
    assert history.order_line == line


def test_a_serial_tracked_part_needs_its_serial(tenant_a, manager_a, boiler):
    order, obj = order_with_object(tenant_a, item=boiler["boiler"])
    with pytest.raises(ValidationError) as refused:
        services.service_bom_change(
            tenant=tenant_a,
            by=manager_a,
            object_id=obj.pk,
            change=services.PartChange(action=BomAction.ADD, item=boiler["board"]),
            order_id=order.pk,
        )
    assert "serial_number" in refused.value.message_dict
    assert not ServiceBomLine.objects.filter(service_object=obj).exists()


def test_a_part_already_replaced_is_a_conflict(tenant_a, manager_a, boiler):
    order, obj = order_with_object(tenant_a, item=boiler["boiler"])
    services.service_bom_create(tenant=tenant_a, by=manager_a, object_id=obj.pk)
    fan = ServiceBomLine.objects.get(service_object=obj, item=boiler["fan"])
    change = services.PartChange(action=BomAction.REMOVE, line_id=fan.pk)
    services.service_bom_change(tenant=tenant_a, by=manager_a, object_id=obj.pk, change=change)
    with pytest.raises(services.StateConflict):
        services.service_bom_change(tenant=tenant_a, by=manager_a, object_id=obj.pk, change=change)


def test_a_technician_changes_parts_only_on_an_order(tenant_a, technician_a, boiler):
    _order, obj = order_with_object(tenant_a, item=boiler["boiler"], technician=technician_a)
    with pytest.raises(ValidationError):
        services.service_bom_change(
            tenant=tenant_a,
            by=technician_a,
            object_id=obj.pk,
            change=services.PartChange(action=BomAction.ADD, item=boiler["fan"]),
            assigned_to=technician_a,
        )


def test_structure_as_of_any_date_matches_the_history(tenant_a, manager_a, boiler):
    order, obj = order_with_object(tenant_a, item=boiler["boiler"])
    change = services.service_bom_change
    services.service_bom_create(
        tenant=tenant_a, by=manager_a, object_id=obj.pk, at=_at(tenant_a, 1)
    )
    pump = ServiceBomLine.objects.get(service_object=obj, item=boiler["pump"])
    fan = ServiceBomLine.objects.get(service_object=obj, item=boiler["fan"])
    # 5 March: the pump replaced by a new one; 10 March: a control board added under the pump;
    # 15 March: the fans replaced by one fan; 20 March: the board removed.
    new_pump = change(
        tenant=tenant_a,
        by=manager_a,
        object_id=obj.pk,
        change=services.PartChange(action=BomAction.REPLACE, line_id=pump.pk),
        order_id=order.pk,
        at=_at(tenant_a, 5),
    ).new_line
    board = change(
        tenant=tenant_a,
        by=manager_a,
        object_id=obj.pk,
        change=services.PartChange(
            action=BomAction.ADD,
            item=boiler["board"],
            serial_number="B-1",
            parent_slot=new_pump.slot,
        ),
        order_id=order.pk,
        at=_at(tenant_a, 10),
    ).new_line
    change(
        tenant=tenant_a,
        by=manager_a,
        object_id=obj.pk,
        change=services.PartChange(action=BomAction.REPLACE, line_id=fan.pk, quantity=Decimal(1)),
        at=_at(tenant_a, 15),
    )
    change(
        tenant=tenant_a,
        by=manager_a,
        object_id=obj.pk,
        change=services.PartChange(action=BomAction.REMOVE, line_id=board.pk),
        at=_at(tenant_a, 20),
    )
    one, two = Decimal(1), Decimal(2)
    by_hand = {
        datetime.date(2026, 2, 28): set(),
        datetime.date(2026, 3, 1): {("pump", one, ""), ("fan", two, "")},
        datetime.date(2026, 3, 7): {("pump", one, ""), ("fan", two, "")},
        datetime.date(2026, 3, 10): {("pump", one, ""), ("fan", two, ""), ("board", one, "B-1")},
        datetime.date(2026, 3, 16): {("pump", one, ""), ("fan", one, ""), ("board", one, "B-1")},
        datetime.date(2026, 3, 25): {("pump", one, ""), ("fan", one, "")},
    }
    for day, expected in by_hand.items():
        assert _structure(tenant_a, obj, selectors.end_of_day(tenant_a, day)) == expected, day
    # At noon on the 5th the pump was replaced: just before, the old line; just after, the new.
    before = selectors.service_bom_as_of(
        tenant=tenant_a, obj=obj, at=_at(tenant_a, 5) - datetime.timedelta(seconds=1)
    )
    after = selectors.service_bom_as_of(tenant=tenant_a, obj=obj, at=_at(tenant_a, 5))
    assert pump in [n.line for n in before] and new_pump not in [n.line for n in before]
    assert new_pump in [n.line for n in after] and pump not in [n.line for n in after]
    # The board sat under the pump on the 10th.
    tree = selectors.service_bom_as_of(
        tenant=tenant_a, obj=obj, at=selectors.end_of_day(tenant_a, datetime.date(2026, 3, 10))
    )
    depth = {node.line.item.name: node.depth for node in tree}
    assert depth == {"pump": 0, "board": 1, "fan": 0}
    # Replaying the history rows gives the same structure at every date.
    rows = list(BomHistory.objects.filter(service_object=obj).order_by("at", "id"))
    for day in by_hand:
        end = selectors.end_of_day(tenant_a, day)
        replay = set()
        for row in rows:
            if row.at > end:
                break
            if row.old_line_id:
                replay.discard(row.old_line_id)
            if row.new_line_id:
                replay.add(row.new_line_id)
        as_of = {n.line.pk for n in selectors.service_bom_as_of(tenant=tenant_a, obj=obj, at=end)}
        assert as_of == replay, day
