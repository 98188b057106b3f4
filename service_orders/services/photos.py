"""Photos the technician attaches to an order (checked and stored by web.photos)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.models import Tenant, User
from tenancy.services import audit_record
from web.photos import checked_photo, store_photo

from ..models import OrderPhoto, OrderState, ServiceOrder


@transaction.atomic
def order_photo_add(
    *, tenant: Tenant, by: User, order_id: int, upload, assigned_to: User | None = None
) -> OrderPhoto:
    facts = checked_photo(upload)
    order = ServiceOrder.objects.for_tenant(tenant).select_for_update(of=("self",)).get(pk=order_id)
    if assigned_to is not None and order.assigned_technician_id != assigned_to.pk:
        raise ServiceOrder.DoesNotExist
    if order.state in (OrderState.POSTED, OrderState.CANCELLED):
        raise ValidationError(
            {
                "photo": _("This order is %(state)s; no photos can be added.")
                % {"state": order.get_state_display().lower()}
            }
        )
    photo = OrderPhoto(tenant=tenant, order=order, uploaded_by=by, **facts)
    return store_photo(
        photo,
        upload,
        then=lambda: audit_record(
            tenant=tenant,
            actor=by,
            action="order.photo_add",
            target=order,
            params={"number": order.number, "name": photo.original_name},
            changes={"photo": photo.pk},
        ),
    )
