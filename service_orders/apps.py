from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceOrdersConfig(AppConfig):
    name = "service_orders"
    verbose_name = _("Service orders")

    def ready(self) -> None:
        from sla.capabilities import MANAGE_SERVICE_LEVELS
        from tenancy.roles import Capability
        from tenancy.sequences import register_sequence
        from web.navigation import NavItem, register, register_group

        from . import events, registrations, request_events, technician_events, workflow_events
        from .capabilities import (
            CHANGE_ORDERS,
            GENERATE_ORDERS,
            HANDLE_REQUESTS,
            MANAGE_STAGES,
            REQUEST_SERVICE,
            VIEW_ORDERS,
        )

        register_sequence("service_order", _("Service orders"), "SO-")
        register_sequence("web_request", _("Web requests"), "WR-")
        register_group("orders", _("Service orders"))
        register(
            NavItem(
                "service_orders:order_list",
                _("Service orders"),
                VIEW_ORDERS,
                300,
                "/orders/",
                group="orders",
            ),
            NavItem(
                "service_orders:order_create",
                _("New service order"),
                CHANGE_ORDERS,
                305,
                "/orders/new/",
                group="orders",
            ),
            NavItem(
                "service_orders:sla_compliance",
                _("SLA compliance"),
                MANAGE_SERVICE_LEVELS,
                315,
                "/orders/sla-compliance/",
                group="orders",
            ),
            NavItem(
                "service_orders:stage_tree",
                _("Order stages"),
                MANAGE_STAGES,
                320,
                "/orders/stages/",
                group="orders",
            ),
            NavItem(
                "service_orders:generation",
                _("Generate orders"),
                GENERATE_ORDERS,
                310,
                "/orders/generate/",
                group="orders",
            ),
            NavItem(
                "service_orders:request_list",
                _("Web requests"),
                HANDLE_REQUESTS,
                302,
                "/orders/requests/",
                group="orders",
            ),
            # A customer contact's portal (service_orders.portal_views).
            NavItem(
                "portal:request_create", _("New request"), REQUEST_SERVICE, 280, "/portal/new/"
            ),
            NavItem(
                "portal:request_list", _("My requests"), REQUEST_SERVICE, 282, "/portal/requests/"
            ),
            NavItem("portal:order_list", _("Orders"), REQUEST_SERVICE, 284, "/portal/orders/"),
            NavItem(
                "service_orders:my_orders",
                _("My orders"),
                Capability.WORK_ORDERS,
                290,
                "/orders/my/",
            ),
        )
        registrations.register_all()
        events.register_events()
        workflow_events.register_workflow_events()
        technician_events.register_technician_events()
        request_events.register_request_events()
