"""Tenant switching, invitations, my account, members, tenant settings, numbering and the
activity log. Sign-in, password reset and change, two-factor and sessions are allauth's views
(config/urls.py) in our templates."""

from functools import partial

from allauth.account.utils import perform_login
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tenancy import selectors, services
from tenancy.events import target_kind
from tenancy.middleware import SESSION_TENANT_KEY, preferred_language, remember_tenant
from tenancy.roles import Capability
from web.forms import attach_errors
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.registry import settings_sections
from web.submissions import create_once_url

from . import selectors as account_selectors
from . import services as account_services
from .bindings import annotate_members, bound_to
from .forms import (
    InvitationAcceptNewForm,
    InvitationForm,
    MemberFilterForm,
    MemberUpdateForm,
    NumberSequenceFormSet,
    ProfileForm,
    TenantSettingsForm,
)


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
    remember_tenant(request.user, tenant_id)
    # Said in the language of the next page: the new tenant's, unless the person chose one.
    with translation.override(preferred_language(request, membership.tenant)):
        messages.success(
            request, _("You are now working in %(tenant)s.") % {"tenant": membership.tenant}
        )
    return redirect("home")


MEMBER_COLUMNS = [
    Column("user.email", gettext_lazy("E-mail"), "user__email", role=TITLE, truncate=True),
    Column(
        "user.get_full_name", gettext_lazy("Full name"), "user__last_name", role=FACT, truncate=True
    ),
    Column("get_role_display", gettext_lazy("Role"), "role", role=FACT),
    # What a bound role works for (accounts.bindings): a customer contact's customer.
    Column(
        "bound_to",
        gettext_lazy("Works for"),
        value=bound_to,
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column(
        "is_active",
        gettext_lazy("Active"),
        "is_active",
        role=BADGE,
        template="web/cells/active.html",
    ),
    Column("created_at", gettext_lazy("Member since"), "created_at", nowrap=True, breakpoint="lg"),
    Column(
        "edit",
        gettext_lazy("Edit"),
        role=ACTION,
        link=link_to("accounts:member_edit"),
        export=False,
    ),
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
    invitations = list(account_selectors.invitation_open_list(tenant=request.tenant))
    return list_response(
        request,
        annotate_members(qs),
        template="accounts/member_list.html",
        columns=MEMBER_COLUMNS,
        default_sort="user.email",
        csv_filename="users",
        context={"filters": filters, "invitations": invitations},
    )


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


@capability_required(Capability.MANAGE_USERS)
def invite(request):
    """Invite a person by e-mail with a role. The answer is the same whether or not the address
    already has a Fieldline login."""
    form = InvitationForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            invitation = account_services.invitation_create(
                tenant=request.tenant,
                by=request.user,
                base_url=_base_url(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                details=form.details(),
            )
            messages.success(
                request,
                _("Invitation sent to %(email)s. They join once they accept it.")
                % {"email": invitation.email},
            )
            return reverse("accounts:members")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "accounts/invitation_form.html", {"form": form})


@capability_required(Capability.MANAGE_USERS)
def invitation_resend(request, pk: int):
    invitation = get_or_404(account_selectors.invitation_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        account_services.invitation_resend(
            tenant=request.tenant,
            by=request.user,
            invitation_id=invitation.pk,
            base_url=_base_url(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("A new link was sent to %(email)s; the previous one no longer works.")
            % {"email": invitation.email},
        )
    return redirect("accounts:members")


@capability_required(Capability.MANAGE_USERS)
def invitation_revoke(request, pk: int):
    invitation = get_or_404(account_selectors.invitation_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        account_services.invitation_revoke(
            tenant=request.tenant, by=request.user, invitation_id=invitation.pk
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
        )
    return redirect("accounts:members")


def invitation(request, tenant: int, pk: int, secret: str):
    """The link from the invitation mail: a new person sets their name and password; someone
    with a login signs in as the invited address and accepts or declines."""
    link = {"tenant_id": tenant, "invitation_id": pk, "secret": secret}
    try:
        invitation = account_services.invitation_for_link(**link)
    except account_services.InvitationInvalid:
        return _invitation_gone(request, tenant)
    context = {"invitation": invitation, "tenant": invitation.tenant}
    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email.lower():
            return render(request, "accounts/invitation_other_person.html", context, status=403)
        return _invitation_answer(request, link, context)
    if account_services.invitation_login_exists(invitation):
        context["sign_in_url"] = redirect_to_login(request.get_full_path()).url
        return render(request, "accounts/invitation_sign_in.html", context)
    form = InvitationAcceptNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = account_services.invitation_accept_new(
                **link,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except account_services.InvitationInvalid:
            return _invitation_gone(request, tenant)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return _enter_tenant(request, membership, new_login=True)
    context["form"] = form
    return render(request, "accounts/invitation_new.html", context)


def _invitation_answer(request, link: dict, context: dict):
    if request.method != "POST":
        return render(request, "accounts/invitation_answer.html", context)
    try:
        if request.POST.get("answer") == "decline":
            account_services.invitation_decline(**link, user=request.user)
            messages.info(request, _("You declined the invitation."))
            return redirect("home")
        membership = account_services.invitation_accept(**link, user=request.user)
    except account_services.InvitationInvalid:
        return _invitation_gone(request, link["tenant_id"])
    except PermissionDenied:
        return render(request, "accounts/invitation_other_person.html", context, status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("home")
    return _enter_tenant(request, membership, new_login=False)


def _enter_tenant(request, membership, *, new_login: bool):
    request.session[SESSION_TENANT_KEY] = membership.tenant_id
    remember_tenant(membership.user, membership.tenant_id)
    messages.success(
        request,
        _("Welcome to %(tenant)s. You are now working in it.") % {"tenant": membership.tenant},
    )
    if new_login:
        response = perform_login(
            request, membership.user, email=membership.user.email, redirect_url=reverse("home")
        )
        request.session[SESSION_TENANT_KEY] = membership.tenant_id
        return response
    return redirect("home")


def _invitation_gone(request, tenant_id: int):
    """Expired, used, declined, revoked or simply wrong: one answer. Someone who already joined
    (a repeated "Accept") is simply let in."""
    user = request.user
    if user.is_authenticated and any(m.tenant_id == tenant_id for m in request.memberships):
        return redirect("home")
    return render(request, "accounts/invitation_invalid.html", status=410)


@login_required
def my_account(request):
    """Everyone's own page: name and language here; password, two-factor sign-in and sessions
    through allauth's pages linked from it."""
    form = ProfileForm(request.POST or None, instance=request.user, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.profile_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Your details were saved."))
            response = redirect("my_account")
            if user.language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    max_age=365 * 24 * 3600,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    context = {
        "form": form,
        "has_totp": is_mfa_enabled(request.user, [Authenticator.Type.TOTP]),
        "two_factor_required": request.tenant is not None and request.tenant.require_two_factor,
    }
    return render(request, "accounts/my_account.html", context)


@capability_required(Capability.MANAGE_USERS)
def member_edit(request, pk: int):
    membership = get_or_404(selectors.membership_get, tenant=request.tenant, pk=pk)
    initial = {"role": membership.role, "is_active": membership.is_active}
    form = MemberUpdateForm(request.POST or None, initial=initial, current_role=membership.role)
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
    bound = annotate_members(
        selectors.membership_list(tenant=request.tenant).filter(pk=membership.pk)
    ).first()
    context = {"form": form, "membership": membership, "bound_to": bound_to(bound) if bound else ""}
    return render(request, "accounts/member_form.html", context)


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
    if request.method == "POST" and formset.is_valid() and len(formset.forms) != len(rows):
        # Posted from a page made before another kind of document got its numbering: show the
        # list as it is now rather than guess which row is which.
        messages.warning(
            request, _("The list of numberings changed meanwhile. Check it and save again.")
        )
        formset = NumberSequenceFormSet(initial=initial)
    elif request.method == "POST" and formset.is_valid():
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


def _audit_record_url(event) -> str:
    return f"{reverse('accounts:audit')}?{urlencode({'record': event.target_type})}"


# Each event reads in the reader's language (AuditEvent.text, tenancy.events), in the CSV too.
AUDIT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), "created_at", role=FACT, nowrap=True),
    Column(
        "actor",
        gettext_lazy("By"),
        "actor__email",
        value=lambda event: event.actor.email if event.actor else "",
        role=FACT,
        truncate=True,
    ),
    Column(
        "record",
        gettext_lazy("Record"),
        "target_type",
        value=lambda event: event.target_kind(),
        link=_audit_record_url,
        role=FACT,
        breakpoint="md",
    ),
    Column("text", gettext_lazy("What happened"), value=lambda event: event.text(), role=TITLE),
]


@capability_required(Capability.VIEW_AUDIT)
def audit_list(request):
    qs = selectors.audit_event_list(tenant=request.tenant)
    action = request.GET.get("action", "")
    if action:
        qs = qs.filter(action=action)
    record = request.GET.get("record", "")
    if record:
        qs = qs.filter(target_type=record)
    return list_response(
        request,
        qs,
        template="accounts/audit_list.html",
        columns=AUDIT_COLUMNS,
        default_sort="-created_at",
        csv_filename="activity",
        context={"action": action, "record": record, "record_kind": target_kind(record)},
    )
