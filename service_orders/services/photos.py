"""Photos the technician attaches to an order.

A photo is accepted only when it really is an image (Pillow opens and verifies it; the file
name and the browser's content type are not trusted) of a kind every browser shows (JPEG, PNG,
WebP), at most ``MAX_PHOTO_BYTES`` large. It is stored per tenant and order under a random name
in MEDIA_ROOT, which is never served as such: the photo view checks the tenant and who may see
the order before it sends the file.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import OrderPhoto, OrderState, ServiceOrder

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 60_000_000  # a 60-megapixel photo; more is a decompression bomb, not a photo
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def inspect_photo(upload) -> tuple[str, int, int]:
    """(content type, width, height) of an uploaded image; ValidationError when it is not one
    of the accepted kinds."""
    not_an_image = ValidationError(
        {"photo": _("This file is not a photo. Choose a JPEG, PNG or WebP image.")}
    )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise ValidationError({"photo": _("This image has too many pixels.")})
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    finally:
        upload.seek(0)
    if kind not in PHOTO_TYPES:
        raise not_an_image
    return PHOTO_TYPES[kind], width, height


@transaction.atomic
def order_photo_add(
    *, tenant: Tenant, by: User, order_id: int, upload, assigned_to: User | None = None
) -> OrderPhoto:
    if upload is None:
        raise ValidationError({"photo": _("Choose a photo to attach.")})
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("This photo is larger than %(size)s MB.") % {"size": 10}})
    content_type, width, height = inspect_photo(upload)
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
    photo = OrderPhoto(
        tenant=tenant,
        order=order,
        original_name=(getattr(upload, "name", "") or "")[-200:],
        content_type=content_type,
        size=upload.size,
        width=width,
        height=height,
        uploaded_by=by,
    )
    photo.image.save("photo", upload, save=False)
    try:
        photo.save()
        audit_record(
            tenant=tenant,
            actor=by,
            action="order.photo_add",
            target=order,
            params={"number": order.number, "name": photo.original_name},
            changes={"photo": photo.pk},
        )
    except Exception:
        photo.image.delete(save=False)
        raise
    return photo
