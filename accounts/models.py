"""Invitations: how a person comes into a tenant (with their consent)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned, tenant_key
from tenancy.roles import Role


def invitation_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Invitation(TenantOwned):
    """A tenant admin's invitation of an e-mail address with a role.

    The link in the mail carries a random secret; only its SHA-256 is stored, so the table
    alone never lets anyone accept. Resending replaces the secret (the old link dies). No
    membership exists until the person accepts.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    # What the role is bound to, as the binding app keeps it (accounts.bindings): e.g. the
    # customer of a customer contact. Empty for the other roles.
    binding = models.JSONField(default=dict, blank=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            tenant_key(),
            # One open invitation per address and tenant (expired ones stay open until resent
            # or revoked).
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(accepted_at__isnull=True)
                & Q(declined_at__isnull=True)
                & Q(revoked_at__isnull=True),
                name="accounts_invitation_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.declined_at is None and self.revoked_at is None

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.declined_at:
            return self.Status.DECLINED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def bound_to(self) -> str:
        """What the invited person will be bound to (the customer of a contact), or ""."""
        from .bindings import role_binding

        binding = role_binding(self.role)
        if binding is None or not self.binding:
            return ""
        return binding.describe(params=self.binding)

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    def new_secret(self) -> str:
        """A fresh secret for the link (returned once, stored hashed)."""
        secret = secrets.token_urlsafe(32)
        self.secret_hash = invitation_secret_hash(secret)
        return secret

    def secret_matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, invitation_secret_hash(secret))
