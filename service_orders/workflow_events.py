"""The activity-log events of the order workflow (stages, cancel, lines, assignment) and what
they say (see tenancy.events). Registered in ServiceOrdersConfig.ready()."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tenancy.events import register_event


def _stage(params: dict):
    if params.get("reason"):
        return _("Order %(number)s moved from %(from)s to %(to)s: %(reason)s")
    return _("Order %(number)s moved from %(from)s to %(to)s")


def _assigned(params: dict):
    if params.get("technician"):
        return _("Order %(number)s assigned to %(technician)s")
    return _("Order %(number)s unassigned")


def _moved_out(params: dict):
    return ngettext(
        "Order %(number)s: %(count)s line moved to %(other)s",
        "Order %(number)s: %(count)s lines moved to %(other)s",
        params.get("count") or 0,
    )


def _moved_in(params: dict):
    return ngettext(
        "Order %(number)s: %(count)s line moved here from %(other)s",
        "Order %(number)s: %(count)s lines moved here from %(other)s",
        params.get("count") or 0,
    )


def register_workflow_events() -> None:
    register_event("order.create", _("Order %(number)s created for %(customer)s"))
    register_event("order.stage", _stage)
    register_event("order.revoke_cancel", _("Order %(number)s reopened at %(stage)s"))
    register_event("order.clock_stop", _("Order %(number)s: SLA clock stopped: %(reason)s"))
    register_event("order.clock_start", _("Order %(number)s: SLA clock started: %(reason)s"))
    register_event("order.clock_cancel", _("Order %(number)s: SLA clock cancelled: %(reason)s"))
    register_event("order.delete", _("Order %(number)s deleted"))
    register_event("order.assign", _assigned)
    register_event("order.line_cancel", _("Order %(number)s: line %(line)s cancelled: %(reason)s"))
    register_event("order.line_revoke", _("Order %(number)s: line %(line)s brought back"))
    register_event("order.lines_moved_out", _moved_out)
    register_event("order.lines_moved_in", _moved_in)
