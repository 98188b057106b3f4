"""Writes for accounts: invitations, and what a person changes about themselves.

A person comes into a tenant only by accepting an invitation sent to their address: a tenant
admin never sets anyone's password, and no membership exists before acceptance. Answers to the
admin are the same whether or not the address already has a Fieldline login.
"""

import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenancy.context import tenant_scope
from tenancy.models import Membership, Tenant, User
from tenancy.roles import Role
from tenancy.services import audit_record, member_add

from .bindings import role_binding
from .models import Invitation


class InvitationInvalid(Exception):
    """The link is wrong, used, declined, revoked or expired: the same answer for each."""


def invitation_link_path(invitation: Invitation, secret: str) -> str:
    return reverse(
        "invitation", kwargs={"tenant": invitation.tenant_id, "pk": invitation.pk, "secret": secret}
    )


def _send_invitation(*, invitation: Invitation, secret: str, base_url: str) -> None:
    """Mail the link once the transaction commits (in the tenant's language: the invitee's own
    is not known yet)."""
    tenant = Tenant.objects.get(pk=invitation.tenant_id)
    context = {
        "tenant": tenant,
        "invitation": invitation,
        "invited_by": invitation.invited_by,
        "link": base_url.rstrip("/") + invitation_link_path(invitation, secret),
        "days": settings.FIELDLINE_INVITATION_DAYS,
    }
    with translation.override(tenant.default_language):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_message.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    )


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.FIELDLINE_INVITATION_DAYS)


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, by: User, email: str, role: str, base_url: str, details: dict | None = None
) -> Invitation:
    """``details``: the extra fields of a bound role (accounts.bindings), e.g. the customer of a
    customer contact; its app checks them (ValidationError beside the field)."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    binding = role_binding(role)
    params = binding.clean(tenant=tenant, data=details or {}) if binding else {}
    if Membership.objects.filter(tenant=tenant, user__email=email, is_active=True).exists():
        raise ValidationError({"email": _("This person is already a member of this tenant.")})
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        binding=params,
        invited_by=by,
        expires_at=_expiry(),
    )
    secret = invitation.new_secret()
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "email": _(
                    "This address already has an open invitation: resend or revoke it in the "
                    "list of invitations."
                )
            }
        ) from exc
    audit_record(
        tenant=tenant,
        actor=by,
        action="invitation.create",
        target=invitation,
        params={
            "email": email,
            "role": role,
            **({"bound_to": invitation.bound_to} if params else {}),
        },
    )
    _send_invitation(invitation=invitation, secret=secret, base_url=base_url)
    return invitation


def _open_invitation(tenant: Tenant, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.for_tenant(tenant).select_for_update().filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise Invitation.DoesNotExist
    if not invitation.is_open:
        raise ValidationError(_("This invitation was already answered or revoked."))
    return invitation


@transaction.atomic
def invitation_resend(*, tenant: Tenant, by: User, invitation_id: int, base_url: str) -> Invitation:
    """A new link with a new expiry; the previous link stops working."""
    invitation = _open_invitation(tenant, invitation_id)
    secret = invitation.new_secret()
    invitation.sent_at = timezone.now()
    invitation.expires_at = _expiry()
    invitation.save(update_fields=["secret_hash", "sent_at", "expires_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="invitation.resend",
        target=invitation,
        params={"email": invitation.email},
    )
    _send_invitation(invitation=invitation, secret=secret, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_revoke(*, tenant: Tenant, by: User, invitation_id: int) -> Invitation:
    invitation = _open_invitation(tenant, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="invitation.revoke",
        target=invitation,
        params={"email": invitation.email},
    )
    return invitation


def invitation_for_link(*, tenant_id: int, invitation_id: int, secret: str) -> Invitation:
    """The open, unexpired invitation the link stands for; InvitationInvalid otherwise.
    Read in the invitation's tenant (the visitor is not a member of it yet)."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        raise InvitationInvalid
    with tenant_scope(tenant):
        invitation = Invitation.objects.for_tenant(tenant).filter(pk=invitation_id).first()
    return _checked(invitation, secret, tenant)


def _checked(invitation: Invitation | None, secret: str, tenant: Tenant) -> Invitation:
    if invitation is None or not invitation.secret_matches(secret):
        raise InvitationInvalid
    if not invitation.is_open or invitation.expires_at <= timezone.now():
        raise InvitationInvalid
    invitation.tenant = tenant
    return invitation


def _locked_for_link(tenant: Tenant, invitation_id: int, secret: str) -> Invitation:
    invitation = (
        Invitation.objects.for_tenant(tenant).select_for_update().filter(pk=invitation_id).first()
    )
    return _checked(invitation, secret, tenant)


def _login_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def invitation_accept(*, tenant_id: int, invitation_id: int, secret: str, user: User) -> Membership:
    """A signed-in person accepts an invitation sent to their own address."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        invitation = _locked_for_link(tenant, invitation_id, secret)
        if user.email.lower() != invitation.email.lower():
            raise PermissionDenied(
                _("This invitation is for %(email)s. Sign in with that address to accept it.")
                % {"email": invitation.email}
            )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        membership = member_add(tenant=tenant, by=None, user=user, role=invitation.role)
        _bind(tenant, invitation, user)
        audit_record(
            tenant=tenant,
            actor=user,
            action="invitation.accept",
            target=invitation,
            params={"email": invitation.email},
        )
    return membership


def invitation_accept_new(
    *,
    tenant_id: int,
    invitation_id: int,
    secret: str,
    first_name: str,
    last_name: str,
    password: str,
) -> Membership:
    """A person without a login accepts: their login is made with their own name and
    password, its address verified by the link itself."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        invitation = _locked_for_link(tenant, invitation_id, secret)
        if _login_exists(invitation.email):
            raise ValidationError(
                _("This address already has a Fieldline login: sign in to accept.")
            )
        user = User(email=invitation.email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from exc
        user.set_password(password)
        user.language = tenant.default_language
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a double submit that lost the race
            raise ValidationError(
                _("This address already has a Fieldline login: sign in to accept.")
            ) from exc
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        membership = member_add(tenant=tenant, by=None, user=user, role=invitation.role)
        _bind(tenant, invitation, user)
        audit_record(
            tenant=tenant,
            actor=user,
            action="invitation.accept",
            target=invitation,
            params={"email": invitation.email},
        )
    return membership


def _bind(tenant: Tenant, invitation: Invitation, user: User) -> None:
    """A bound role's record (the customer of a contact), made in the acceptance's
    transaction by the app that owns it."""
    binding = role_binding(invitation.role)
    if binding is not None:
        binding.accept(tenant=tenant, user=user, params=invitation.binding)


def invitation_decline(*, tenant_id: int, invitation_id: int, secret: str, user: User) -> None:
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        invitation = _locked_for_link(tenant, invitation_id, secret)
        if user.email.lower() != invitation.email.lower():
            raise PermissionDenied(
                _("This invitation is for %(email)s. Sign in with that address to answer it.")
                % {"email": invitation.email}
            )
        invitation.declined_at = timezone.now()
        invitation.save(update_fields=["declined_at"])
        audit_record(
            tenant=tenant,
            actor=user,
            action="invitation.decline",
            target=invitation,
            params={"email": invitation.email},
        )


def invitation_login_exists(invitation: Invitation) -> bool:
    """Shown only to whoever holds the link (the mailbox's owner): whether to sign in or to
    make a login. The admin's pages never tell."""
    return _login_exists(invitation.email)


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, language: str) -> User:
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose a valid language.")})
    user = User.objects.select_for_update().get(pk=user.pk)
    user.first_name, user.last_name, user.language = first_name, last_name, language
    user.save(update_fields=["first_name", "last_name", "language"])
    return user
