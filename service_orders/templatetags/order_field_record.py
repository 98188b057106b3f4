"""``{% order_field_record order %}``: the technician's photos and the customer's signed work
receipt on the office's order page (two queries, whatever the number of photos)."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("service_orders/_field_record.html", takes_context=True)
def order_field_record(context, order):
    tenant = context["request"].tenant
    return {
        "order": order,
        "photos": selectors.order_photos(tenant=tenant, order=order),
        "sign_off": selectors.order_sign_off_get(tenant=tenant, order=order),
    }
