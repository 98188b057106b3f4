"""What the master data pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_MASTER_DATA = capability(
    "view_master_data", _("View customers, items and service objects"), *OFFICE, Role.DISPATCHER
)
MANAGE_MASTER_DATA = capability(
    "manage_master_data", _("Manage customers, items and service objects"), *OFFICE
)
