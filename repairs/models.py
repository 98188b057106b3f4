"""Repairs: the tenant's repair code tables, repair lines on service orders (with their photos and
the aggregate that suggests resolutions), BOMs per item in versions, and the service BOM of each
service object with the history of every part changed on it.

Every model is tenant-owned; every relation between tenant tables is a composite
(tenant_id, id) foreign key in the database (tenancy.rls, decision 0008).
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import QUANTITY, Item, ServiceObject, WorkLine
from service_orders.models import ServiceOrder, ServiceOrderLine
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key
from web.photos import UserPhoto, photo_field, photo_path

# --- Code tables ---------------------------------------------------------------------------------


class RepairCode(TenantOwned):
    """What every code table has: a short code, a name in the tenant's words, an order on the
    page and an active flag (a code in use is deactivated, never deleted)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("code name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Condition(RepairCode):
    """The state the object was found in: "not working", "works intermittently"."""

    class Meta(RepairCode.Meta):
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="repairs_condition_code"),
        ]


class SymptomArea(RepairCode):
    class Meta(RepairCode.Meta):
        verbose_name = _("symptom area")
        verbose_name_plural = _("symptom areas")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="repairs_symptomarea_code"),
        ]


class SymptomCode(RepairCode):
    area = TenantForeignKey(
        SymptomArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("symptom area")
    )

    class Meta(RepairCode.Meta):
        verbose_name = _("symptom code")
        verbose_name_plural = _("symptom codes")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "area", "code"], name="repairs_symptomcode_code"
            ),
        ]


class DiagnosisArea(RepairCode):
    class Meta(RepairCode.Meta):
        verbose_name = _("diagnosis area")
        verbose_name_plural = _("diagnosis areas")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="repairs_diagnosisarea_code"),
        ]


class DiagnosisCode(RepairCode):
    area = TenantForeignKey(
        DiagnosisArea,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diagnosis area"),
    )

    class Meta(RepairCode.Meta):
        verbose_name = _("diagnosis code")
        verbose_name_plural = _("diagnosis codes")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "area", "code"], name="repairs_diagnosiscode_code"
            ),
        ]


class Resolution(RepairCode):
    class Meta(RepairCode.Meta):
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="repairs_resolution_code"),
        ]


class RepairStage(RepairCode):
    """A step of a repair line: "diagnosis", "waiting for parts", "repaired". A line entering a
    finished stage gets its finished time and is closed."""

    is_finished = models.BooleanField(
        _("finished"),
        default=False,
        help_text=_("A repair line at this stage is done: its time is stamped and it is closed."),
    )

    class Meta(RepairCode.Meta):
        verbose_name = _("repair stage")
        verbose_name_plural = _("repair stages")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="repairs_stage_code"),
        ]


# --- Repair lines --------------------------------------------------------------------------------


class RepairLine(WorkLine):
    """One step of a repair of one object of a service order: what was found (condition,
    symptom), why (diagnosis) and what was done (resolution). ``item`` is the object's item,
    copied when the line is made: the suggestions are per item."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("service order")
    )
    title = models.CharField(_("repair title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    condition = TenantForeignKey(
        Condition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("condition"),
    )
    symptom_area = TenantForeignKey(
        SymptomArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("symptom area"),
    )
    symptom_code = TenantForeignKey(
        SymptomCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("symptom"),
    )
    diagnosis_area = TenantForeignKey(
        DiagnosisArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diagnosis area"),
    )
    diagnosis_code = TenantForeignKey(
        DiagnosisCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diagnosis"),
    )
    resolution = TenantForeignKey(
        Resolution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolution"),
    )
    stage = TenantForeignKey(
        RepairStage,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("repair stage"),
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["order", "created_at", "id"]
        verbose_name = _("repair line")
        verbose_name_plural = _("repair lines")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(service_object__isnull=False),
                name="repairs_line_has_object",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "order"], name="repairs_line_order_idx"),
            models.Index(
                fields=["tenant", "service_object", "created_at"], name="repairs_line_object_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("repairs:line_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.finished_at is not None


def repair_photo_path(photo: "RepairPhoto", filename: str) -> str:
    """Per tenant and line under a random name, as order photos: never a public address."""
    return photo_path(photo, "repairs", photo.line_id)


class RepairPhoto(UserPhoto):
    line = TenantForeignKey(
        RepairLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("repair line")
    )
    image = photo_field(repair_photo_path)

    class Meta(UserPhoto.Meta):
        verbose_name = _("repair photo")
        verbose_name_plural = _("repair photos")
        indexes = [models.Index(fields=["tenant", "line"], name="repairs_photo_line_idx")]


class ResolutionStat(TenantOwned):
    """How often a resolution fixed a symptom on an item: kept by the service that closes repair
    lines (one upsert per finished line), read by the suggestions through its index, so a
    suggestion never scans the repair lines."""

    item = TenantForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    symptom_code = TenantForeignKey(SymptomCode, on_delete=models.CASCADE, related_name="+")
    resolution = TenantForeignKey(Resolution, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(_("times"), default=0)
    last_at = models.DateTimeField(_("last time"), null=True, blank=True)

    class Meta:
        verbose_name = _("resolution statistic")
        verbose_name_plural = _("resolution statistics")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "item", "symptom_code", "resolution"],
                name="repairs_stat_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "item", "symptom_code", "-count"], name="repairs_stat_rank_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.symptom_code_id}/{self.resolution_id}: {self.count}"


# --- BOMs and their versions ---------------------------------------------------------------------


class BomState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("BOM version state", "Draft")
    APPROVED = "approved", pgettext_lazy("BOM version state", "Approved")
    ACTIVE = "active", pgettext_lazy("BOM version state", "Active")
    RETIRED = "retired", pgettext_lazy("BOM version state", "Retired")


class DateRange(models.Func):
    """daterange(valid_from, valid_to, '[]'): an empty valid_to is open-ended."""

    function = "DATERANGE"
    output_field = DateRangeField()


class BomVersion(FSMModelMixin, TenantOwned):
    """One version of the bill of materials of an item (an equipment model). Only a draft
    changes; an approved version is frozen, and a change is a new version (copied from it).
    Active versions of one item never overlap in time: the database refuses it."""

    item = TenantForeignKey(
        Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    number = models.PositiveIntegerField(_("version"))
    state = FSMField(
        _("state"), max_length=10, choices=BomState.choices, default=BomState.DRAFT, protected=False
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: until a later version.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    copied_from = TenantForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("approved by"),
    )

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("BOM version")
        verbose_name_plural = _("BOM versions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "item", "number"], name="repairs_bom_number"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="repairs_bom_valid_order",
            ),
            # Exactly one active version per item at any date, whatever two managers do at once.
            ExclusionConstraint(
                name="repairs_bom_active_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    ("item", RangeOperators.EQUAL),
                    (
                        DateRange("valid_from", "valid_to", models.Value("[]")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=models.Q(state="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("repairs:bom_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.state == BomState.DRAFT

    @transition(field=state, source=BomState.DRAFT, target=BomState.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=BomState.APPROVED, target=BomState.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=state, source=[BomState.APPROVED, BomState.ACTIVE], target=BomState.RETIRED)
    def retire(self) -> None:
        pass


class BomLine(WorkLine):
    """A part of a BOM version: an item and its quantity (the shared line base)."""

    version = TenantForeignKey(
        BomVersion, on_delete=models.CASCADE, related_name="+", verbose_name=_("BOM version")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("BOM line")
        verbose_name_plural = _("BOM lines")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "version", "item"], name="repairs_bomline_item_once"
            ),
            models.CheckConstraint(
                condition=models.Q(item__isnull=False, quantity__gt=0),
                name="repairs_bomline_item_quantity",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "version"], name="repairs_bomline_ver_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


# --- The service BOM of an object and its history ------------------------------------------------


class ServiceBomLine(WorkLine):
    """A part in one service object as maintained: item, quantity, serial number, in the tree
    of the object's parts. A line is never changed: a replacement ends it (``removed_at``) and
    starts a new line in the same place (``slot``), so the structure at any moment is the lines
    installed by then and not yet removed. ``parent_slot`` is the place this part sits under."""

    slot = models.PositiveBigIntegerField(_("place"), null=True, blank=True, editable=False)
    parent_slot = models.PositiveBigIntegerField(_("part of"), null=True, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    installed_at = models.DateTimeField(_("installed"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    from_version = TenantForeignKey(
        BomVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from BOM version"),
    )

    class Meta:
        ordering = ["service_object", "position", "slot", "installed_at"]
        verbose_name = _("service BOM line")
        verbose_name_plural = _("service BOM lines")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(service_object__isnull=False, item__isnull=False),
                name="repairs_sbom_object_item",
            ),
            models.CheckConstraint(
                condition=models.Q(removed_at__isnull=True)
                | models.Q(removed_at__gte=models.F("installed_at")),
                name="repairs_sbom_removed_after_installed",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="repairs_sbom_quantity_gt_0"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "service_object", "installed_at"], name="repairs_sbom_object_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


class BomAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("BOM change", "From BOM version")
    ADD = "add", pgettext_lazy("BOM change", "Added")
    REMOVE = "remove", pgettext_lazy("BOM change", "Removed")
    REPLACE = "replace", pgettext_lazy("BOM change", "Replaced")


class BomHistory(TenantOwned):
    """One change to a service BOM: the line it ended, the line it started, what was done, the
    quantity, during which order and by whom, and when."""

    service_object = TenantForeignKey(
        ServiceObject, on_delete=models.CASCADE, related_name="+", verbose_name=_("service object")
    )
    action = models.CharField(_("change"), max_length=10, choices=BomAction.choices)
    old_line = TenantForeignKey(
        ServiceBomLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("old part"),
    )
    new_line = TenantForeignKey(
        ServiceBomLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new part"),
    )
    quantity = models.DecimalField(
        _("quantity"), **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    order = TenantForeignKey(
        ServiceOrder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service order"),
    )
    order_line = TenantForeignKey(
        ServiceOrderLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order line"),
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["service_object", "at", "id"]
        verbose_name = _("BOM change")
        verbose_name_plural = _("BOM changes")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(old_line__isnull=False) | models.Q(new_line__isnull=False),
                name="repairs_history_names_a_line",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "service_object", "at"], name="repairs_history_obj_idx")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"
