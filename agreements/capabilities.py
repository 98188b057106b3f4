"""What the agreement pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_AGREEMENTS = capability(
    "view_agreements", _("View service agreements"), *OFFICE, Role.DISPATCHER
)
MANAGE_AGREEMENTS = capability("manage_agreements", _("Manage service agreements"), *OFFICE)
