"""The activity-log events subscriptions record (see tenancy.events); registered in ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import DateParam, register_event


def register_events() -> None:
    register_event("subscription.update", _("%(record)s changed: %(fields)s"))
    register_event("subscription.activate", _("%(number)s activated"))
    register_event("subscription.pause", _("%(number)s paused"))
    register_event("subscription.resume", _("%(number)s resumed"))
    register_event("subscription.end", _("%(number)s ended"))
    register_event("subscription.cancel", _("%(number)s cancelled"))
    register_event(
        "subscription.cancel_at_period_end",
        _("%(number)s will be cancelled at the end of its period (%(date)s)"),
        date=DateParam("SHORT_DATE_FORMAT"),
    )
    register_event(
        "subscription.reduction_add",
        _("%(number)s: reduction %(start)s – %(end)s added"),
        start=DateParam("SHORT_DATE_FORMAT"),
        end=DateParam("SHORT_DATE_FORMAT"),
    )
    register_event("subscription.one_off_add", _("%(number)s: one-off fee %(description)s added"))
    register_event("subscription.index", _("%(number)s: index %(old)s → %(new)s"))
    register_event(
        "subscriptions.bill",
        _("Subscriptions billed through %(through)s (fees: %(created)s, failed: %(failed)s)"),
        through=DateParam("SHORT_DATE_FORMAT"),
    )
