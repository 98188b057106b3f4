from django import template
from django.utils.translation import get_language

from ..money import format_money

register = template.Library()


@register.filter
def money(value, currency: str) -> str:
    """An amount in ``currency`` written as the active language writes it (Babel)."""
    return format_money(value, currency, get_language())
