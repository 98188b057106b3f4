"""What the invoicing pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_INVOICES = capability("view_invoices", _("View invoices"), *OFFICE)
MANAGE_INVOICES = capability(
    "manage_invoices", _("Issue, credit and record payments of invoices"), *OFFICE
)
# Dispatchers hold it too, but may use it only where the tenant's invoicing settings allow
# ("dispatchers may post service orders"): see invoicing.selectors.may_post.
POST_ORDERS = capability(
    "post_orders", _("Post service orders to invoices"), *OFFICE, Role.DISPATCHER
)
