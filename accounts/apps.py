from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in (allauth), invitations, my account, tenant switching, members and roles, tenant
    settings, numbering, activity."""

    name = "accounts"
    verbose_name = _("Accounts and settings")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from tenancy.events import ChoiceLabel, register_event
        from tenancy.roles import Capability, Role

        from . import registrations
        from .signals import user_email_address_sync

        post_save.connect(
            user_email_address_sync,
            sender=get_user_model(),
            dispatch_uid="accounts.user_email_address_sync",
        )
        register_event(
            "invitation.create", _("%(email)s invited as %(role)s"), role=ChoiceLabel(Role)
        )
        register_event("invitation.resend", _("Invitation to %(email)s sent again"))
        register_event("invitation.revoke", _("Invitation to %(email)s revoked"))
        register_event("invitation.accept", _("%(email)s accepted the invitation"))
        register_event("invitation.decline", _("%(email)s declined the invitation"))
        registrations.register_all()
        from web.navigation import NavItem, register

        register(
            NavItem("home", _("Home"), None, order=0),
            NavItem(
                "accounts:members",
                _("Users"),
                Capability.MANAGE_USERS,
                900,
                "/settings/users/",
                group="admin",
            ),
            NavItem(
                "accounts:audit",
                _("Activity"),
                Capability.VIEW_AUDIT,
                910,
                "/settings/activity/",
                group="admin",
            ),
            NavItem(
                "accounts:settings",
                _("Settings"),
                Capability.MANAGE_SETTINGS,
                920,
                "/settings/tenant/",
                group="admin",
            ),
        )
