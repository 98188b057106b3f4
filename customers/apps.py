from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers and catalog")

    def ready(self) -> None:
        from tenancy.sequences import register_sequence
        from web.navigation import NavItem, register, register_group

        from . import registrations
        from .capabilities import VIEW_MASTER_DATA
        from .events import register_events
        from .imports import register_import_kinds

        register_events()
        registrations.register_all()
        register_import_kinds()
        register_sequence("customer", _("Customers"), "C-")
        register_sequence("item", _("Items"), "I-")
        register_sequence("service_object", _("Service objects"), "OBJ-")
        register_group("customers", _("Customers"))
        register(
            NavItem(
                "customers:customer_list",
                _("Customers"),
                VIEW_MASTER_DATA,
                100,
                "/customers/",
                group="customers",
            ),
            NavItem(
                "customers:object_list",
                _("Service objects"),
                VIEW_MASTER_DATA,
                110,
                "/objects/",
                group="customers",
            ),
            NavItem(
                "customers:item_list",
                _("Items"),
                VIEW_MASTER_DATA,
                120,
                "/items/",
                group="customers",
            ),
            NavItem(
                "customers:task_list",
                _("Service tasks"),
                VIEW_MASTER_DATA,
                130,
                "/tasks/",
                group="customers",
            ),
        )
