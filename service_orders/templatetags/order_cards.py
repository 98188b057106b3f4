"""``{% technician_cards orders %}``: the cards of "My orders", rendered in Python
(service_orders.list_cells.technician_card; the same HTML as technician/_order_card.html)."""

from django import template
from django.utils.safestring import mark_safe

from ..list_cells import technician_card

register = template.Library()


@register.simple_tag
def technician_cards(orders):
    cache: dict = {}  # dates and times formatted once
    html = "".join(technician_card(order, cache) for order in orders)
    return mark_safe(html)  # noqa: S308 - every part is escaped
