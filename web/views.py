"""Pages every user reaches whatever their role: language choice, the health check and the
person's own notifications."""

import redis
from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import notifications
from .lists import BADGE, FACT, TITLE, Column, list_response
from .lookups import get_or_404
from .permissions import tenant_required


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
def set_language(request):
    language = request.POST.get("language", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return HttpResponseBadRequest(_("Unknown language."))
    response = redirect(_safe_next(request, "/"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@never_cache
@require_GET
def healthz(request):
    """Database and Redis status as JSON: 200 when both answer, 503 otherwise."""
    status = {"database": "ok", "redis": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is the answer here
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        status["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in status.values())
    status["status"] = "ok" if healthy else "degraded"
    return JsonResponse(status, status=200 if healthy else 503)


# --- Notifications (web.notifications): any member's own -----------------------------------------

NOTIFICATION_COLUMNS = [
    Column(
        "title",
        gettext_lazy("Notification"),
        "title",
        role=TITLE,
        link=lambda row: row.url or None,
    ),
    Column("body", gettext_lazy("Details"), role=FACT, truncate=True, breakpoint="md"),
    Column("created_at", gettext_lazy("Received"), "created_at", role=FACT, nowrap=True),
    Column(
        "read_at",
        gettext_lazy("Read"),
        "read_at",
        role=BADGE,
        template="web/cells/notification_read.html",
    ),
]


@tenant_required
def notification_list(request):
    qs = notifications.notifications_for(tenant=request.tenant, user=request.user)
    return list_response(
        request,
        qs,
        template="web/notification_list.html",
        columns=NOTIFICATION_COLUMNS,
        default_sort="-created_at",
        csv_filename="notifications",
        context={
            "unread_notifications": notifications.unread_count(
                tenant=request.tenant, user=request.user
            )
        },
    )


@never_cache
@tenant_required
@require_GET
def notification_badge(request):
    """The bell's unread count (fetched by the header after the page has loaded)."""
    count = notifications.unread_count(tenant=request.tenant, user=request.user)
    return render(request, "web/notification_badge.html", {"count": count})


@tenant_required
def notification_read(request, pk: int):
    # Another person's or tenant's notification is a 404 whatever the method.
    notification = get_or_404(
        notifications.notification_get, tenant=request.tenant, user=request.user, pk=pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notifications.mark_read(tenant=request.tenant, user=request.user, notification=notification)
    return redirect(_safe_next(request, reverse("notification_list")))


@tenant_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_all_read(tenant=request.tenant, user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notification_list")
