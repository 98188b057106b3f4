from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in, tenant switching, members and roles, tenant settings, numbering, activity."""

    name = "accounts"
    verbose_name = _("Accounts and settings")

    def ready(self) -> None:
        from tenancy.roles import Capability
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
