from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import ReturnCredit, ReturnLine, ReturnOrder, ReturnReason


@admin.register(ReturnReason)
class ReturnReasonAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")


@admin.register(ReturnOrder)
class ReturnOrderAdmin(TenantOwnedAdmin):
    list_display = ("number", "customer", "state", "reason", "deadline")
    list_filter = ("tenant", "state")
    search_fields = ("number", "customer__name")
    raw_id_fields = ("customer", "reason", "created_by")
    list_select_related = ("customer", "reason")


@admin.register(ReturnLine)
class ReturnLineAdmin(TenantOwnedAdmin):
    list_display = (
        "return_order",
        "description",
        "serial_number",
        "quantity",
        "received_quantity",
        "disposition",
    )
    search_fields = ("description", "serial_number", "return_order__number")
    raw_id_fields = (
        "return_order",
        "invoice_line",
        "invoice",
        "item",
        "service_object",
        "task",
        "split_from",
        "replacement_order",
        "repair_order",
        "disposed_by",
    )
    list_select_related = ("return_order",)


@admin.register(ReturnCredit)
class ReturnCreditAdmin(TenantOwnedAdmin):
    list_display = ("line", "credit_note", "amount")
    raw_id_fields = ("line", "credit_note")
    list_select_related = ("line", "credit_note")
