from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from . import checks, navigation, rls  # noqa: F401  (checks registers the system checks)
        from .roles import Capability

        post_migrate.connect(rls.on_post_migrate, dispatch_uid="tenancy.rls")
        navigation.register(
            navigation.NavItem("home", _("Home"), None, order=0),
            navigation.NavItem(
                "tenancy:members",
                _("Users"),
                Capability.MANAGE_USERS,
                900,
                "/settings/users/",
                group="admin",
            ),
            navigation.NavItem(
                "tenancy:audit",
                _("Activity"),
                Capability.VIEW_AUDIT,
                910,
                "/settings/activity/",
                group="admin",
            ),
            navigation.NavItem(
                "tenancy:settings",
                _("Settings"),
                Capability.MANAGE_SETTINGS,
                920,
                "/settings/tenant/",
                group="admin",
            ),
        )
