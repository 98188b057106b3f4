"""Shared arrangements for the technician's pages: an order assigned to a technician, images
and drawn signatures made with Pillow."""

import base64
import io

from PIL import Image, ImageDraw

from service_orders.models import OrderStage, OrderState
from tests.factories import (
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceOrderFactory,
)


def stage(tenant, code: str) -> OrderStage:
    return OrderStage.objects.for_tenant(tenant).get(code=code)


def assigned_order(tenant, technician, *, state=OrderState.IN_PROGRESS, code="work", **fields):
    """An order of a new customer (with a site and a contact) assigned to ``technician``, at
    the default tree's stage ``code``."""
    customer = CustomerFactory(tenant=tenant, name="Kowalski Sp. z o.o.", language="pl")
    site = CustomerSiteFactory(customer=customer, street="ul. Długa 5", city="Gdańsk")
    contact = CustomerContactFactory(customer=customer, phone="+48 600 100 200")
    order = ServiceOrderFactory(
        customer=customer,
        site=site,
        contact=contact,
        assigned_technician=technician,
        state=state,
        **fields,
    )
    order.stage = stage(tenant, code)
    order.save(update_fields=["stage"])
    return order


def image_bytes(kind: str = "PNG", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format=kind)
    return out.getvalue()


def signature(width=600, height=200, strokes=((40, 150, 560, 40), (60, 60, 500, 170))) -> str:
    """A drawn signature as the pad sends it: a PNG data URL, ink on a transparent canvas."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
