"""The activity-log events of dispatch (see tenancy.events). They target the order, so they
appear on the order's timeline. Registered in DispatchConfig.ready()."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from tenancy.events import register_event


@dataclass(frozen=True)
class LocalDateTimeParam:
    """A local date and time (ISO, in the tenant's zone), read in the reader's format."""

    def __call__(self, value: Any, event) -> str:
        try:
            return formats.date_format(
                datetime.datetime.fromisoformat(value), "SHORT_DATETIME_FORMAT"
            )
        except (TypeError, ValueError):
            return str(value)


def register_events() -> None:
    when = LocalDateTimeParam()
    register_event(
        "dispatch.assign",
        _("Order %(number)s planned for %(technician)s at %(start)s"),
        start=when,
    )
    register_event(
        "dispatch.move",
        _("Order %(number)s: visit moved to %(technician)s at %(start)s"),
        start=when,
    )
    register_event(
        "dispatch.unassign",
        _("Order %(number)s: visit of %(technician)s at %(start)s removed"),
        start=when,
    )
    register_event(
        "dispatch.dispatch",
        _("Order %(number)s: visit at %(start)s sent to %(technician)s"),
        start=when,
    )
    register_event(
        "dispatch.undo",
        _("Order %(number)s: last planning change undone"),
    )
    register_event("dispatch.feed_reset", _("Calendar link of %(technician)s replaced"))
