from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    AgreementGroup,
    ContactLogin,
    Customer,
    CustomerContact,
    CustomerGroup,
    CustomerSite,
    Item,
    ServiceObject,
    ServiceObjectGroup,
    ServiceTask,
)


@admin.register(Customer)
class CustomerAdmin(TenantOwnedAdmin):
    list_display = ("number", "name", "email", "phone", "is_active")
    list_filter = ("tenant", "is_active")
    search_fields = ("number", "name", "email")
    raw_id_fields = ("default_agreement_group", "invoice_account", "customer_group")


@admin.register(CustomerGroup)
class CustomerGroupAdmin(TenantOwnedAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


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


@admin.register(ContactLogin)
class ContactLoginAdmin(TenantOwnedAdmin):
    """A customer contact's binding: made when they accept their invitation."""

    list_display = ("user", "customer", "contact", "created_at")
    search_fields = ("user__email", "customer__name")
    raw_id_fields = ("user", "customer", "contact")
    list_select_related = ("user", "customer", "contact")
