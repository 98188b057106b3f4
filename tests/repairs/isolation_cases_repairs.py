"""Isolation cases for the repair pages (see tests/isolation.py): another tenant's code, repair
line, photo, BOM version, object or order is a 404 on every one of them."""

from decimal import Decimal

from repairs.models import BomState
from service_orders.models import OrderState
from tests.factories import (
    BomLineFactory,
    BomVersionFactory,
    ConditionFactory,
    CustomerFactory,
    RepairLineFactory,
    RepairPhotoFactory,
    ServiceBomLineFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderObjectFactory,
)


def _order(tenant) -> dict:
    order = ServiceOrderFactory(
        customer=CustomerFactory(tenant=tenant), state=OrderState.IN_PROGRESS
    )
    ServiceOrderObjectFactory(order=order)
    return {"order_pk": order.pk}


def _line(tenant) -> dict:
    order = ServiceOrderFactory(
        customer=CustomerFactory(tenant=tenant), state=OrderState.IN_PROGRESS
    )
    return {"pk": RepairLineFactory(order=order).pk}


def _photo(tenant) -> dict:
    photo = RepairPhotoFactory(line=RepairLineFactory(order__customer__tenant=tenant))
    return {"pk": photo.line_id, "photo_pk": photo.pk}


def _version(tenant, state=BomState.DRAFT) -> dict:
    version = BomVersionFactory(tenant=tenant, state=state)
    BomLineFactory(version=version, quantity=Decimal(2))
    return {"pk": version.pk}


def _version_line(tenant) -> dict:
    line = BomLineFactory(version=BomVersionFactory(tenant=tenant))
    return {"pk": line.version_id, "line_pk": line.pk}


def _object(tenant) -> dict:
    obj = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant))
    ServiceBomLineFactory(service_object=obj)
    return {"pk": obj.pk}


def _compare(tenant) -> dict:
    version = BomVersionFactory(tenant=tenant)
    BomVersionFactory(tenant=tenant, item=version.item)
    return {"pk": version.pk}


CASES = {
    "repairs:code_edit": lambda tenant: {
        "kind": "conditions",
        "pk": ConditionFactory(tenant=tenant).pk,
    },
    "repairs:line_create": _order,
    "repairs:suggestions": _order,
    "repairs:line_detail": _line,
    "repairs:line_stage": _line,
    "repairs:line_resolution": _line,
    "repairs:line_photo_add": _line,
    "repairs:line_photo": _photo,
    "repairs:bom_detail": _version,
    "repairs:bom_edit": _version,
    "repairs:bom_line_add": _version,
    "repairs:bom_line_remove": _version_line,
    "repairs:bom_copy": _version,
    "repairs:bom_compare": _compare,
    "repairs:bom_step": lambda tenant: {**_version(tenant), "step": "approve"},
    "repairs:service_bom": _object,
    "repairs:service_bom_create": _object,
    "repairs:part_change": _object,
}
