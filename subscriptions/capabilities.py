"""What the subscription pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, capability

VIEW_SUBSCRIPTIONS = capability("view_subscriptions", _("View subscriptions"), *OFFICE)
MANAGE_SUBSCRIPTIONS = capability(
    "manage_subscriptions",
    _("Manage subscriptions, their groups and the price list"),
    *OFFICE,
)
RUN_BILLING = capability("run_billing", _("Run subscription billing"), *OFFICE)
