"""Django admin for platform admins: every agreements model, scoped through TenantOwnedAdmin
(the tenant is chosen once on creation and every referenced record must share it)."""

from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    Agreement,
    AgreementLine,
    AgreementObject,
    AgreementRate,
    AgreementSuspension,
    AgreementTask,
    TemplateGroup,
)
from .rates import rate_key


@admin.register(TemplateGroup)
class TemplateGroupAdmin(TenantOwnedAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
    raw_id_fields = ("parent",)


@admin.register(Agreement)
class AgreementAdmin(TenantOwnedAdmin):
    list_display = (
        "number",
        "description",
        "customer",
        "state",
        "is_template",
        "start_date",
        "end_date",
    )
    list_filter = ("tenant", "state", "is_template")
    search_fields = ("number", "description", "customer__name")
    # The state changes only through its transitions (services log them); never typed here.
    readonly_fields = ("state",)
    raw_id_fields = (
        "customer",
        "group",
        "template_group",
        "created_from",
        "renewed_from",
        "responsible",
        "preferred_technician",
        "sla",
        "contact",
    )
    list_select_related = ("customer",)


@admin.register(AgreementSuspension)
class AgreementSuspensionAdmin(TenantOwnedAdmin):
    list_display = ("agreement", "suspended_from", "resumed_on", "backfill")
    raw_id_fields = ("agreement",)
    list_select_related = ("agreement",)


@admin.register(AgreementObject)
class AgreementObjectAdmin(TenantOwnedAdmin):
    list_display = ("agreement", "service_object")
    raw_id_fields = ("agreement", "service_object")
    list_select_related = ("agreement", "service_object")


@admin.register(AgreementTask)
class AgreementTaskAdmin(TenantOwnedAdmin):
    list_display = ("agreement", "task")
    raw_id_fields = ("agreement", "task")
    list_select_related = ("agreement", "task")


@admin.register(AgreementLine)
class AgreementLineAdmin(TenantOwnedAdmin):
    list_display = (
        "agreement",
        "position",
        "kind",
        "service_object",
        "task",
        "interval_unit",
        "interval_count",
        "is_stopped",
    )
    list_filter = ("tenant", "kind", "interval_unit", "is_stopped")
    search_fields = ("agreement__number", "description")
    raw_id_fields = ("agreement", "service_object", "task", "item", "technician")
    list_select_related = ("agreement", "service_object", "task")


@admin.register(AgreementRate)
class AgreementRateAdmin(TenantOwnedAdmin):
    list_display = ("agreement", "group", "kind", "key", "currency", "sales_price", "cost_price")
    list_filter = ("tenant", "kind", "currency")
    search_fields = ("agreement__number", "group__code", "description", "task_category")
    raw_id_fields = ("agreement", "group", "task", "item")
    readonly_fields = ("key",)
    list_select_related = ("agreement", "group")

    def save_model(self, request, obj, form, change):
        # What the entry prices, as the services key it (one entry per card, currency and key).
        obj.key = rate_key(
            kind=obj.kind,
            task_id=obj.task_id,
            task_category=obj.task_category,
            item_id=obj.item_id,
            description=obj.description,
        )
        super().save_model(request, obj, form, change)
