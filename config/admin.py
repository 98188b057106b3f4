from django.contrib import admin


class PlatformAdminSite(admin.AdminSite):
    """Django admin is the platform admins' tool: superusers only, every request logged
    (tenancy.middleware) and run through the explicit row-level-security bypass."""

    site_header = "Fieldline platform admin"
    site_title = "Fieldline"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser
