"""What the dispatch pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

# The board: plan, move, dispatch and undo appointments.
DISPATCH = capability(
    "dispatch_board", _("Plan and dispatch technicians"), *OFFICE, Role.DISPATCHER
)
# Teams, technician profiles and absences.
MANAGE_DISPATCH = capability(
    "manage_dispatch", _("Manage teams, technician profiles and absences"), *OFFICE
)
