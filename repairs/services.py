"""Every write of repairs: code tables, repair lines (stages, finished stamping, photos, the
resolution statistics), BOM versions and the service BOMs with their history.

Each function takes the tenant first, runs in one transaction, locks the row it changes and
re-checks after the lock; a refusal is a ValidationError naming the field.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Item, ServiceObject
from service_orders.models import ServiceOrder
from service_orders.services.lines import line_add_item, order_for_line_change
from tenancy.integrity import save_unique, unique_violation
from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot
from web.photos import checked_photo, store_photo

from . import selectors
from .models import (
    BomAction,
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


class StateConflict(Exception):
    """The record moved on since the page was shown (a lost race): the view answers 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Code tables ---------------------------------------------------------------------------------

CODE_FIELDS = ("code", "name", "position", "is_active")


def _code_taken_message() -> str:
    return _("A code like this already exists here.")


@transaction.atomic
def code_save(*, tenant: Tenant, by: User | None, model, pk: int | None, data: dict):
    """Create (pk None) or change one row of a code table. Codes of an area are unique within
    the area."""
    if pk is None:
        row = model(tenant=tenant)
        before = None
    else:
        row = model.objects.for_tenant(tenant).select_for_update().get(pk=pk)
        before = audit_snapshot(row, CODE_FIELDS)
    fields = list(CODE_FIELDS)
    if model is RepairStage:
        fields.append("is_finished")
    if model in (SymptomCode, DiagnosisCode):
        fields.append("area")
        area = data.get("area")
        if area is not None and area.tenant_id != tenant.pk:
            raise ValidationError({"area": _("Choose an area of this tenant.")})
    for field in fields:
        if field in data:
            setattr(row, field, data[field])
    row.code = (row.code or "").strip()
    if not row.code:
        raise ValidationError({"code": _("Enter a code.")})
    taken = model.objects.for_tenant(tenant).filter(code__iexact=row.code).exclude(pk=row.pk)
    if model in (SymptomCode, DiagnosisCode):
        taken = taken.filter(area_id=row.area_id)
    if taken.exists():
        raise ValidationError({"code": _code_taken_message()})
    unique = next(c.name for c in model._meta.constraints if c.name.endswith("_code"))
    save_unique(row, {unique: ("code", _code_taken_message())})
    label = model._meta.label_lower
    if before is None:
        audit_record(
            tenant=tenant,
            actor=by,
            action=f"{label}.create",
            target=row,
            params={"record": str(row)},
        )
    elif changes := audit_changes(before, audit_snapshot(row, CODE_FIELDS)):
        audit_record(
            tenant=tenant,
            actor=by,
            action=f"{label}.update",
            target=row,
            params={"record": str(row), "fields": sorted(changes)},
            changes=changes,
        )
    return row


# --- Repair lines --------------------------------------------------------------------------------

LINE_FIELDS = (
    "title",
    "note",
    "condition",
    "symptom_area",
    "symptom_code",
    "diagnosis_area",
    "diagnosis_code",
    "resolution",
)
CODE_MODELS = {
    "condition": Condition,
    "symptom_area": SymptomArea,
    "symptom_code": SymptomCode,
    "diagnosis_area": DiagnosisArea,
    "diagnosis_code": DiagnosisCode,
    "resolution": Resolution,
}


def check_codes(*, tenant: Tenant, data: dict) -> dict:
    """The codes of a repair line checked against each other: every code of this tenant, and a
    symptom (diagnosis) code of the chosen area; a code without an area takes its own area.
    Returns the data with the areas filled in; ValidationError names the field."""
    data = dict(data)
    errors = {}
    for field, model in CODE_MODELS.items():
        value = data.get(field)
        if value is not None and (not isinstance(value, model) or value.tenant_id != tenant.pk):
            errors[field] = _("Choose a code of this tenant's tables.")
    for area_field, code_field, message in (
        (
            "symptom_area",
            "symptom_code",
            _("This symptom belongs to another symptom area; choose one of the area chosen."),
        ),
        (
            "diagnosis_area",
            "diagnosis_code",
            _("This diagnosis belongs to another diagnosis area; choose one of the area chosen."),
        ),
    ):
        code, area = data.get(code_field), data.get(area_field)
        if code is None or code_field in errors:
            continue
        if area is None:
            data[area_field] = code.area
        elif code.area_id != area.pk:
            errors[code_field] = message
    if errors:
        raise ValidationError(errors)
    return data


def _first_stage(tenant: Tenant) -> RepairStage:
    stage = (
        RepairStage.objects.for_tenant(tenant)
        .filter(is_active=True, is_finished=False)
        .order_by("position", "code")
        .first()
    )
    if stage is None:
        raise ValidationError(
            _("Set up the repair stages first: there is no open stage to start a repair line in.")
        )
    return stage


def _count_resolution(line: RepairLine, at: datetime.datetime) -> None:
    """One more time this resolution fixed this symptom on this item (an upsert on the
    aggregate's unique key: two lines finishing at once both count)."""
    if not (line.item_id and line.symptom_code_id and line.resolution_id):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ResolutionStat._meta.db_table}
                (tenant_id, item_id, symptom_code_id, resolution_id, count, last_at)
            VALUES (%s, %s, %s, %s, 1, %s)
            ON CONFLICT (tenant_id, item_id, symptom_code_id, resolution_id)
            DO UPDATE SET count = {ResolutionStat._meta.db_table}.count + 1,
                          last_at = GREATEST({ResolutionStat._meta.db_table}.last_at,
                                             EXCLUDED.last_at)
            """,
            [line.tenant_id, line.item_id, line.symptom_code_id, line.resolution_id, at],
        )


def _enter_stage(line: RepairLine, stage: RepairStage, at: datetime.datetime) -> None:
    line.stage = stage
    if stage.is_finished:
        line.finished_at = at
        _count_resolution(line, at)


@transaction.atomic
def repair_line_create(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    service_object: ServiceObject | None,
    data: dict,
    assigned_to: User | None = None,
    stage: RepairStage | None = None,
    at: datetime.datetime | None = None,
    check_order: bool = True,
) -> RepairLine:
    """A repair line on the order for one of its objects. ``check_order`` off is for the demo
    data's history on completed orders only."""
    if check_order:
        order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
    else:
        order = ServiceOrder.objects.for_tenant(tenant).get(pk=order_id)
    if service_object is None:
        raise ValidationError({"service_object": _("Choose the object repaired.")})
    if service_object.pk not in selectors.order_object_ids(tenant=tenant, order=order):
        raise ValidationError(
            {"service_object": _("This object is not on the order; choose one of its objects.")}
        )
    data = check_codes(tenant=tenant, data=data)
    if not (data.get("title") or "").strip():
        raise ValidationError({"title": _("Say in a few words what is repaired.")})
    if stage is not None and stage.tenant_id != tenant.pk:
        raise ValidationError({"stage": _("Choose a stage of this tenant.")})
    stamp = at or timezone.now()
    line = RepairLine(
        tenant=tenant,
        order=order,
        service_object=service_object,
        item_id=service_object.item_id,
        technician=by,
        description=(data.get("title") or "").strip()[:200],
        quantity=Decimal("1"),
    )
    for field in LINE_FIELDS:
        if field in data:
            setattr(line, field, data[field])
    line.title = line.title.strip()
    _enter_stage(line, stage or _first_stage(tenant), stamp)
    line.save()
    if at is not None:  # the demo's history: the line made when the repair was
        RepairLine.objects.filter(tenant=tenant, pk=line.pk).update(created_at=at)
        line.created_at = at
    audit_record(
        tenant=tenant,
        actor=by,
        action="repair.line_add",
        target=order,
        params={"title": line.title, "number": order.number},
    )
    return line


def _line_for_change(
    *, tenant: Tenant, line_id: int, assigned_to: User | None, expect_open: bool = True
) -> RepairLine:
    line = (
        RepairLine.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("order", "stage")
        .get(pk=line_id)
    )
    if assigned_to is not None and line.order.assigned_technician_id != assigned_to.pk:
        raise RepairLine.DoesNotExist
    if expect_open and line.finished_at is not None:
        raise StateConflict(_("This repair line is finished and closed; it can no longer change."))
    return line


@transaction.atomic
def repair_line_update(
    *, tenant: Tenant, by: User, line_id: int, data: dict, assigned_to: User | None = None
) -> RepairLine:
    line = _line_for_change(tenant=tenant, line_id=line_id, assigned_to=assigned_to)
    order_for_line_change(tenant=tenant, order_id=line.order_id, assigned_to=assigned_to)
    current = {field: getattr(line, field) for field in LINE_FIELDS}
    data = check_codes(tenant=tenant, data={**current, **data})
    if not (data.get("title") or "").strip():
        raise ValidationError({"title": _("Say in a few words what is repaired.")})
    for field in LINE_FIELDS:
        setattr(line, field, data[field])
    line.title = line.title.strip()
    line.description = line.title[:200]
    line.save()
    return line


@transaction.atomic
def repair_line_move(
    *,
    tenant: Tenant,
    by: User,
    line_id: int,
    stage: RepairStage,
    assigned_to: User | None = None,
    at: datetime.datetime | None = None,
) -> RepairLine:
    """Move the line to ``stage``; a finished stage stamps the time and closes the line."""
    if stage.tenant_id != tenant.pk or not stage.is_active:
        raise ValidationError({"stage": _("Choose an active stage of this tenant.")})
    line = _line_for_change(tenant=tenant, line_id=line_id, assigned_to=assigned_to)
    order_for_line_change(tenant=tenant, order_id=line.order_id, assigned_to=assigned_to)
    if line.stage_id == stage.pk:
        return line
    _enter_stage(line, stage, at or timezone.now())
    line.save(update_fields=["stage", "finished_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="repair.line_stage",
        target=line.order,
        params={"title": line.title, "number": line.order.number, "stage": stage.name},
    )
    return line


@transaction.atomic
def repair_photo_add(
    *, tenant: Tenant, by: User, line_id: int, upload, assigned_to: User | None = None
) -> RepairPhoto:
    facts = checked_photo(upload)
    line = _line_for_change(
        tenant=tenant, line_id=line_id, assigned_to=assigned_to, expect_open=False
    )
    photo = RepairPhoto(tenant=tenant, line=line, uploaded_by=by, **facts)
    return store_photo(
        photo,
        upload,
        then=lambda: audit_record(
            tenant=tenant,
            actor=by,
            action="repair.photo_add",
            target=line.order,
            params={"title": line.title},
        ),
    )


# --- BOM versions --------------------------------------------------------------------------------

VERSION_FIELDS = ("valid_from", "valid_to", "note")
OVERLAP = "repairs_bom_active_no_overlap"


def _version_for_change(*, tenant: Tenant, version_id: int) -> BomVersion:
    return (
        BomVersion.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("item")
        .get(pk=version_id)
    )


def _draft_only(version: BomVersion) -> None:
    if version.state != BomState.DRAFT:
        raise StateConflict(
            _("Version %(number)s is %(state)s and can no longer change; copy it to a new version.")
            % {"number": version.number, "state": version.get_state_display().lower()}
        )


def _check_dates(data: dict) -> None:
    start, end = data.get("valid_from"), data.get("valid_to")
    if start is None:
        raise ValidationError({"valid_from": _("Enter the date the version is valid from.")})
    if end is not None and end < start:
        raise ValidationError({"valid_to": _("The version cannot end before it starts.")})


def _next_number(tenant: Tenant, item: Item) -> int:
    top = BomVersion.objects.for_tenant(tenant).filter(item=item).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def _number_taken() -> str:
    return _("Someone else added a version of this BOM at the same moment; save again.")


@transaction.atomic
def bom_version_create(*, tenant: Tenant, by: User, item: Item, data: dict) -> BomVersion:
    if item is None or item.tenant_id != tenant.pk:
        raise ValidationError({"item": _("Choose an item of this tenant.")})
    _check_dates(data)
    version = BomVersion(tenant=tenant, item=item, number=_next_number(tenant, item))
    for field in VERSION_FIELDS:
        setattr(version, field, data.get(field) or ("" if field == "note" else None))
    save_unique(version, {"repairs_bom_number": ("item", _number_taken())})
    audit_record(
        tenant=tenant, actor=by, action="repairs.bomversion.create", target=version,
        params={"record": str(version)},
    )  # fmt: skip
    return version


@transaction.atomic
def bom_version_update(*, tenant: Tenant, by: User, version_id: int, data: dict) -> BomVersion:
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _draft_only(version)
    _check_dates(data)
    for field in VERSION_FIELDS:
        setattr(version, field, data.get(field) or ("" if field == "note" else None))
    version.save()
    return version


@transaction.atomic
def bom_version_copy(*, tenant: Tenant, by: User, version_id: int) -> BomVersion:
    """A new draft with the lines of ``version``: how an approved version is changed."""
    source = BomVersion.objects.for_tenant(tenant).select_related("item").get(pk=version_id)
    start = tenant.today()
    if source.valid_to is not None and source.valid_to >= start:
        start = source.valid_to + datetime.timedelta(days=1)
    elif source.valid_from > start:
        start = source.valid_from + datetime.timedelta(days=1)
    copy = BomVersion(
        tenant=tenant,
        item=source.item,
        number=_next_number(tenant, source.item),
        valid_from=start,
        note=source.note,
        copied_from=source,
    )
    save_unique(copy, {"repairs_bom_number": ("item", _number_taken())})
    BomLine.objects.bulk_create(
        BomLine(
            tenant=tenant,
            version=copy,
            kind=line.kind,
            item_id=line.item_id,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            position=line.position,
        )
        for line in BomLine.objects.for_tenant(tenant).filter(version=source)
    )
    audit_record(
        tenant=tenant, actor=by, action="repairs.bomversion.create", target=copy,
        params={"record": str(copy)},
    )  # fmt: skip
    return copy


@transaction.atomic
def bom_line_add(
    *, tenant: Tenant, by: User, version_id: int, item: Item, quantity: Decimal | None
) -> BomLine:
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _draft_only(version)
    if item is None or item.tenant_id != tenant.pk:
        raise ValidationError({"item": _("Choose an item of this tenant.")})
    if item.pk == version.item_id:
        raise ValidationError({"item": _("An item cannot be a part of itself.")})
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("Enter a quantity above zero.")})
    if BomLine.objects.for_tenant(tenant).filter(version=version, item=item).exists():
        raise ValidationError({"item": _("This item is already in the version; change its line.")})
    position = (
        BomLine.objects.for_tenant(tenant).filter(version=version).aggregate(p=Max("position"))["p"]
    )
    line = BomLine(
        tenant=tenant,
        version=version,
        kind="item",
        item=item,
        description=item.name[:200],
        quantity=quantity,
        unit=item.unit,
        position=(position or 0) + 10,
    )
    save_unique(
        line,
        {"repairs_bomline_item_once": ("item", _("This item is already in the version."))},
    )
    return line


@transaction.atomic
def bom_line_remove(*, tenant: Tenant, by: User, version_id: int, line_id: int) -> None:
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _draft_only(version)
    BomLine.objects.for_tenant(tenant).filter(version=version).get(pk=line_id).delete()


def _transition(version: BomVersion, name: str) -> None:
    method = getattr(version, name)
    if not can_proceed(method):
        raise StateConflict(
            _("Version %(number)s is %(state)s; this step no longer applies.")
            % {"number": version.number, "state": version.get_state_display().lower()}
        )
    method()


@transaction.atomic
def bom_version_approve(*, tenant: Tenant, by: User, version_id: int) -> BomVersion:
    """Freeze the draft: from now on it never changes."""
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _transition(version, "approve")
    if not BomLine.objects.for_tenant(tenant).filter(version=version).exists():
        raise ValidationError(_("A version without parts cannot be approved; add its parts."))
    version.approved_at = timezone.now()
    version.approved_by = by
    version.save()
    audit_record(
        tenant=tenant, actor=by, action="bom.approve", target=version,
        params={"record": str(version)},
    )  # fmt: skip
    return version


@transaction.atomic
def bom_version_activate(*, tenant: Tenant, by: User, version_id: int) -> BomVersion:
    """Put the approved version in force from its valid-from date. An active version that
    started earlier and is still open then ends the day before; any other overlap is refused
    by the database's exclusion constraint (two activations at once: one wins)."""
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _transition(version, "activate")
    earlier = (
        BomVersion.objects.for_tenant(tenant)
        .select_for_update()
        .filter(item_id=version.item_id, state=BomState.ACTIVE, valid_from__lt=version.valid_from)
        .exclude(pk=version.pk)
    )
    day_before = version.valid_from - datetime.timedelta(days=1)
    for other in earlier:
        if other.valid_to is None or other.valid_to > day_before:
            other.valid_to = day_before
            other.save(update_fields=["valid_to"])
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as exc:
        if unique_violation(exc, [OVERLAP]) is None:
            raise
        raise ValidationError(
            {
                "valid_from": _(
                    "Another active version of this item is valid in the same period; "
                    "retire it or choose other dates (in a new version)."
                )
            }
        ) from exc
    audit_record(
        tenant=tenant, actor=by, action="bom.activate", target=version,
        params={"record": str(version)},
    )  # fmt: skip
    return version


@transaction.atomic
def bom_version_retire(*, tenant: Tenant, by: User, version_id: int) -> BomVersion:
    version = _version_for_change(tenant=tenant, version_id=version_id)
    _transition(version, "retire")
    version.save()
    audit_record(
        tenant=tenant, actor=by, action="bom.retire", target=version,
        params={"record": str(version)},
    )  # fmt: skip
    return version


# --- Service BOMs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartChange:
    """What the technician does to one part: ``action`` is add, remove or replace; ``line_id``
    the part removed or replaced; ``item``/``quantity``/``serial_number`` the part put in."""

    action: str
    line_id: int | None = None
    item: Item | None = None
    quantity: Decimal | None = None
    serial_number: str = ""
    parent_slot: int | None = None


def _object_for_change(*, tenant: Tenant, object_id: int) -> ServiceObject:
    # The object's row is the lock every change of its service BOM queues on.
    return ServiceObject.objects.for_tenant(tenant).select_for_update().get(pk=object_id)


def _new_line(
    *,
    tenant: Tenant,
    obj: ServiceObject,
    item: Item,
    quantity: Decimal,
    serial_number: str,
    at: datetime.datetime,
    slot: int | None,
    parent_slot: int | None,
    position: int = 0,
    version: BomVersion | None = None,
) -> ServiceBomLine:
    line = ServiceBomLine.objects.create(
        tenant=tenant,
        service_object=obj,
        kind="item",
        item=item,
        description=item.name[:200],
        quantity=quantity,
        unit=item.unit,
        serial_number=serial_number,
        installed_at=at,
        slot=slot,
        parent_slot=parent_slot,
        position=position,
        from_version=version,
    )
    if slot is None:
        line.slot = line.pk
        ServiceBomLine.objects.filter(tenant=tenant, pk=line.pk).update(slot=line.pk)
    return line


@transaction.atomic
def service_bom_create(
    *,
    tenant: Tenant,
    by: User,
    object_id: int,
    version: BomVersion | None = None,
    at: datetime.datetime | None = None,
) -> list[ServiceBomLine]:
    """The object's service BOM from a BOM version of its item (by default the version active
    today). Refused when the object already has parts."""
    obj = _object_for_change(tenant=tenant, object_id=object_id)
    at = at or timezone.now()
    if selectors.service_bom_current(tenant=tenant, obj=obj):
        raise ValidationError(_("This object already has a service BOM; change its parts."))
    if version is None:
        if obj.item_id is None:
            raise ValidationError(
                _("The object has no item, so no BOM applies; add parts by hand.")
            )
        version = selectors.bom_active_version(
            tenant=tenant, item_id=obj.item_id, on=at.astimezone(tenant.zone).date()
        )
        if version is None:
            raise ValidationError(
                _("The object's item has no active BOM version; add parts by hand.")
            )
    elif version.tenant_id != tenant.pk or version.state not in (
        BomState.APPROVED,
        BomState.ACTIVE,
    ):
        raise ValidationError({"version": _("Choose an approved or active BOM version.")})
    lines = []
    for bom_line in (
        BomLine.objects.for_tenant(tenant).filter(version=version).select_related("item")
    ):
        line = _new_line(
            tenant=tenant,
            obj=obj,
            item=bom_line.item,
            quantity=bom_line.quantity,
            serial_number="",
            at=at,
            slot=None,
            parent_slot=None,
            position=bom_line.position,
            version=version,
        )
        BomHistory.objects.create(
            tenant=tenant,
            service_object=obj,
            action=BomAction.CREATE,
            new_line=line,
            quantity=line.quantity,
            technician=by,
            at=at,
        )
        lines.append(line)
    audit_record(
        tenant=tenant,
        actor=by,
        action="service_bom.change",
        target=obj,
        params={"object": obj.number, "change": BomAction.CREATE},
    )
    return lines


@transaction.atomic
def service_bom_change(
    *,
    tenant: Tenant,
    by: User,
    object_id: int,
    change: PartChange,
    order_id: int | None = None,
    add_order_line: bool = False,
    assigned_to: User | None = None,
    at: datetime.datetime | None = None,
) -> BomHistory:
    """Replace, add or remove one part of the object's service BOM: ends the old line, starts
    the new one, writes the history row and, when asked, an item line on the order for the new
    part (through the order's own service, with its rules and prices)."""
    at = at or timezone.now()
    order = None
    if order_id is not None:
        order = order_for_line_change(tenant=tenant, order_id=order_id, assigned_to=assigned_to)
        if object_id not in selectors.order_object_ids(tenant=tenant, order=order):
            raise ValidationError(_("This object is not on the order."))
    elif assigned_to is not None:
        raise ValidationError(_("Parts are changed during a repair: open the order first."))
    obj = _object_for_change(tenant=tenant, object_id=object_id)
    if change.action not in (BomAction.ADD, BomAction.REMOVE, BomAction.REPLACE):
        raise ValidationError({"action": _("Choose replace, add or remove.")})
    old = None
    if change.action in (BomAction.REMOVE, BomAction.REPLACE):
        if change.line_id is None:
            raise ValidationError({"line": _("Choose the part.")})
        old = (
            ServiceBomLine.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("item")
            .get(pk=change.line_id, service_object=obj)
        )
        if old.removed_at is not None:
            raise StateConflict(_("This part was already removed or replaced."))
        if at < old.installed_at:
            raise ValidationError(_("A part cannot be removed before it was installed."))
    new = None
    item, quantity = change.item, change.quantity
    serial = (change.serial_number or "").strip()
    if change.action in (BomAction.ADD, BomAction.REPLACE):
        if change.action == BomAction.REPLACE and item is None:
            item = old.item
        if item is None or item.tenant_id != tenant.pk:
            raise ValidationError({"item": _("Choose an item of this tenant.")})
        if quantity is None:
            quantity = old.quantity if old is not None else Decimal("1")
        if quantity <= 0:
            raise ValidationError({"quantity": _("Enter a quantity above zero.")})
        if item.is_serial_tracked and not serial:
            raise ValidationError(
                {"serial_number": _("This item is serial-tracked: enter its serial number.")}
            )
        parent_slot = old.parent_slot if old is not None else change.parent_slot
        if parent_slot is not None and not any(
            line.slot == parent_slot
            for line in selectors.service_bom_current(tenant=tenant, obj=obj)
        ):
            raise ValidationError({"parent_slot": _("Choose a part of this object.")})
        if old is not None:
            old.removed_at = at
            old.save(update_fields=["removed_at"])
        new = _new_line(
            tenant=tenant,
            obj=obj,
            item=item,
            quantity=quantity,
            serial_number=serial,
            at=at,
            slot=old.slot if old is not None else None,
            parent_slot=parent_slot,
            position=old.position if old is not None else 0,
        )
    else:
        old.removed_at = at
        old.save(update_fields=["removed_at"])
        quantity = old.quantity
    order_line = None
    if add_order_line and new is not None:
        if order is None:
            raise ValidationError(
                {"add_order_line": _("An item line needs an order: open the order first.")}
            )
        order_line = line_add_item(
            tenant=tenant,
            by=by,
            order_id=order.pk,
            item=new.item,
            quantity=new.quantity if not new.item.is_serial_tracked else Decimal("1"),
            serial_number=new.serial_number,
            service_object=obj,
            assigned_to=assigned_to,
        )
    history = BomHistory.objects.create(
        tenant=tenant,
        service_object=obj,
        action=change.action,
        old_line=old,
        new_line=new,
        quantity=quantity,
        order=order,
        order_line=order_line,
        technician=by,
        at=at,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="service_bom.change",
        target=obj,
        params={"object": obj.number, "change": change.action},
    )
    return history
