from allauth.account.models import EmailConfirmation
from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import Invitation


@admin.register(Invitation)
class InvitationAdmin(TenantOwnedAdmin):
    list_display = ("email", "role", "invited_by", "sent_at", "expires_at", "accepted_at")
    search_fields = ("email",)
    readonly_fields = ("invited_by", "accepted_at", "declined_at", "revoked_at")


@admin.register(EmailConfirmation)
class EmailConfirmationAdmin(admin.ModelAdmin):
    """allauth's confirmation keys (unused while every login's address is verified when the
    login is made); listed so that the platform admin sees every table."""

    list_display = ("email_address", "created", "sent")
    readonly_fields = ("email_address", "created", "sent", "key")
