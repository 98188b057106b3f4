from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceOrdersConfig(AppConfig):
    name = "service_orders"
    verbose_name = _("Service orders")

    def ready(self) -> None:
        from tenancy.navigation import NavItem, register
        from tenancy.roles import Capability

        register(
            NavItem(
                "service_orders:order_list",
                _("Service orders"),
                Capability.VIEW_ORDERS,
                300,
                "/orders/",
                group="orders",
            ),
            NavItem(
                "service_orders:generation",
                _("Generate orders"),
                Capability.GENERATE_ORDERS,
                310,
                "/orders/generate/",
                group="orders",
            ),
        )
