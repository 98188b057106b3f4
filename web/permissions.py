"""View guards: a role that may not do something gets 403 (and never sees the button)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from tenancy.roles import role_can


def request_can(request, capability: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, capability)


def tenant_required(view: Callable) -> Callable:
    """Signed in and working in a tenant; otherwise to sign-in, or to the 'no tenant' page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.tenant is None:
            return redirect("no_tenant")
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(capability: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @tenant_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request_can(request, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator
