"""Home, sign-in, tenant and language switching, members, settings, activity and health."""

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import (
    MemberAddForm,
    MemberFilterForm,
    MemberUpdateForm,
    NumberSequenceFormSet,
    SignInForm,
    TenantSettingsForm,
    attach_errors,
)
from .lists import Column, list_response
from .middleware import SESSION_TENANT_KEY
from .models import Membership
from .permissions import capability_required, tenant_required
from .roles import Capability, Role
from .submissions import submission_claim, submission_complete

HOME_TEMPLATES = {
    Role.TENANT_ADMIN: "tenancy/home_tenant_admin.html",
    Role.SERVICE_MANAGER: "tenancy/home_service_manager.html",
    Role.DISPATCHER: "tenancy/home_dispatcher.html",
    Role.TECHNICIAN: "tenancy/home_technician.html",
}


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "tenancy/sign_in.html"
    redirect_authenticated_user = True


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@tenant_required
def home(request):
    role = request.membership.role
    context = {"local_now": timezone.localtime()}
    if role == Role.TENANT_ADMIN:
        context["role_counts"] = selectors.membership_role_counts(tenant=request.tenant)
        context["role_labels"] = dict(Role.choices)
    if role in (Role.TENANT_ADMIN, Role.SERVICE_MANAGER):
        context["recent_events"] = selectors.audit_event_list(tenant=request.tenant)[:8]
    return render(request, HOME_TEMPLATES[role], context)


@login_required
def no_tenant(request):
    if request.tenant is not None:
        return redirect("home")
    return render(request, "tenancy/no_tenant.html")


@login_required
@require_POST
def switch_tenant(request):
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose a tenant."))
    membership = next((m for m in request.memberships if m.tenant_id == tenant_id), None)
    if membership is None:
        raise Http404
    request.session[SESSION_TENANT_KEY] = tenant_id
    messages.success(
        request, _("You are now working in %(tenant)s.") % {"tenant": membership.tenant}
    )
    return redirect("home")


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


MEMBER_COLUMNS = [
    Column("user.email", _("E-mail"), "user__email"),
    Column("user.get_full_name", _("Name"), "user__last_name"),
    Column("get_role_display", _("Role"), "role"),
    Column("is_active", _("Active"), "is_active"),
    Column("created_at", _("Member since"), "created_at"),
]


@capability_required(Capability.MANAGE_USERS)
def member_list(request):
    filters = MemberFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.membership_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        role=data.get("role", ""),
        status=data.get("status", ""),
    )
    return list_response(
        request,
        qs,
        template="tenancy/member_list.html",
        columns=MEMBER_COLUMNS,
        default_sort="user.email",
        csv_filename="users",
        context={"filters": filters},
    )


@capability_required(Capability.MANAGE_USERS)
def member_add(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        earlier = submission_claim(request)
        if earlier:
            return redirect(earlier)
        try:
            membership, created = services.member_add(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
            transaction.set_rollback(True)  # give the submission token back
        else:
            submission_complete(request, reverse("tenancy:members"))
            if created:
                messages.success(
                    request, _("%(email)s can now sign in.") % {"email": membership.user.email}
                )
            else:
                messages.success(
                    request,
                    _("%(email)s already had a Fieldline login and now has access to this tenant.")
                    % {"email": membership.user.email},
                )
            return redirect("tenancy:members")
    return render(request, "tenancy/member_form.html", {"form": form, "membership": None})


@capability_required(Capability.MANAGE_USERS)
def member_edit(request, pk: int):
    try:
        membership = selectors.membership_get(tenant=request.tenant, pk=pk)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    initial = {"role": membership.role, "is_active": membership.is_active}
    form = MemberUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                tenant=request.tenant,
                by=request.user,
                membership_id=membership.pk,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Changes to %(email)s saved.") % {"email": membership.user.email}
            )
            return redirect("tenancy:members")
    return render(request, "tenancy/member_form.html", {"form": form, "membership": membership})


@capability_required(Capability.MANAGE_SETTINGS)
def tenant_settings(request):
    form = TenantSettingsForm(request.POST or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_settings_update(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("tenancy:settings")
    return render(request, "tenancy/settings.html", {"form": form})


@capability_required(Capability.MANAGE_SETTINGS)
def number_sequences(request):
    """How document numbers look (prefix and digits) and which number comes next."""
    rows = selectors.number_sequence_rows(tenant=request.tenant)
    initial = [{"key": r["key"], "prefix": r["prefix"], "padding": r["padding"]} for r in rows]
    formset = NumberSequenceFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        for form in formset:
            try:
                services.sequence_update(
                    tenant=request.tenant, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                attach_errors(form, exc)
        if not any(form.errors for form in formset):
            messages.success(request, _("Numbering saved."))
            return redirect("tenancy:numbers")
        transaction.set_rollback(True)  # all rows or none
    labelled = [(form, row) for form, row in zip(formset, rows, strict=True)]
    return render(request, "tenancy/numbers.html", {"formset": formset, "labelled": labelled})


AUDIT_COLUMNS = [
    Column("created_at", _("When"), "created_at"),
    Column("actor", _("By"), "actor__email"),
    Column("action", _("Action"), "action"),
    Column("summary", _("Summary")),
]


@capability_required(Capability.VIEW_AUDIT)
def audit_list(request):
    qs = selectors.audit_event_list(tenant=request.tenant)
    action = request.GET.get("action", "")
    if action:
        qs = qs.filter(action=action)
    return list_response(
        request,
        qs,
        template="tenancy/audit_list.html",
        columns=AUDIT_COLUMNS,
        default_sort="-created_at",
        csv_filename="activity",
        context={"action": action},
    )


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
