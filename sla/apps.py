from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from web.navigation import NavItem, register, register_group

        from . import events
        from .capabilities import VIEW_SERVICE_LEVELS

        register_group("agreements", _("Agreements"))
        register(
            NavItem(
                "sla:sla_list",
                _("SLAs"),
                VIEW_SERVICE_LEVELS,
                220,
                "/sla/levels/",
                group="agreements",
            ),
            NavItem(
                "sla:calendar_list",
                _("Calendars"),
                VIEW_SERVICE_LEVELS,
                230,
                "/sla/calendars/",
                group="agreements",
            ),
        )
        events.register_events()
