"""The customer's sign-off: the signature is checked, the PDF work receipt is rendered once in
the customer's language, reads back with the lines and the signer's name, is mailed on commit
and never changes; the order's lines cannot change afterwards."""

import hashlib
import io
from decimal import Decimal

import pypdf
import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from service_orders.models import OrderSignOff, OrderState, ServiceOrder
from service_orders.services import lines
from service_orders.services.signoff import order_sign_off
from tests.factories import ItemFactory, ServiceObjectFactory, ServiceTaskFactory

from .technician_helpers import assigned_order, signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(tenant_a, technician_a):
    return assigned_order(tenant_a, technician_a)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _record_work(tenant, technician, order):
    boiler = ServiceObjectFactory(customer=order.customer, name="Kocioł gazowy", tenant=tenant)
    lines.line_add_hours(
        tenant=tenant,
        by=technician,
        order_id=order.pk,
        hours=Decimal("1.5"),
        task=ServiceTaskFactory(tenant=tenant, name="Przegląd roczny"),
        service_object=boiler,
    )
    lines.line_add_item(
        tenant=tenant,
        by=technician,
        order_id=order.pk,
        item=ItemFactory(tenant=tenant, name="Filtr powietrza", is_serial_tracked=True),
        quantity=Decimal("1"),
        serial_number="FX-2291",
    )


def test_receipt_reads_back_with_lines_and_signer(
    tenant_a, technician_a, order, django_capture_on_commit_callbacks
):
    _record_work(tenant_a, technician_a, order)
    with django_capture_on_commit_callbacks(execute=True):
        sign_off = order_sign_off(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            signer_name="  Zofia   Nowak ",
            signature=signature(),
            assigned_to=technician_a,
        )
    pdf = bytes(sign_off.receipt_pdf)
    assert pdf.startswith(b"%PDF")
    assert sign_off.receipt_sha256 == hashlib.sha256(pdf).hexdigest()
    text = _text(pdf)
    for expected in ("Zofia Nowak", "Filtr powietrza", "FX-2291", "Przegląd roczny", "Kocioł"):
        assert expected in text
    assert order.number in text
    # In the customer's language (Polish), whatever the technician's.
    assert sign_off.language == "pl"
    assert "Ilość" in text and "Technik" in text and "Quantity" not in text
    order.refresh_from_db()
    assert order.signed_off_at == sign_off.signed_at and order.order_is_signed_off
    # Mailed to the order's contact, with the receipt attached.
    (message,) = mail.outbox
    assert message.to == [order.contact.email]
    assert message.attachments[0][0] == f"work-receipt-{order.number}.pdf"
    assert message.attachments[0][1] == pdf


def test_receipt_language_falls_back_to_the_tenant(tenant_a, technician_a, order):
    order.customer.language = ""
    order.customer.save(update_fields=["language"])
    tenant_a.default_language = "fr"
    tenant_a.save(update_fields=["default_language"])
    sign_off = order_sign_off(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        signer_name="Jean Dupont",
        signature=signature(),
    )
    assert sign_off.language == "fr"
    text = _text(bytes(sign_off.receipt_pdf))
    assert "Quantité" in text and "Technicien" in text


@pytest.mark.parametrize(
    ("name", "drawn", "field"),
    [
        ("", signature(), "signer_name"),
        ("Zofia Nowak", "", "signature"),
        ("Zofia Nowak", "data:image/png;base64,bm90IGFuIGltYWdl", "signature"),
        ("Zofia Nowak", signature(strokes=()), "signature"),  # empty canvas
        ("Zofia Nowak", signature(strokes=((300, 100, 310, 104),)), "signature"),  # a dot
    ],
)
def test_bad_sign_off_is_refused_and_saves_nothing(
    tenant_a, technician_a, order, name, drawn, field
):
    with pytest.raises(ValidationError) as refused:
        order_sign_off(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            signer_name=name,
            signature=drawn,
        )
    assert field in refused.value.message_dict
    assert not OrderSignOff.objects.exists()
    order.refresh_from_db()
    assert order.signed_off_at is None


def test_signed_once_and_lines_locked_afterwards(tenant_a, technician_a, order):
    order_sign_off(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        signer_name="Zofia Nowak",
        signature=signature(),
    )
    with pytest.raises(ValidationError, match="already signed off"):
        order_sign_off(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            signer_name="Someone Else",
            signature=signature(),
        )
    with pytest.raises(ValidationError, match="signed off"):
        lines.line_add_fee(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            description="Late fee",
            quantity=Decimal("1"),
            unit_price=Decimal("10"),
        )
    assert OrderSignOff.objects.filter(order=order).count() == 1


def test_sign_off_needs_the_work_started(tenant_a, technician_a):
    order = assigned_order(tenant_a, technician_a, state=OrderState.SCHEDULED, code="scheduled")
    with pytest.raises(ValidationError):
        order_sign_off(
            tenant=tenant_a,
            by=technician_a,
            order_id=order.pk,
            signer_name="Zofia Nowak",
            signature=signature(),
        )
    assert not OrderSignOff.objects.exists()


def test_another_technician_cannot_sign_off(tenant_a, technician_a, make_member, order):
    colleague = make_member(tenant_a, "technician")
    with pytest.raises(ServiceOrder.DoesNotExist):
        order_sign_off(
            tenant=tenant_a,
            by=colleague,
            order_id=order.pk,
            signer_name="Zofia Nowak",
            signature=signature(),
            assigned_to=colleague,
        )


def test_office_cannot_cancel_a_signed_off_line(tenant_a, technician_a, dispatcher_a, order):
    from service_orders.models import LineStatus, ServiceOrderLine
    from service_orders.services.line_changes import line_cancel
    from service_orders.services.stages import OrderTransitionRefused

    fee = lines.line_add_fee(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        description="Call-out",
        quantity=Decimal("1"),
        unit_price=Decimal("60"),
    )
    order_sign_off(
        tenant=tenant_a,
        by=technician_a,
        order_id=order.pk,
        signer_name="Zofia Nowak",
        signature=signature(),
    )
    with pytest.raises(OrderTransitionRefused):
        line_cancel(
            tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=fee.pk, reason="Oops"
        )
    assert ServiceOrderLine.objects.get(pk=fee.pk).status == LineStatus.CREATED


def test_the_demo_completed_order_has_a_signed_receipt(tenant_a, make_member):
    from service_orders import demo
    from tenancy.roles import Role
    from tests.factories import CustomerFactory

    tenant_a.default_language = "pl"
    tenant_a.save()
    CustomerFactory(tenant=tenant_a, language="pl")
    people = {
        "manager": make_member(tenant_a, Role.SERVICE_MANAGER),
        "dispatcher": make_member(tenant_a, Role.DISPATCHER),
        "tech1": make_member(tenant_a, Role.TECHNICIAN),
    }
    demo.seed(tenant=tenant_a, people=people)
    demo.seed(tenant=tenant_a, people=people)  # idempotent: still one sign-off
    completed = ServiceOrder.objects.get(tenant=tenant_a, state=OrderState.COMPLETED)
    sign_off = OrderSignOff.objects.get(order=completed)
    assert completed.signed_off_at == sign_off.signed_at
    text = _text(bytes(sign_off.receipt_pdf))
    assert "Anna Wiśniewska" in text and "Uruchomienie i regulacja palnika" in text
