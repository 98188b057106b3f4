"""What the service order pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_ORDERS = capability("view_orders", _("View service orders"), *OFFICE, Role.DISPATCHER)
GENERATE_ORDERS = capability(
    "generate_orders", _("Generate service orders from agreements"), *OFFICE
)
DISPATCH = capability("dispatch", _("Plan and dispatch work"), Role.DISPATCHER)
CHANGE_ORDERS = capability(
    "change_orders",
    _("Create service orders and move them through their stages"),
    *OFFICE,
    Role.DISPATCHER,
)
MANAGE_STAGES = capability("manage_order_stages", _("Configure the order stages"), *OFFICE)
# Web requests: the office answers them; a customer contact submits them and follows the
# customer's orders (and has no other capability at all).
HANDLE_REQUESTS = capability(
    "handle_web_requests", _("Accept or reject web requests"), *OFFICE, Role.DISPATCHER
)
REQUEST_SERVICE = capability(
    "request_service",
    _("Request service and follow the customer's orders"),
    Role.CUSTOMER_CONTACT,
)
