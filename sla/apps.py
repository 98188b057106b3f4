from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from tenancy.navigation import NavItem, register
        from tenancy.roles import Capability

        register(
            NavItem(
                "sla:sla_list",
                _("SLAs"),
                Capability.VIEW_AGREEMENTS,
                220,
                "/sla/levels/",
                group="agreements",
            ),
            NavItem(
                "sla:calendar_list",
                _("Calendars"),
                Capability.VIEW_MASTER_DATA,
                230,
                "/sla/calendars/",
                group="agreements",
            ),
        )
