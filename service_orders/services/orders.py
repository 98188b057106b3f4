"""Writes on a single service order: its lifecycle changes."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import ServiceOrder


class OrderTransitionRefused(Exception):
    """The order is no longer in a state the requested change applies to (someone else changed
    it first). Carries the order as it is now, so the view can answer 409 showing it."""

    def __init__(self, order: ServiceOrder):
        super().__init__(order.state)
        self.order = order


@transaction.atomic
def order_cancel(*, tenant: Tenant, by: User, order_id: int) -> ServiceOrder:
    """Cancel an open order. ServiceOrder.DoesNotExist for another tenant's order;
    OrderTransitionRefused when it is already completed, posted or cancelled."""
    order = ServiceOrder.objects.for_tenant(tenant).select_for_update().get(pk=order_id)
    if not can_proceed(order.cancel):
        raise OrderTransitionRefused(order)
    previous = order.state
    order.cancel()
    order.save(update_fields=["state"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.cancel",
        target=order,
        summary=_("Order %(number)s cancelled") % {"number": order.number},
        changes={"state": [previous, order.state]},
    )
    return order
