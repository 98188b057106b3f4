"""What repairs add to the pages of lower apps (see web.registry): the repair lines on the order
pages (office and technician), the service BOM and repair history on the object page, and the
"still in use" check of the items its rows refer to."""

from django.utils.translation import ngettext_lazy

from service_orders.capabilities import VIEW_ORDERS
from service_orders.services.lines import lines_change_refusal
from web.permissions import request_can
from web.registry import Panel, register_panel, register_usage_check

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


# Where repairs uses an item, each with the ItemUsage count it reports.
_ITEM_USES = (
    (
        "bom_versions",
        ngettext_lazy(
            "This item has %(count)d BOM version.", "This item has %(count)d BOM versions.", "count"
        ),
    ),
    (
        "in_bom_versions",
        ngettext_lazy(
            "Used in %(count)d BOM version of %(items)s.",
            "Used in %(count)d BOM versions of %(items)s.",
            "count",
        ),
    ),
    (
        "service_objects",
        ngettext_lazy(
            "Recorded in the service BOM of %(count)d service object.",
            "Recorded in the service BOMs of %(count)d service objects.",
            "count",
        ),
    ),
    (
        "repair_lines",
        ngettext_lazy("Used in %(count)d repair line.", "Used in %(count)d repair lines.", "count"),
    ),
)


def _item_in_use(tenant, item) -> str | None:
    """Where repairs uses the item, for the item's delete (one query)."""
    usage = selectors.item_usage(tenant=tenant, item=item)
    items = ", ".join(usage.in_bom_names)
    if usage.in_bom_items > len(usage.in_bom_names):
        items += ", …"
    sentences = [
        text % {"count": getattr(usage, count), "items": items}
        for count, text in _ITEM_USES
        if getattr(usage, count)
    ]
    return " ".join(sentences) or None


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
    register_usage_check("customers.item", _item_in_use)
