from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Service agreements")

    def ready(self) -> None:
        from tenancy.navigation import NavItem, register
        from tenancy.roles import Capability

        register(
            NavItem(
                "agreements:customer_list",
                _("Customers"),
                Capability.VIEW_MASTER_DATA,
                100,
                "/customers/",
                group="customers",
            ),
            NavItem(
                "agreements:object_list",
                _("Service objects"),
                Capability.VIEW_MASTER_DATA,
                110,
                "/objects/",
                group="customers",
            ),
            NavItem(
                "agreements:item_list",
                _("Items"),
                Capability.VIEW_MASTER_DATA,
                120,
                "/items/",
                group="customers",
            ),
            NavItem(
                "agreements:task_list",
                _("Service tasks"),
                Capability.VIEW_MASTER_DATA,
                130,
                "/tasks/",
                group="customers",
            ),
            NavItem(
                "agreements:agreement_list",
                _("Agreements"),
                Capability.VIEW_AGREEMENTS,
                200,
                "/agreements/",
                group="agreements",
            ),
        )
