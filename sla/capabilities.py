"""What the SLA pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_SERVICE_LEVELS = capability(
    "view_service_levels", _("View SLAs and business calendars"), *OFFICE, Role.DISPATCHER
)
MANAGE_SERVICE_LEVELS = capability(
    "manage_service_levels", _("Manage SLAs and business calendars"), *OFFICE
)
