"""Two-factor sign-in where it is required: a tenant's setting, and platform admins under the
production settings (FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA)."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# Where someone who still has to set up two-factor sign-in may go: their own account pages
# (two-factor set-up, password, sessions), sign-out, language, invitations, static files.
OPEN_PREFIXES = ("/account/", "/sign-out/", "/language/", "/invitation/", "/static/", "/healthz")


def two_factor_required(request) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_superuser and settings.FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA:
        return True
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.require_two_factor


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            two_factor_required(request)
            and not request.path.startswith(OPEN_PREFIXES)
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
        ):
            messages.warning(
                request,
                _("Two-factor sign-in is required here. Set up an authenticator app to go on."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
