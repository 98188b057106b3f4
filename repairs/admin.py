from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    BomHistory,
    BomLine,
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


class CodeAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "position", "is_active")
    list_filter = ("tenant", "is_active")
    search_fields = ("code", "name")


for model in (Condition, SymptomArea, DiagnosisArea, Resolution):
    admin.site.register(model, CodeAdmin)


@admin.register(SymptomCode, DiagnosisCode)
class AreaCodeAdmin(CodeAdmin):
    list_display = ("code", "name", "area", "position", "is_active")
    list_select_related = ("area",)


@admin.register(RepairStage)
class RepairStageAdmin(CodeAdmin):
    list_display = ("code", "name", "position", "is_finished", "is_active")


@admin.register(RepairLine)
class RepairLineAdmin(TenantOwnedAdmin):
    list_display = ("title", "order", "service_object", "stage", "created_at", "finished_at")
    list_filter = ("tenant",)
    search_fields = ("title",)
    list_select_related = ("order", "service_object", "stage")


@admin.register(RepairPhoto)
class RepairPhotoAdmin(TenantOwnedAdmin):
    list_display = ("original_name", "line", "uploaded_at")


@admin.register(ResolutionStat)
class ResolutionStatAdmin(TenantOwnedAdmin):
    list_display = ("item", "symptom_code", "resolution", "count", "last_at")
    list_select_related = ("item", "symptom_code", "resolution")


@admin.register(BomVersion)
class BomVersionAdmin(TenantOwnedAdmin):
    list_display = ("item", "number", "state", "valid_from", "valid_to")
    list_filter = ("tenant", "state")
    list_select_related = ("item",)


@admin.register(BomLine)
class BomLineAdmin(TenantOwnedAdmin):
    list_display = ("version", "item", "quantity", "position")
    list_select_related = ("version__item", "item")


@admin.register(ServiceBomLine)
class ServiceBomLineAdmin(TenantOwnedAdmin):
    list_display = (
        "service_object",
        "item",
        "quantity",
        "serial_number",
        "installed_at",
        "removed_at",
    )
    list_select_related = ("service_object", "item")


@admin.register(BomHistory)
class BomHistoryAdmin(TenantOwnedAdmin):
    list_display = ("service_object", "action", "quantity", "order", "technician", "at")
    list_filter = ("tenant", "action")
    list_select_related = ("service_object", "order", "technician")
