"""What repairs add to the pages of lower apps (see web.registry): the repair lines on the order
pages (office and technician), the service BOM and repair history on the object page, and the
"still in use" checks of the items and objects its rows refer to."""

from service_orders.capabilities import VIEW_ORDERS
from service_orders.services.lines import lines_change_refusal
from web.permissions import request_can
from web.registry import Panel, register_panel

from . import selectors
from .capabilities import CHANGE_SERVICE_BOMS, MANAGE_BOMS, RECORD_REPAIRS, VIEW_SERVICE_BOMS


def _order_repairs(request, order) -> dict:
    tenant = request.tenant
    return {
        "order": order,
        "objects": selectors.order_repair_panel(tenant=tenant, order=order),
        "can_record": not lines_change_refusal(tenant=tenant, order=order),
        "can_change_parts": request_can(request, CHANGE_SERVICE_BOMS),
        "phone": not request_can(request, VIEW_ORDERS),
    }


def _object_repairs(request, obj) -> dict:
    tenant = request.tenant
    return {
        "obj": obj,
        "parts": selectors.service_bom_as_of(tenant=tenant, obj=obj, at=tenant.now()),
        "repairs": selectors.object_repair_lines(tenant=tenant, obj=obj, limit=20),
        "can_create": request_can(request, MANAGE_BOMS),
    }


def register_all() -> None:
    for slot in ("service_order", "technician_order"):
        register_panel(
            Panel(
                slot,
                "repairs",
                "repairs/panels/order_repairs.html",
                _order_repairs,
                RECORD_REPAIRS,
                order=100,
            )
        )
    register_panel(
        Panel(
            "service_object",
            "repairs",
            "repairs/panels/object_repairs.html",
            _object_repairs,
            VIEW_SERVICE_BOMS,
            order=50,
        )
    )
