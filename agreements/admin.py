"""Django admin for platform admins: every agreements model, scoped through TenantOwnedAdmin
(the tenant is chosen once on creation and every referenced record must share it)."""

from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    Agreement,
    AgreementGroup,
    AgreementLine,
    AgreementObject,
    AgreementSuspension,
    AgreementTask,
    Customer,
    CustomerContact,
    CustomerSite,
    GenerationError,
    GenerationRun,
    Item,
    ServiceObject,
    ServiceObjectGroup,
    ServiceTask,
    TemplateGroup,
)


@admin.register(Customer)
class CustomerAdmin(TenantOwnedAdmin):
    list_display = ("number", "name", "email", "phone", "is_active")
    list_filter = ("tenant", "is_active")
    search_fields = ("number", "name", "email")
    raw_id_fields = ("default_agreement_group",)


@admin.register(CustomerSite)
class CustomerSiteAdmin(TenantOwnedAdmin):
    list_display = ("customer", "name", "street", "city", "is_default")
    search_fields = ("name", "street", "city", "customer__name")
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)


@admin.register(CustomerContact)
class CustomerContactAdmin(TenantOwnedAdmin):
    list_display = ("customer", "name", "role", "email", "phone", "is_primary")
    search_fields = ("name", "email", "customer__name")
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)


@admin.register(Item)
class ItemAdmin(TenantOwnedAdmin):
    list_display = ("number", "name", "unit", "is_serial_tracked", "sales_price", "is_active")
    list_filter = ("tenant", "is_serial_tracked", "is_active")
    search_fields = ("number", "name")


@admin.register(ServiceTask)
class ServiceTaskAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "default_duration_minutes", "required_skill", "is_active")
    list_filter = ("tenant", "is_active")
    search_fields = ("code", "name")


@admin.register(ServiceObjectGroup)
class ServiceObjectGroupAdmin(TenantOwnedAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(ServiceObject)
class ServiceObjectAdmin(TenantOwnedAdmin):
    list_display = ("number", "name", "customer", "item", "serial_number", "parent")
    list_filter = ("tenant", "is_active", "group")
    search_fields = ("number", "name", "serial_number", "customer__name")
    raw_id_fields = ("customer", "site", "item", "parent", "group")
    list_select_related = ("customer", "item", "parent")


@admin.register(AgreementGroup)
class AgreementGroupAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "default_sla")
    search_fields = ("code", "name")
    raw_id_fields = ("default_sla",)


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
        "transaction_type",
        "service_object",
        "task",
        "interval_unit",
        "interval_count",
        "is_stopped",
    )
    list_filter = ("tenant", "transaction_type", "interval_unit", "is_stopped")
    search_fields = ("agreement__number", "description")
    raw_id_fields = ("agreement", "service_object", "task", "item", "technician")
    list_select_related = ("agreement", "service_object", "task")


@admin.register(GenerationRun)
class GenerationRunAdmin(TenantOwnedAdmin):
    list_display = (
        "started_at",
        "trigger",
        "period_start",
        "period_end",
        "orders_created",
        "occurrences_skipped",
        "agreements_failed",
    )
    list_filter = ("tenant", "trigger")
    raw_id_fields = ("requested_by",)


@admin.register(GenerationError)
class GenerationErrorAdmin(TenantOwnedAdmin):
    list_display = ("created_at", "agreement", "period_start", "period_end", "resolved_at")
    search_fields = ("agreement__number", "message")
    raw_id_fields = ("run", "agreement")
    list_select_related = ("agreement",)
