"""The customer's sign-off: a signature drawn on the technician's phone and the signer's typed
name turn the order's work into a signed work receipt.

The receipt is a PDF rendered once, at signing, in the customer's language (else the tenant's),
and kept with its SHA-256 in the sign-off row, which is never changed: what the customer signed
can be shown and proven later whatever happens to the order. Once signed off, the order's lines
can no longer change (services.lines refuses). The receipt goes by mail to the order's contact
(else the customer's address) once the transaction has committed.
"""

import base64
import binascii
import hashlib
import io
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import (
    LineStatus,
    OrderSignOff,
    OrderState,
    ServiceOrder,
    ServiceOrderLine,
    ServiceOrderTask,
)

logger = logging.getLogger(__name__)

SIGNATURE_MAX_BYTES = 2 * 1024 * 1024
SIGNATURE_MAX_SIDE = 4000
# A signature whose ink spans less than this share of the pad's width (and at least
# MIN_INK_SIDE_PX) is a dot or a slip of the finger, not a signature.
MIN_INK_SHARE = 0.15
MIN_INK_SIDE_PX = 40
MIN_INK_PIXELS = 120
SIGN_OFF_STATES = (OrderState.IN_PROGRESS, OrderState.ON_HOLD, OrderState.COMPLETED)


def signature_png(data_url: str) -> bytes:
    """The drawn signature (a ``data:image/png;base64,…`` URL from the signature pad) as a PNG of
    black ink on white, cropped to the ink; ValidationError when it is missing, not a PNG,
    empty or too small to be a signature."""
    prefix = "data:image/png;base64,"
    missing = ValidationError({"signature": _("Ask the customer to sign in the box.")})
    if not data_url or not data_url.startswith(prefix):
        raise missing
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise missing from None
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise ValidationError({"signature": _("The signature image is too large.")})
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_SIDE:
                raise missing
            drawn = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise missing from None
    paper = Image.new("RGB", drawn.size, "white")
    paper.paste(drawn, mask=drawn.getchannel("A"))
    ink = paper.convert("L").point(lambda value: 255 if value < 160 else 0)
    box = ink.getbbox()
    if box is None:
        raise ValidationError(
            {"signature": _("The signature is empty. Ask the customer to sign in the box.")}
        )
    ink_width, ink_height = box[2] - box[0], box[3] - box[1]
    pixels = ink.histogram()[255]
    wide_enough = max(ink_width, ink_height) >= max(MIN_INK_SIDE_PX, MIN_INK_SHARE * drawn.width)
    if not wide_enough or pixels < MIN_INK_PIXELS:
        raise ValidationError(
            {"signature": _("The signature is too small. Ask the customer to sign across the box.")}
        )
    margin = 8
    crop = (
        max(box[0] - margin, 0),
        max(box[1] - margin, 0),
        min(box[2] + margin, drawn.width),
        min(box[3] + margin, drawn.height),
    )
    out = io.BytesIO()
    paper.crop(crop).save(out, format="PNG", optimize=True)
    return out.getvalue()


def receipt_language(order: ServiceOrder, tenant: Tenant) -> str:
    return order.customer.language or tenant.default_language or settings.LANGUAGE_CODE


def render_receipt_pdf(
    *,
    tenant: Tenant,
    order: ServiceOrder,
    lines: list[ServiceOrderLine],
    sign_off: OrderSignOff,
) -> bytes:
    """The work receipt as a PDF, in the sign-off's language and the tenant's time zone. Only
    ``data:`` URLs are fetched (the signature): the renderer never reaches the network or the
    file system."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    objects = {
        line.service_object_id: line.service_object for line in lines if line.service_object_id
    }
    tasks = {line.task_id: line.task for line in lines if line.task_id}
    # The agreement's customer-visible note on each task goes onto the receipt.
    notes = dict(
        ServiceOrderTask.objects.for_tenant(tenant)
        .filter(order=order, task_id__in=tasks)
        .exclude(customer_note="")
        .values_list("task_id", "customer_note")
    )
    for task_id, task in tasks.items():
        task.receipt_note = notes.get(task_id, "")
    context = {
        "tenant": tenant,
        "order": order,
        "lines": lines,
        "objects": list(objects.values()),
        "tasks": list(tasks.values()),
        "sign_off": sign_off,
        "signature_src": "data:image/png;base64,"
        + base64.b64encode(bytes(sign_off.signature_png)).decode("ascii"),
    }
    with translation.override(sign_off.language), timezone.override(tenant.zone):
        html = render_to_string("service_orders/receipt/receipt.html", context)
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def receipt_filename(order: ServiceOrder) -> str:
    return f"work-receipt-{order.number}.pdf"


def _mail_receipt(*, tenant: Tenant, order: ServiceOrder, sign_off: OrderSignOff) -> None:
    address = (order.contact.email if order.contact_id else "") or order.customer.email
    if not address:
        return
    with translation.override(sign_off.language):
        subject = _("Work receipt for service order %(number)s") % {"number": order.number}
        body = _(
            "Hello,\n\nattached is the work receipt for service order %(number)s, signed by "
            "%(signer)s.\n\n%(company)s"
        ) % {"number": order.number, "signer": sign_off.signer_name, "company": tenant.name}
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    message.attach(receipt_filename(order), bytes(sign_off.receipt_pdf), "application/pdf")
    message.send()


@transaction.atomic
def order_sign_off(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    signer_name: str,
    signature: str,
    assigned_to: User | None = None,
) -> OrderSignOff:
    """Record the customer's signature on the order's work and render the receipt once.
    ValidationError for an empty name, an empty or tiny signature, an order that is not being
    worked on or is already signed off; ServiceOrder.DoesNotExist for another tenant's (or
    technician's) order."""
    from ..selectors import order_lines

    signer_name = " ".join(signer_name.split())
    errors = {}
    if not signer_name:
        errors["signer_name"] = [_("Type the name of the person who signs.")]
    try:
        png = signature_png(signature)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    order = (
        ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer", "contact", "site", "assigned_technician")
        .get(pk=order_id)
    )
    if assigned_to is not None and order.assigned_technician_id != assigned_to.pk:
        raise ServiceOrder.DoesNotExist
    if order.signed_off_at is not None:
        raise ValidationError(_("The customer has already signed off this order."))
    if order.state not in SIGN_OFF_STATES:
        raise ValidationError(
            _("Sign-off comes once the work has started; this order is %(state)s.")
            % {"state": order.get_state_display().lower()}
        )
    lines = [
        line
        for line in order_lines(tenant=tenant, order=order)
        if line.status != LineStatus.CANCELLED
    ]
    signed_at = timezone.now()
    sign_off = OrderSignOff(
        tenant=tenant,
        order=order,
        signer_name=signer_name[:120],
        signature_png=png,
        signed_at=signed_at,
        technician=by,
        language=receipt_language(order, tenant),
    )
    sign_off.receipt_pdf = render_receipt_pdf(
        tenant=tenant, order=order, lines=lines, sign_off=sign_off
    )
    sign_off.receipt_sha256 = hashlib.sha256(sign_off.receipt_pdf).hexdigest()
    try:
        with transaction.atomic():
            sign_off.save()
    except IntegrityError:
        raise ValidationError(_("The customer has already signed off this order.")) from None
    order.signed_off_at = signed_at
    order.save(update_fields=["signed_off_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.sign_off",
        target=order,
        params={"number": order.number, "signer": sign_off.signer_name},
        changes={"receipt_sha256": sign_off.receipt_sha256},
    )
    transaction.on_commit(
        lambda: _mail_receipt(tenant=tenant, order=order, sign_off=sign_off), robust=True
    )
    return sign_off
