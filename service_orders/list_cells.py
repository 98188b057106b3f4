"""The order list's cells in Python (web.lists.Column.html): the same HTML as their templates
in templates/service_orders/cells/ (tests/service_orders/test_list_cells.py compares them), without
a template render per cell - 25 rows × 5 of these cells were a quarter of the list's time."""

import datetime
import html

from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.translation import gettext

# _state_badge.html: the badge's colour per state
_STATE_CLASS = {
    "new": "text-bg-primary",
    "scheduled": "text-bg-info",
    "in_progress": "text-bg-warning",
    "on_hold": "text-bg-secondary",
    "completed": "text-bg-success",
    "posted": "text-bg-success",
}
# sla.html: the badge's colour per clock status
_SLA_CLASS = {"breached": "text-bg-danger", "at_risk": "text-bg-warning", "met": "text-bg-success"}


def _text(value) -> str:
    """What ``{{ value }}`` prints (autoescaped)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def select_cell(row, value) -> str:
    """cells/select.html"""
    number = html.escape(row.number)
    label = gettext("Select %(number)s") % {"number": number}
    return (
        f'<input class="form-check-input" type="checkbox" name="orders" value="{row.pk}" '
        f'form="bulk-form" aria-label="{label}" data-testid="select-{number}">'
    )


def state_cell(row, value) -> str:
    """cells/state.html (_state_badge.html with the order's state and its label)."""
    css = _STATE_CLASS.get(row.state, "text-bg-light border")
    return f'<span class="badge {css}" data-testid="order-state">{_text(value)}</span>'


def conflict_cell(row, value) -> str:
    """cells/conflict.html (_conflict_badge.html on a closed day)."""
    if not row.calendar_conflict:
        return ""
    title = html.escape(gettext("Falls on a day the business calendar has closed; reschedule it."))
    label = html.escape(gettext("Closed day"))
    return (
        f'<span class="badge text-bg-warning" title="{title}" data-testid="conflict-badge">'
        f"{label}</span>"
    )


def stage_cell(row, value) -> str:
    """cells/stage.html: the stage, and under it who the order is assigned to."""
    stage = row.stage
    out = _text((stage.name if stage is not None else None) or "—")
    technician = row.assigned_technician
    if technician:
        title = html.escape(gettext("Assigned technician"))
        name = _text(technician.get_full_name() or technician.email)
        out += f'<br><span class="small text-body-secondary" title="{title}">{name}</span>'
    return out


def sla_cell(row, value) -> str:
    """cells/sla.html: the clock's status badge, and its due time while it runs."""
    status = row.sla_status
    if not status:
        return ""
    css = _SLA_CLASS.get(status, "text-bg-secondary")
    out = f'<span class="badge {css}" data-testid="sla-{_text(status)}">{_text(value)}</span>'
    due = row.sla_due
    if due and status not in ("met", "cancelled"):
        if timezone.is_aware(due):
            due = timezone.localtime(due)
        shown = formats.date_format(due, "SHORT_DATETIME_FORMAT")
        out += f'<small class="d-block text-wrap text-body-secondary">{_text(shown)}</small>'
    return out


def _formatted(cache: dict, value, how: str) -> str:
    """formats.date_format / time_format of ``value``, once per value on a page (many cards
    share a day)."""
    key = (value, how)
    shown = cache.get(key)
    if shown is None:
        if how == "SHORT_DATE_FORMAT":
            shown = formats.date_format(value, how)
        else:
            shown = formats.time_format(value, how)
        shown = cache[key] = _text(shown)
    return shown


def technician_card(order, cache: dict | None = None) -> str:
    """One card of "My orders" (technician/_order_card.html): customer, state badge (the stage's
    name where the order has a stage), description, number, date, time, high priority, address.
    A technician's page shows up to 200 of them."""
    from web.lists import reverse_id

    cache = {} if cache is None else cache
    url = reverse_id("service_orders:technician_order", order.pk)
    css = _STATE_CLASS.get(order.state, "text-bg-light border")
    label = order.stage.name if order.stage_id else order.get_state_display()
    facts = _text(order.number)
    if order.preferred_date:
        facts += " · " + _formatted(cache, order.preferred_date, "SHORT_DATE_FORMAT")
    if order.planned_start:
        start = order.planned_start
        if isinstance(start, datetime.datetime) and timezone.is_aware(start):
            start = timezone.localtime(start)
        facts += " · " + _formatted(cache, start, "TIME_FORMAT")
    if order.priority == "high":
        facts += f' · <strong class="text-danger">{_text(order.get_priority_display())}</strong>'
    address = order.service_address
    address = f'<span class="d-block small">{_text(address)}</span>' if address else ""
    return (
        "\n"
        '    <li class="mb-2">\n'
        f'      <a class="fl-tech-card" href="{html.escape(url)}" data-testid="my-order">\n'
        '        <span class="d-flex justify-content-between gap-2 align-items-start">\n'
        f'          <span class="fw-semibold">{_text(order.customer.name)}</span>\n'
        f'          <span class="badge {css}" data-testid="order-state">{_text(label)}</span>\n'
        "\n"
        "        </span>\n"
        f'        <span class="d-block">{_text(order.description)}</span>\n'
        '        <span class="d-block text-body-secondary small">\n'
        f"          {facts}\n"
        "        </span>\n"
        f"        {address}\n"
        "      </a>\n"
        "    </li>\n"
        "  "
    )
