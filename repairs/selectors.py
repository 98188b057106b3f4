"""Every read of repairs, tenant first, with what the pages show joined in so that each page runs
a constant number of queries."""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery

from customers.models import Item, ServiceObject
from service_orders.models import LineStatus, ServiceOrder, ServiceOrderLine, ServiceOrderObject
from tenancy.models import Tenant

from .models import (
    BomHistory,
    BomLine,
    BomState,
    BomVersion,
    Condition,
    DiagnosisArea,
    DiagnosisCode,
    RepairLine,
    RepairPhoto,
    RepairStage,
    Resolution,
    ResolutionStat,
    ServiceBomLine,
    SymptomArea,
    SymptomCode,
)

SUGGESTIONS_LIMIT = 5
HISTORY_LIMIT = 200

# --- Code tables ---------------------------------------------------------------------------------


def code_list(*, tenant: Tenant, model, search: str = "") -> QuerySet:
    qs = model.objects.for_tenant(tenant)
    if hasattr(model, "area"):
        qs = qs.select_related("area")
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return qs


def code_get(*, tenant: Tenant, model, pk: int):
    return code_list(tenant=tenant, model=model).get(pk=pk)


def active_codes(*, tenant: Tenant, model) -> QuerySet:
    return code_list(tenant=tenant, model=model).filter(is_active=True)


def code_table_counts(*, tenant: Tenant) -> dict[str, int]:
    """Rows per table for the overview page (one query per table, seven in all)."""
    models = {
        "conditions": Condition,
        "symptom-areas": SymptomArea,
        "symptom-codes": SymptomCode,
        "diagnosis-areas": DiagnosisArea,
        "diagnosis-codes": DiagnosisCode,
        "resolutions": Resolution,
        "stages": RepairStage,
    }
    return {key: model.objects.for_tenant(tenant).count() for key, model in models.items()}


def stages(*, tenant: Tenant) -> list[RepairStage]:
    return list(RepairStage.objects.for_tenant(tenant).filter(is_active=True))


# --- Orders and their objects --------------------------------------------------------------------


def _order_object_ids(*, tenant: Tenant, order: ServiceOrder) -> Q:
    """The objects an order was made for, and those its lines work on."""
    linked = ServiceOrderObject.objects.filter(tenant_id=tenant.pk, order=order).values(
        "service_object_id"
    )
    on_lines = (
        ServiceOrderLine.objects.filter(
            tenant_id=tenant.pk, order=order, service_object__isnull=False
        )
        .exclude(status=LineStatus.CANCELLED)
        .values("service_object_id")
    )
    # One IN over the union, not two INs OR-ed: PostgreSQL answers the OR by reading every
    # object of the tenant; the union lets it look the few ids up by key.
    return Q(pk__in=linked.union(on_lines))


def order_objects(*, tenant: Tenant, order: ServiceOrder) -> list[ServiceObject]:
    """The objects of an order: those it was made for and those its lines work on (one
    query)."""
    return list(
        ServiceObject.objects.for_tenant(tenant)
        .filter(_order_object_ids(tenant=tenant, order=order))
        .select_related("item")
        .order_by("number")
    )


def order_object_ids(*, tenant: Tenant, order: ServiceOrder) -> set[int]:
    return {obj.pk for obj in order_objects(tenant=tenant, order=order)}


# --- Repair lines --------------------------------------------------------------------------------

LINE_RELATED = (
    "order",
    "service_object",
    "item",
    "condition",
    "symptom_area",
    "symptom_code",
    "diagnosis_area",
    "diagnosis_code",
    "resolution",
    "stage",
    "technician",
)


def repair_lines(*, tenant: Tenant) -> QuerySet:
    return RepairLine.objects.for_tenant(tenant).select_related(*LINE_RELATED)


def order_repair_panel(*, tenant: Tenant, order: ServiceOrder) -> list[dict]:
    """The order pages' repairs panel in one statement: the order's objects (those it was made
    for, those its lines work on, those repaired on it), by number, each as a dictionary (pk,
    number, name) with ``repair_lines``, the order's repair lines on that object as dictionaries
    of what the panel shows (id, title, finished_at, stage, symptom, resolution), oldest first.

    Written as SQL: built through the ORM (three unions, a correlated JSON subquery) this one
    statement cost 3 ms of Python on every order page, ten times its run time. Each table is
    filtered by the tenant as the ORM would (and row-level security filters it again)."""
    tables = {
        "object": ServiceObject._meta.db_table,
        "order_object": ServiceOrderObject._meta.db_table,
        "order_line": ServiceOrderLine._meta.db_table,
        "line": RepairLine._meta.db_table,
        "stage": RepairStage._meta.db_table,
        "symptom": SymptomCode._meta.db_table,
        "resolution": Resolution._meta.db_table,
    }
    sql = _ORDER_REPAIR_PANEL_SQL.format(**tables)
    params = {"tenant": tenant.pk, "order": order.pk, "cancelled": LineStatus.CANCELLED}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {"pk": pk, "number": number, "name": name, "repair_lines": json.loads(lines)}
        for pk, number, name, lines in rows
    ]


_ORDER_REPAIR_PANEL_SQL = """
SELECT obj.id, obj.number, obj.name, COALESCE((
    SELECT json_agg(json_build_object(
        'id', line.id, 'title', line.title, 'finished_at', line.finished_at,
        'stage', stage.name, 'symptom', symptom.name, 'resolution', resolution.name
    ) ORDER BY line.created_at, line.id)
    FROM {line} line
    JOIN {stage} stage ON stage.tenant_id = line.tenant_id AND stage.id = line.stage_id
    LEFT JOIN {symptom} symptom
        ON symptom.tenant_id = line.tenant_id AND symptom.id = line.symptom_code_id
    LEFT JOIN {resolution} resolution
        ON resolution.tenant_id = line.tenant_id AND resolution.id = line.resolution_id
    WHERE line.tenant_id = %(tenant)s AND line.order_id = %(order)s
        AND line.service_object_id = obj.id
), '[]')::text
FROM {object} obj
WHERE obj.tenant_id = %(tenant)s AND obj.id IN (
    SELECT service_object_id FROM {order_object}
    WHERE tenant_id = %(tenant)s AND order_id = %(order)s
    UNION
    SELECT service_object_id FROM {order_line}
    WHERE tenant_id = %(tenant)s AND order_id = %(order)s
        AND service_object_id IS NOT NULL AND status <> %(cancelled)s
    UNION
    SELECT service_object_id FROM {line}
    WHERE tenant_id = %(tenant)s AND order_id = %(order)s
)
ORDER BY obj.number, obj.id
"""


def repair_line_get(*, tenant: Tenant, pk: int) -> RepairLine:
    return repair_lines(tenant=tenant).get(pk=pk)


def object_repair_lines(*, tenant: Tenant, obj: ServiceObject, limit: int = HISTORY_LIMIT):
    return list(
        repair_lines(tenant=tenant)
        .filter(service_object=obj)
        .order_by("-created_at", "-id")[:limit]
    )


def line_photos(*, tenant: Tenant, line: RepairLine) -> list[RepairPhoto]:
    return list(RepairPhoto.objects.for_tenant(tenant).filter(line=line))


def line_photo_get(*, tenant: Tenant, line: RepairLine, pk: int) -> RepairPhoto:
    return RepairPhoto.objects.for_tenant(tenant).get(line=line, pk=pk)


def suggestions(
    *, tenant: Tenant, item_id: int | None, symptom_code_id: int | None, limit=SUGGESTIONS_LIMIT
) -> list[ResolutionStat]:
    """The resolutions that fixed this symptom on this item before, most frequent first: one
    index range read of the aggregate, whatever the number of repair lines."""
    if not item_id or not symptom_code_id:
        return []
    return list(
        ResolutionStat.objects.for_tenant(tenant)
        .filter(item_id=item_id, symptom_code_id=symptom_code_id, resolution__is_active=True)
        .select_related("resolution")
        .order_by("-count", "resolution__position", "resolution__code")[:limit]
    )


# --- BOM versions --------------------------------------------------------------------------------


def bom_version_list(*, tenant: Tenant, search: str = "", state: str = "") -> QuerySet:
    qs = (
        BomVersion.objects.for_tenant(tenant)
        .select_related("item")
        .annotate(
            line_count=Subquery(
                BomLine.objects.filter(tenant_id=OuterRef("tenant_id"), version_id=OuterRef("pk"))
                .values("version_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            )
        )
    )
    if search:
        qs = qs.filter(Q(item__number__icontains=search) | Q(item__name__icontains=search))
    if state:
        qs = qs.filter(state=state)
    return qs


def bom_version_get(*, tenant: Tenant, pk: int) -> BomVersion:
    return (
        BomVersion.objects.for_tenant(tenant)
        .select_related("item", "approved_by", "copied_from")
        .get(pk=pk)
    )


def bom_lines(*, tenant: Tenant, version: BomVersion) -> list[BomLine]:
    return list(BomLine.objects.for_tenant(tenant).filter(version=version).select_related("item"))


def item_versions(*, tenant: Tenant, item_id: int) -> list[BomVersion]:
    return list(BomVersion.objects.for_tenant(tenant).filter(item_id=item_id).order_by("-number"))


def bom_active_version(*, tenant: Tenant, item_id: int, on: datetime.date) -> BomVersion | None:
    return (
        BomVersion.objects.for_tenant(tenant)
        .filter(item_id=item_id, state=BomState.ACTIVE, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )


# --- Where an item is used (its "still in use" check) ---------------------------------------------

ITEM_USAGE_NAMES = 3  # the items whose BOMs list it, named in the sentence; the rest counted


@dataclass(frozen=True)
class ItemUsage:
    bom_versions: int  # versions of the item's own BOM
    in_bom_versions: int  # versions of other items' BOMs that list it as a part
    in_bom_items: int  # ... of how many items
    in_bom_names: list[str]  # the first of those items ("number · name"), by number
    service_objects: int  # objects whose service BOM lists it, now or before
    repair_lines: int


def item_usage(*, tenant: Tenant, item: Item) -> ItemUsage:
    """Where repairs refers to ``item``, in one statement (each table filtered by the tenant)."""
    tables = {
        "item": Item._meta.db_table,
        "version": BomVersion._meta.db_table,
        "bom_line": BomLine._meta.db_table,
        "service_bom_line": ServiceBomLine._meta.db_table,
        "repair_line": RepairLine._meta.db_table,
    }
    params = {"tenant": tenant.pk, "item": item.pk, "names": ITEM_USAGE_NAMES}
    with connection.cursor() as cursor:
        cursor.execute(_ITEM_USAGE_SQL.format(**tables), params)
        row = cursor.fetchone()
    return ItemUsage(*row[:3], list(row[3]), *row[4:])


_ITEM_USAGE_SQL = """
WITH parent AS (
    SELECT version.id, version.item_id
    FROM {bom_line} line
    JOIN {version} version ON version.tenant_id = line.tenant_id AND version.id = line.version_id
    WHERE line.tenant_id = %(tenant)s AND line.item_id = %(item)s
)
SELECT
    (SELECT count(*) FROM {version} WHERE tenant_id = %(tenant)s AND item_id = %(item)s),
    (SELECT count(*) FROM parent),
    (SELECT count(DISTINCT item_id) FROM parent),
    ARRAY(
        SELECT item.number || ' · ' || item.name FROM {item} item
        WHERE item.tenant_id = %(tenant)s AND item.id IN (SELECT item_id FROM parent)
        ORDER BY item.number LIMIT %(names)s
    ),
    (SELECT count(DISTINCT service_object_id) FROM {service_bom_line}
     WHERE tenant_id = %(tenant)s AND item_id = %(item)s),
    (SELECT count(*) FROM {repair_line} WHERE tenant_id = %(tenant)s AND item_id = %(item)s)
"""


@dataclass
class CompareRow:
    item: object
    left: Decimal | None
    right: Decimal | None

    @property
    def change(self) -> str:
        if self.left is None:
            return "added"
        if self.right is None:
            return "removed"
        return "same" if self.left == self.right else "changed"


def bom_compare(*, tenant: Tenant, left: BomVersion, right: BomVersion) -> list[CompareRow]:
    """Two versions side by side, one row per item: added, removed, changed quantity or the
    same (two queries)."""
    rows: dict[int, CompareRow] = {}
    for line in bom_lines(tenant=tenant, version=left):
        rows[line.item_id] = CompareRow(line.item, line.quantity, None)
    for line in bom_lines(tenant=tenant, version=right):
        if line.item_id in rows:
            rows[line.item_id].right = line.quantity
        else:
            rows[line.item_id] = CompareRow(line.item, None, line.quantity)
    return sorted(rows.values(), key=lambda row: row.item.number)


# --- Service BOMs --------------------------------------------------------------------------------


@dataclass
class PartNode:
    line: ServiceBomLine
    depth: int = 0
    children: list = field(default_factory=list)


def _tree(lines: list[ServiceBomLine]) -> list[PartNode]:
    """The lines as a tree by place (``parent_slot`` → the line in that place), flattened in
    display order with a depth; a part whose parent place is empty shows at the top."""
    by_slot = {line.slot: PartNode(line) for line in lines}
    roots = []
    for node in by_slot.values():
        parent = by_slot.get(node.line.parent_slot)
        if parent is not None and parent is not node:
            parent.children.append(node)
        else:
            roots.append(node)
    out: list[PartNode] = []

    def walk(nodes, depth, seen):
        for node in sorted(nodes, key=lambda n: (n.line.position, n.line.slot or 0)):
            if node.line.slot in seen:
                continue
            node.depth = depth
            out.append(node)
            walk(node.children, depth + 1, seen | {node.line.slot})

    walk(roots, 0, frozenset())
    return out


def service_bom_current(*, tenant: Tenant, obj: ServiceObject) -> list[ServiceBomLine]:
    return list(
        ServiceBomLine.objects.for_tenant(tenant)
        .filter(service_object=obj, removed_at__isnull=True)
        .select_related("item")
    )


def service_bom_as_of(
    *, tenant: Tenant, obj: ServiceObject, at: datetime.datetime
) -> list[PartNode]:
    """The object's structure at moment ``at``: the parts installed by then and not removed
    yet, as a tree. One query whatever the length of the history."""
    lines = list(
        ServiceBomLine.objects.for_tenant(tenant)
        .filter(service_object=obj, installed_at__lte=at)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=at))
        .select_related("item")
    )
    return _tree(lines)


def end_of_day(tenant: Tenant, day: datetime.date) -> datetime.datetime:
    """The last moment of ``day`` in the tenant's zone: "as of" a date means at its end."""
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=tenant.zone)


def service_bom_history(
    *, tenant: Tenant, obj: ServiceObject, limit: int = HISTORY_LIMIT
) -> list[BomHistory]:
    return list(
        BomHistory.objects.for_tenant(tenant)
        .filter(service_object=obj)
        .select_related("old_line__item", "new_line__item", "order", "technician")
        .order_by("-at", "-id")[:limit]
    )


def service_bom_line_get(*, tenant: Tenant, obj: ServiceObject, pk: int) -> ServiceBomLine:
    return (
        ServiceBomLine.objects.for_tenant(tenant)
        .select_related("item")
        .get(service_object=obj, pk=pk)
    )
