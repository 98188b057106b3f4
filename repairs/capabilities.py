"""What the repair pages ask for."""

from django.utils.translation import gettext_lazy as _

from tenancy.roles import OFFICE, Role, capability

MANAGE_REPAIR_CODES = capability(
    "manage_repair_codes", _("Configure the repair code tables"), *OFFICE
)
# Repair lines: the technician on their own orders, the office and the dispatcher on any.
RECORD_REPAIRS = capability(
    "record_repairs",
    _("Record repair lines"),
    *OFFICE,
    Role.DISPATCHER,
    Role.TECHNICIAN,
)
MANAGE_BOMS = capability("manage_boms", _("Maintain BOMs and their versions"), *OFFICE)
VIEW_SERVICE_BOMS = capability(
    "view_service_boms",
    _("See service BOMs and repair histories"),
    *OFFICE,
    Role.DISPATCHER,
    Role.TECHNICIAN,
)
# Parts replaced, added or removed on an object: the technician during a repair (on an order
# assigned to them), the office also by hand.
CHANGE_SERVICE_BOMS = capability(
    "change_service_boms", _("Replace, add and remove parts"), *OFFICE, Role.TECHNICIAN
)
