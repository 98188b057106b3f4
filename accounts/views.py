"""Sign-in, tenant switching, members, tenant settings, numbering and the activity log."""

from functools import partial

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import selectors, services
from tenancy.middleware import SESSION_TENANT_KEY, preferred_language
from tenancy.roles import Capability
from web.forms import attach_errors
from web.lists import Column, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.registry import settings_sections
from web.submissions import create_once_url

from .forms import (
    MemberAddForm,
    MemberFilterForm,
    MemberUpdateForm,
    NumberSequenceFormSet,
    SignInForm,
    TenantSettingsForm,
)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True


@login_required
def no_tenant(request):
    if request.tenant is not None:
        return redirect("home")
    return render(request, "accounts/no_tenant.html")


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
    # Said in the language of the next page: the new tenant's, unless the person chose one.
    with translation.override(preferred_language(request, membership.tenant)):
        messages.success(
            request, _("You are now working in %(tenant)s.") % {"tenant": membership.tenant}
        )
    return redirect("home")


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
        template="accounts/member_list.html",
        columns=MEMBER_COLUMNS,
        default_sort="user.email",
        csv_filename="users",
        context={"filters": filters},
    )


@capability_required(Capability.MANAGE_USERS)
def member_add(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            membership, created = services.member_add(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
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
            return reverse("accounts:members")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "accounts/member_form.html", {"form": form, "membership": None})


@capability_required(Capability.MANAGE_USERS)
def member_edit(request, pk: int):
    membership = get_or_404(selectors.membership_get, tenant=request.tenant, pk=pk)
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
            return redirect("accounts:members")
    return render(request, "accounts/member_form.html", {"form": form, "membership": membership})


@capability_required(Capability.MANAGE_SETTINGS)
def tenant_settings(request):
    """The tenant's own settings and the sections other apps register (web.registry), on one
    form, saved together."""
    data = request.POST if request.method == "POST" else None
    form = TenantSettingsForm(data, instance=request.tenant)
    sections = [
        (section, section.form(tenant=request.tenant, data=data, prefix=section.key))
        for section in settings_sections()
    ]
    if data is not None:
        valid = [each.is_valid() for each in (form, *(f for _section, f in sections))]
        if all(valid) and _settings_save(request, form, sections):
            messages.success(request, _("Settings saved."))
            return redirect("accounts:settings")
    shown = [{"key": s.key, "label": s.label, "form": f} for s, f in sections]
    return render(request, "accounts/settings.html", {"form": form, "sections": shown})


def _settings_save(request, form, sections) -> bool:
    """Save the tenant's fields and every section in one transaction: all or nothing, each
    refusal beside its field. Each service records its own audit event."""
    tenant, by = request.tenant, request.user
    saves = [(form, partial(services.tenant_settings_update, data=form.cleaned_data))]
    saves += [(f, partial(section.save, data=f.cleaned_data)) for section, f in sections]
    with transaction.atomic():
        for target, save in saves:
            try:
                with transaction.atomic():
                    save(tenant=tenant, by=by)
            except ValidationError as exc:
                attach_errors(target, exc)
        if any(target.errors for target, _save in saves):
            transaction.set_rollback(True)
            return False
    return True


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
            return redirect("accounts:numbers")
        transaction.set_rollback(True)  # all rows or none
    labelled = [(form, row) for form, row in zip(formset, rows, strict=True)]
    return render(request, "accounts/numbers.html", {"formset": formset, "labelled": labelled})


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
        template="accounts/audit_list.html",
        columns=AUDIT_COLUMNS,
        default_sort="-created_at",
        csv_filename="activity",
        context={"action": action},
    )
