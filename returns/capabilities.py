"""What the returns pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

VIEW_RETURNS = capability("view_returns", _("View returns"), *OFFICE, Role.DISPATCHER)
MANAGE_RETURNS = capability(
    "manage_returns",
    _("Create returns, register arrivals and decide dispositions"),
    *OFFICE,
    Role.DISPATCHER,
)
MANAGE_RETURN_REASONS = capability(
    "manage_return_reasons", _("Keep the table of return reasons"), *OFFICE
)
