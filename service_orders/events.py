"""The activity-log events service orders record and what they say (see tenancy.events).
Registered in ServiceOrdersConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import DateParam, register_event


def _cancelled(params: dict):
    if params.get("reason"):
        return _("Order %(number)s cancelled: %(reason)s")
    return _("Order %(number)s cancelled")


def register_events() -> None:
    register_event(
        "service_orders.generate",
        _(
            "Orders generated for %(start)s – %(end)s (orders: %(orders)s, lines: %(lines)s, "
            "agreements failed: %(failed)s)"
        ),
        start=DateParam("SHORT_DATE_FORMAT"),
        end=DateParam("SHORT_DATE_FORMAT"),
    )
    register_event(
        "service_orders.settings",
        _("Order generation settings changed: %(fields)s"),
    )
    register_event("order.cancel", _cancelled)
    register_event("order.post", _("%(number)s posted to an invoice (%(count)s lines)"))
    register_event(
        "order.lines_from_agreement",
        _("Order %(number)s: %(count)s lines added from agreement %(agreement)s"),
    )
