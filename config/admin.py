from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class PlatformAdminSite(admin.AdminSite):
    """Django admin is the platform admins' tool: superusers only, every request logged
    (tenancy.middleware) and run through the explicit row-level-security bypass."""

    site_header = "Fieldline platform admin"
    site_title = "Fieldline"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def login(self, request, extra_context=None):
        """No sign-in form of its own: the site's sign-in (allauth: rate limits, two-factor),
        then back here. A POST with credentials is never looked at."""
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(target)
            # Signed in but not a platform admin: signing in again would only loop back here.
            raise PermissionDenied
        return redirect_to_login(target)
