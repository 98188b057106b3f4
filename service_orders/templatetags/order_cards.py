"""``{% technician_cards orders %}``: the cards of "My orders", rendered in Python
(service_orders.list_cells.technician_card; the same HTML as technician/_order_card.html)."""

from django import template
from django.utils.safestring import mark_safe

from ..list_cells import technician_card

register = template.Library()


@register.simple_tag
def technician_cards(orders):
    return mark_safe("".join(technician_card(order) for order in orders))  # noqa: S308 - escaped
