from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import Invoice, InvoiceCounter, InvoiceLine, InvoicingSettings, Payment


@admin.register(Invoice)
class InvoiceAdmin(TenantOwnedAdmin):
    list_display = ("number", "kind", "state", "customer", "issue_date", "gross_total")
    list_filter = ("tenant", "kind", "state")
    search_fields = ("number", "customer__name")
    raw_id_fields = ("customer", "credited_invoice")
    list_select_related = ("customer",)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(TenantOwnedAdmin):
    list_display = ("invoice", "description", "quantity", "unit_price", "amount", "source")
    search_fields = ("description", "invoice__number")
    raw_id_fields = ("invoice", "item", "service_object", "task", "credited_line")
    list_select_related = ("invoice",)


@admin.register(Payment)
class PaymentAdmin(TenantOwnedAdmin):
    list_display = ("invoice", "paid_on", "amount", "reference")
    raw_id_fields = ("invoice",)
    list_select_related = ("invoice",)


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(TenantOwnedAdmin):
    list_display = ("kind", "year", "last_value")


@admin.register(InvoicingSettings)
class InvoicingSettingsAdmin(TenantOwnedAdmin):
    list_display = ("tenant", "legal_name", "payment_terms_days", "default_tax_rate")
