"""The activity-log events of the technician's work on an order (lines recorded, timers,
photos, the customer's sign-off) and what they say (see tenancy.events). Registered in
ServiceOrdersConfig.ready(); they appear on the order's timeline."""

from django.utils.translation import gettext_lazy as _

from customers.models import LineKind
from tenancy.events import ChoiceLabel, register_event


def register_technician_events() -> None:
    kind = ChoiceLabel(LineKind)
    register_event(
        "order.line_add",
        _("Order %(number)s: %(kind)s line recorded: %(line)s, quantity %(quantity)s"),
        kind=kind,
    )
    register_event(
        "order.line_remove",
        _("Order %(number)s: %(kind)s line removed: %(line)s, quantity %(quantity)s"),
        kind=kind,
    )
    register_event("order.timer_start", _("Order %(number)s: timer started"), kind=kind)
    register_event(
        "order.timer_stop", _("Order %(number)s: timer stopped at %(quantity)s h"), kind=kind
    )
    register_event("order.photo_add", _("Order %(number)s: photo %(name)s attached"))
    register_event("order.sign_off", _("Order %(number)s signed off by %(signer)s"))
