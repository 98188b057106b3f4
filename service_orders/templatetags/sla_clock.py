"""Showing SLA working time: hours and minutes ("12:30 h")."""

import datetime

from django import template

register = template.Library()


@register.filter
def working_hours(value: datetime.timedelta | None) -> str:
    """A duration as hours:minutes of working time; negative durations keep their sign."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d} h"
