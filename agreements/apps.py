from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Service agreements")

    def ready(self) -> None:
        from tenancy.sequences import register_sequence
        from web.navigation import NavItem, register, register_group

        from . import events, imports, registrations
        from .capabilities import VIEW_AGREEMENTS

        register_sequence("agreement", _("Agreements"), "AG-")
        register_group("agreements", _("Agreements"))
        register(
            NavItem(
                "agreements:agreement_list",
                _("Agreements"),
                VIEW_AGREEMENTS,
                200,
                "/agreements/",
                group="agreements",
            ),
        )
        registrations.register_all()
        events.register_events()
        imports.register_import_kinds()
