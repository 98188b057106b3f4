from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = _("Repairs")

    def ready(self) -> None:
        from web.navigation import NavItem, register, register_group

        from . import events, registrations
        from .capabilities import MANAGE_BOMS, MANAGE_REPAIR_CODES

        register_group("repairs", _("Repairs"))
        register(
            NavItem(
                "repairs:bom_list",
                _("BOMs"),
                MANAGE_BOMS,
                350,
                "/repairs/boms/",
                group="repairs",
            ),
            NavItem(
                "repairs:code_tables",
                _("Repair codes"),
                MANAGE_REPAIR_CODES,
                360,
                "/repairs/codes/",
                group="repairs",
            ),
        )
        events.register_events()
        registrations.register_all()
