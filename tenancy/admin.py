from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AuditEvent,
    Membership,
    NumberSequence,
    PlatformAccess,
    Tenant,
    TenantOwned,
    User,
)


class TenantOwnedAdmin(admin.ModelAdmin):
    """Base admin for tenant-owned models: the tenant is chosen once, on creation, and every
    related record must belong to the same tenant."""

    list_filter: tuple = ("tenant",)

    def get_list_display(self, request):
        return ("tenant", *super().get_list_display(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The tenant is not an editable model field: the form below adds its own chooser.
        kwargs["fields"] = [f for f in (kwargs.get("fields") or []) if f != "tenant"] or None
        form = super().get_form(request, obj, change=change, **kwargs)
        model = self.model

        class TenantForm(form):
            if obj is None:
                tenant = forms.ModelChoiceField(Tenant.objects.all(), label=_("Tenant"))

            def clean(self):
                cleaned = super().clean()
                tenant = cleaned.get("tenant") if obj is None else obj.tenant
                for field in model._meta.concrete_fields:
                    value = cleaned.get(field.name)
                    if (
                        tenant is not None
                        and isinstance(value, TenantOwned)
                        and value.tenant_id != tenant.pk
                    ):
                        self.add_error(field.name, _("Belongs to another tenant."))
                return cleaned

        return TenantForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None and "tenant" not in fields:
            fields.insert(0, "tenant")
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.tenant = form.cleaned_data["tenant"]
        super().save_model(request, obj, form, change)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fk_name = "user"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_superuser", "last_login")
    search_fields = ("email", "first_name", "last_name")
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "slug",
        "time_zone",
        "currency",
        "default_language",
        "is_active",
    )
    search_fields = ("name", "code", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role", "is_active", "created_at")
    list_filter = ("tenant", "role", "is_active")
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)


@admin.register(AuditEvent)
class AuditEventAdmin(TenantOwnedAdmin):
    list_display = ("created_at", "actor", "action", "summary")
    list_filter = ("tenant", "action")
    readonly_fields = ("actor", "action", "target_type", "target_id", "summary", "changes")


@admin.register(PlatformAccess)
class PlatformAccessAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "method", "path")
    search_fields = ("path", "user__email")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(TenantOwnedAdmin):
    list_display = ("key", "prefix", "padding", "next_value")
    search_fields = ("key",)
