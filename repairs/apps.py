from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = _("Repairs")

    def ready(self) -> None:
        from web.navigation import NavItem, register

        from . import events, registrations
        from .capabilities import MANAGE_BOMS, MANAGE_REPAIR_CODES

        # In the existing groups (a group of its own would widen the menu bar): BOMs with the
        # items they describe, the repair codes beside the order stages.
        register(
            NavItem(
                "repairs:bom_list",
                _("BOMs"),
                MANAGE_BOMS,
                150,
                "/repairs/boms/",
                group="customers",
            ),
            NavItem(
                "repairs:code_tables",
                _("Repair codes"),
                MANAGE_REPAIR_CODES,
                325,
                "/repairs/codes/",
                group="orders",
            ),
        )
        events.register_events()
        registrations.register_all()
