"""Photos attached to records (an order, a web request, a repair line): what every photo row
holds, how an upload is checked and stored, and how the file is sent back (decision 0011).

A photo is accepted only when it really is an image (Pillow opens and verifies it; the file
name and the browser's content type are not trusted) of a kind every browser shows (JPEG, PNG,
WebP), at most ``MAX_PHOTO_BYTES`` large. It is stored per tenant and record under a random name
in MEDIA_ROOT, which is never served as such: each app's photo view checks the tenant and who
may see the record, then answers with ``photo_response``.

A photo model inherits ``Photo`` (or ``UserPhoto``, which records who uploaded it), adds the
foreign key to its record, and declares ``image = photo_field(<its path function>)``. The path
function stays a module-level function of the model's own module, because its migration names
it; it only calls ``photo_path`` with the record's folder and id.
"""

import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from tenancy.models import TenantOwned, tenant_key

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 60_000_000  # a 60-megapixel photo; more is a decompression bomb, not a photo
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/webp": "webp"}  # anything else was accepted as JPEG
# What a photo row says about its file; a copy of a photo takes these over.
FACTS = ("original_name", "content_type", "size", "width", "height")


# --- The models' shared part ---------------------------------------------------------------------


def photo_path(photo: "Photo", folder: str, record_id: int) -> str:
    """``<tenant>/<folder>/<record>/photos/<random>.<ext>``: never a guessable or public address
    (the uploaded name is kept in the row)."""
    return f"{photo.tenant_id}/{folder}/{record_id}/photos/{uuid.uuid4().hex}.{photo.extension}"


def photo_field(upload_to: Callable[..., str]) -> models.FileField:
    return models.FileField(gettext_lazy("photo"), upload_to=upload_to, max_length=200)


class Photo(TenantOwned):
    """A stored photo's facts. Subclasses add their record's key and ``image``."""

    original_name = models.CharField(gettext_lazy("file name"), max_length=200, blank=True)
    content_type = models.CharField(gettext_lazy("content type"), max_length=40)
    size = models.PositiveIntegerField(gettext_lazy("size (bytes)"))
    width = models.PositiveIntegerField(gettext_lazy("width"))
    height = models.PositiveIntegerField(gettext_lazy("height"))
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]
        constraints = [tenant_key()]

    def __str__(self) -> str:
        return self.original_name or self.image.name

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "jpg")

    def facts(self) -> dict:
        """This photo's facts, for a copy of it on another record."""
        return {name: getattr(self, name) for name in FACTS}


class UserPhoto(Photo):
    """A photo someone signed in took: the technician's, the office's."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=gettext_lazy("uploaded by"),
    )

    class Meta(Photo.Meta):
        abstract = True


# --- Checking and storing an upload --------------------------------------------------------------


def inspect_photo(upload) -> dict:
    """The facts (``FACTS``) of an uploaded image; ValidationError beside ``photo`` when it is
    not one of the accepted kinds. The size limit is the caller's to check and word."""
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
    return {
        "original_name": (getattr(upload, "name", "") or "")[-200:],
        "content_type": PHOTO_TYPES[kind],
        "size": upload.size,
        "width": width,
        "height": height,
    }


def checked_photo(upload) -> dict:
    """The facts of the one photo of a photo form; ValidationError beside ``photo`` when there
    is none, it is too large or it is not an accepted image."""
    if upload is None:
        raise ValidationError({"photo": _("Choose a photo to attach.")})
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("This photo is larger than %(size)s MB.") % {"size": 10}})
    return inspect_photo(upload)


def store_photo(photo: Photo, content, *, then: Callable[[], object] | None = None) -> Photo:
    """Write ``content`` as the photo's file, save the row, then run ``then`` (the audit record);
    the file is removed again when any of it fails, so a rolled-back photo leaves no file."""
    photo.image.save("photo", content, save=False)
    try:
        photo.save()
        if then is not None:
            then()
    except Exception:
        photo.image.delete(save=False)
        raise
    return photo


# --- Sending it back -----------------------------------------------------------------------------


def private_response(response):
    """Never cached by the browser or a proxy, never sniffed into another type."""
    response["Cache-Control"] = "private, max-age=0, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def photo_response(photo: Photo):
    """The photo's file, for a view that has checked who may see it; 404 when the file is gone."""
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return private_response(FileResponse(handle, content_type=photo.content_type))
