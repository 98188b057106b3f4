"""Request tenancy: who is signed in, which tenant they work in, and its transaction."""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.deprecation import MiddlewareMixin

from .context import platform_scope, tenant_scope
from .models import PlatformAccess, User
from .selectors import membership_list_for_user

SESSION_TENANT_KEY = "fieldline_tenant_id"
ADMIN_PREFIX = "/admin/"


def _respond_in(scope, get_response, request):
    with scope:
        response = get_response(request)
        # The view turned an error into a response: whatever it wrote must not stay.
        if response.status_code >= 400:
            transaction.set_rollback(True)
    return response


def _chosen_membership(request, user):
    """The session's tenant; else the one the person used last (stored when they switch or
    accept an invitation); else the membership they have had longest. Never the first by name:
    names are editable and not unique. Reads only: no query beyond the memberships."""
    memberships = request.memberships
    if not memberships:
        return None
    by_tenant = {m.tenant_id: m for m in memberships}
    chosen = request.session.get(SESSION_TENANT_KEY)
    if chosen in by_tenant:
        return by_tenant[chosen]
    return by_tenant.get(user.last_tenant_id) or min(
        memberships, key=lambda m: (m.created_at, m.pk)
    )


def remember_tenant(user, tenant_id: int) -> None:
    """Store the tenant a person works in as the one to return to next time."""
    if user.last_tenant_id != tenant_id:
        User.objects.filter(pk=user.pk).update(last_tenant_id=tenant_id)
        user.last_tenant_id = tenant_id


class TenantMiddleware:
    """Resolve ``request.tenant`` from the user's active memberships and the session's choice.

    The rest of the request runs in one transaction in which ``app.tenant_id`` is set, so
    PostgreSQL row-level security shows this tenant's rows only. A platform admin in Django
    admin gets the explicit, logged bypass instead. Everyone else sees no tenant rows at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.memberships = []
        user = request.user

        if request.path.startswith(ADMIN_PREFIX) and user.is_authenticated and user.is_superuser:
            self._log_platform_access(request)
            return _respond_in(platform_scope(), self.get_response, request)

        if user.is_authenticated:
            request.memberships = membership_list_for_user(user=user)
            membership = _chosen_membership(request, user)
            if membership is not None:
                request.membership = membership
                request.tenant = membership.tenant

        if request.tenant is None:
            return self.get_response(request)
        timezone.activate(request.tenant.zone)
        try:
            return _respond_in(tenant_scope(request.tenant), self.get_response, request)
        finally:
            timezone.deactivate()

    def _log_platform_access(self, request) -> None:
        """Record the bypass before the request transaction opens: outside any transaction
        (ATOMIC_REQUESTS is off) the row is committed at once, so a request that fails and
        rolls back its own writes still leaves its trace."""
        PlatformAccess.objects.create(
            user=request.user, method=request.method[:8], path=request.get_full_path()[:500]
        )


def preferred_language(request, tenant=None) -> str:
    """The language to answer in: the person's choice (the language switcher's cookie, their
    profile), else the default language of ``tenant`` (the request's tenant when not given),
    else the browser's. The tenant switch asks it for the tenant being switched to."""
    from django.conf import settings

    tenant = tenant or getattr(request, "tenant", None)
    supported = {code for code, _ in settings.LANGUAGES}
    candidates = [
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        getattr(request.user, "language", "") if request.user.is_authenticated else "",
        tenant.default_language if tenant is not None else "",
    ]
    language = next((c for c in candidates if c and c in supported), None)
    return language or translation.get_language_from_request(request)


class TenantLocaleMiddleware(MiddlewareMixin):
    """Activate the language: the person's choice, else the tenant's, else the browser's."""

    def process_request(self, request):
        translation.activate(preferred_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        from django.utils.cache import patch_vary_headers

        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
