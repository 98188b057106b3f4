"""Isolation cases for the technician's pages and the photo and receipt files (see
tests/isolation.py): another tenant's order is a 404 on every one of them, even when it is
assigned to the very person asking (OWNER_ROLES: the crawl passes ``user``)."""

from django.core.files.base import ContentFile
from django.utils import timezone

from service_orders.models import OrderPhoto, OrderSignOff, OrderState
from tenancy.roles import Role
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    UserFactory,
)


def _order(tenant, user=None):
    if user is None:
        user = UserFactory()
        MembershipFactory(tenant=tenant, user=user, role=Role.TECHNICIAN)
    return ServiceOrderFactory(
        customer=CustomerFactory(tenant=tenant),
        assigned_technician=user,
        state=OrderState.IN_PROGRESS,
    )


def _pk(tenant, user=None) -> dict:
    return {"pk": _order(tenant, user).pk}


def _line(tenant, user=None) -> dict:
    order = _order(tenant, user)
    line = ServiceOrderLineFactory(
        order=order,
        technician=order.assigned_technician,
        recorded_by=order.assigned_technician,
        started_at=timezone.now(),
    )
    return {"pk": order.pk, "line_pk": line.pk}


def _photo(tenant) -> dict:
    order = _order(tenant)
    photo = OrderPhoto(
        tenant=tenant, order=order, content_type="image/png", size=3, width=1, height=1
    )
    photo.image.save("photo", ContentFile(b"png"), save=False)
    photo.save()
    return {"pk": order.pk, "photo_pk": photo.pk}


def _signed(tenant, user=None) -> dict:
    order = _order(tenant, user)
    OrderSignOff.objects.create(
        tenant=tenant,
        order=order,
        signer_name="Signer",
        signature_png=b"png",
        signed_at=timezone.now(),
        technician=order.assigned_technician,
        language="en",
        receipt_pdf=b"%PDF-1.7",
        receipt_sha256="0" * 64,
    )
    # As the sign-off service does, in the same transaction.
    type(order).objects.filter(pk=order.pk).update(signed_off_at=timezone.now())
    return {"pk": order.pk}


CASES = {
    "service_orders:technician_order": _pk,
    "service_orders:technician_step": _pk,
    "service_orders:technician_line_add": lambda tenant, user=None: {
        **_pk(tenant, user),
        "kind": "hour",
    },
    "service_orders:technician_timer_start": _pk,
    "service_orders:technician_timer_stop": _line,
    "service_orders:technician_line_remove": _line,
    "service_orders:technician_photo_add": _pk,
    "service_orders:technician_sign_off": _pk,
    "service_orders:technician_receipt": _signed,
    # The office opens these by capability: the tenant admin is their owner.
    "service_orders:order_photo": _photo,
    "service_orders:order_receipt_pdf": _signed,
}

OWNER_ROLES = {
    name: Role.TECHNICIAN for name in CASES if name.startswith("service_orders:technician_")
}
