"""The technician's phone pages: "My orders", the order page, one-tap steps, recording lines,
photos, sign-off and the receipt; each for the assigned technician only."""

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from service_orders.models import (
    OrderPhoto,
    OrderSignOff,
    OrderState,
    ServiceOrder,
    ServiceOrderLine,
    StageLog,
)
from tenancy.roles import Role
from tests.factories import (
    ItemFactory,
    ServiceObjectFactory,
    ServiceOrderLineFactory,
    ServiceTaskFactory,
)
from web.submissions import new_token

from .technician_helpers import assigned_order, image_bytes, signature, stage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def order(tenant_a, technician_a):
    return assigned_order(tenant_a, technician_a)


@pytest.fixture
def tech(client_for, technician_a):
    return client_for(technician_a)


def _url(name, order, *args):
    return reverse(f"service_orders:{name}", args=[order.pk, *args])


# --- My orders -----------------------------------------------------------------------------------


def test_my_orders_today_first_then_coming_days(tenant_a, technician_a, make_member, tech):
    today = tenant_a.today()
    later = assigned_order(
        tenant_a, technician_a, preferred_date=today + datetime.timedelta(days=2)
    )
    now = assigned_order(tenant_a, technician_a, preferred_date=today)
    done = assigned_order(
        tenant_a, technician_a, state=OrderState.COMPLETED, code="done", preferred_date=today
    )
    theirs = assigned_order(tenant_a, make_member(tenant_a, Role.TECHNICIAN), preferred_date=today)
    page = tech.get(reverse("service_orders:my_orders")).content.decode()
    assert page.index(now.number) < page.index(later.number)
    assert done.number not in page and theirs.number not in page
    assert 'data-testid="day-group-0"' in page and 'data-testid="day-group-1"' in page


def test_my_orders_needs_the_technician_capability(client_for, dispatcher_a):
    response = client_for(dispatcher_a).get(reverse("service_orders:my_orders"))
    assert response.status_code == 403


def test_my_orders_runs_a_constant_number_of_queries(
    tenant_a, technician_a, tech, django_assert_max_num_queries
):
    today = tenant_a.today()
    assigned_order(tenant_a, technician_a, preferred_date=today)
    tech.get(reverse("service_orders:my_orders"))  # the first request of a session writes more
    with django_assert_max_num_queries(12) as few:
        tech.get(reverse("service_orders:my_orders"))
    for days in range(8):
        assigned_order(tenant_a, technician_a, preferred_date=today + datetime.timedelta(days=days))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert tech.get(reverse("service_orders:my_orders")).status_code == 200


# --- The order page ------------------------------------------------------------------------------


def test_order_page_shows_what_the_technician_needs(tenant_a, technician_a, order, tech):
    order.customer.notes = "Dog in the yard"
    order.customer.save(update_fields=["notes"])
    task = ServiceTaskFactory(tenant=tenant_a, checklist="Check pressure\nClean filter")
    ServiceOrderLineFactory(
        order=order, task=task, service_object=ServiceObjectFactory(customer=order.customer)
    )
    page = tech.get(_url("technician_order", order)).content.decode()
    assert 'href="geo:0,0?q=ul.%20D%C5%82uga%205' in page
    assert 'href="tel:+48600100200"' in page
    assert "Check pressure" in page and "Clean filter" in page
    assert "Dog in the yard" in page
    # The one-tap steps of the default tree from "In progress": hold (with a reason), complete.
    assert 'data-testid="step-hold"' in page and 'data-testid="step-done"' in page


def test_another_technicians_order_is_not_found(tenant_a, make_member, order, client_for):
    colleague = client_for(make_member(tenant_a, Role.TECHNICIAN))
    for name in ("technician_order", "technician_sign_off", "technician_photo_add"):
        assert colleague.get(_url(name, order)).status_code == 404
    assert (
        colleague.post(_url("technician_line_add", order, "hour"), {"hours": "1"}).status_code
        == 404
    )
    assert not ServiceOrderLine.objects.filter(order=order).exists()


def test_order_page_runs_a_constant_number_of_queries(
    tenant_a, technician_a, order, tech, django_assert_max_num_queries
):
    ServiceOrderLineFactory(order=order, task=ServiceTaskFactory(tenant=tenant_a))
    tech.get(_url("technician_order", order))  # the first request of a session writes more
    with django_assert_max_num_queries(22) as few:  # 2 of them the repairs panel's
        tech.get(_url("technician_order", order))
    for _ in range(6):
        ServiceOrderLineFactory(
            order=order,
            task=ServiceTaskFactory(tenant=tenant_a),
            item=ItemFactory(tenant=tenant_a),
            service_object=ServiceObjectFactory(customer=order.customer),
        )
        OrderPhoto.objects.create(
            tenant=tenant_a,
            order=order,
            image="x.png",
            content_type="image/png",
            size=1,
            width=1,
            height=1,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert tech.get(_url("technician_order", order)).status_code == 200


# --- One-tap steps -------------------------------------------------------------------------------


def test_one_tap_step_moves_once_per_tap(tenant_a, technician_a, tech):
    order = assigned_order(tenant_a, technician_a, state=OrderState.SCHEDULED, code="scheduled")
    data = {"to_stage": stage(tenant_a, "travel").pk, "submission_token": new_token()}
    first = tech.post(_url("technician_step", order), data)
    second = tech.post(_url("technician_step", order), data)  # the double tap
    assert first.status_code == 302 and second.status_code == 302
    order.refresh_from_db()
    assert order.stage.code == "travel" and order.state == OrderState.IN_PROGRESS
    assert StageLog.objects.filter(order=order).count() == 1


def test_hold_without_a_reason_is_refused_beside_the_field(tenant_a, order, tech):
    response = tech.post(
        _url("technician_step", order),
        {"to_stage": stage(tenant_a, "hold").pk, "submission_token": new_token()},
    )
    assert 'data-testid="reason-error"' in response.content.decode()
    order.refresh_from_db()
    assert order.stage.code == "work"
    reason = stage(tenant_a, "hold").reasons.first()
    tech.post(
        _url("technician_step", order),
        {
            "to_stage": stage(tenant_a, "hold").pk,
            "reason_code": reason.pk,
            "submission_token": new_token(),
        },
    )
    order.refresh_from_db()
    assert order.state == OrderState.ON_HOLD


def test_a_step_someone_else_took_first_answers_409(tenant_a, order, tech):
    response = tech.post(
        _url("technician_step", order),
        {"to_stage": stage(tenant_a, "travel").pk, "submission_token": new_token()},
    )
    assert response.status_code == 409
    assert 'data-testid="refusal"' in response.content.decode()


# --- Lines ---------------------------------------------------------------------------------------


def test_hour_line_end_before_start_is_refused_beside_the_field(order, tech):
    response = tech.post(
        _url("technician_line_add", order, "hour"),
        {"started_at": "10:00", "ended_at": "09:00", "submission_token": new_token()},
    )
    page = response.content.decode()
    assert 'id="id_ended_at_error"' in page and "before the start" in page
    assert not ServiceOrderLine.objects.filter(order=order).exists()


def test_negative_quantity_is_refused_beside_the_field(tenant_a, order, tech):
    item = ItemFactory(tenant=tenant_a)
    response = tech.post(
        _url("technician_line_add", order, "item"),
        {"item": item.pk, "quantity": "-1", "submission_token": new_token()},
    )
    assert 'id="id_quantity_error"' in response.content.decode()
    assert not ServiceOrderLine.objects.filter(order=order).exists()


def test_a_double_tap_records_one_line(tenant_a, order, tech):
    data = {"started_at": "08:00", "ended_at": "09:30", "submission_token": new_token()}
    for _ in range(2):
        response = tech.post(_url("technician_line_add", order, "hour"), data)
        assert response.status_code == 302
    (line,) = ServiceOrderLine.objects.filter(order=order)
    assert line.quantity == Decimal("1.5")
    assert line.started_at.astimezone(tenant_a.zone).time() == datetime.time(8, 0)


def test_item_picker_search(tenant_a, tech):
    ItemFactory(tenant=tenant_a, number="F-100", name="Air filter")
    ItemFactory(tenant=tenant_a, number="P-200", name="Pump")
    ItemFactory(tenant=tenant_a, number="F-999", name="Old filter", is_active=False)
    found = tech.get(reverse("service_orders:technician_items"), {"q": "filter"}).json()
    assert [entry["text"] for entry in found["results"]] == ["F-100 · Air filter"]


def test_timer_start_and_stop_from_the_page(order, tech):
    tech.post(_url("technician_timer_start", order), {"submission_token": new_token()})
    line = ServiceOrderLine.objects.get(order=order)
    assert line.started_at and line.ended_at is None
    tech.post(_url("technician_timer_stop", order, line.pk))
    line.refresh_from_db()
    assert line.ended_at is not None


# --- Photos --------------------------------------------------------------------------------------


def test_photo_is_stored_per_tenant_and_served_only_through_the_view(
    tenant_a, order, tech, media, client_for, dispatcher_a, make_member
):
    upload = SimpleUploadedFile("boiler.png", image_bytes("PNG"), content_type="image/png")
    response = tech.post(
        _url("technician_photo_add", order), {"photo": upload, "submission_token": new_token()}
    )
    assert response.status_code == 302
    photo = OrderPhoto.objects.get(order=order)
    assert photo.image.name.startswith(f"{tenant_a.pk}/orders/{order.pk}/photos/")
    assert (media / photo.image.name).exists()
    served = tech.get(_url("order_photo", order, photo.pk))
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == image_bytes("PNG")
    # The office sees it too; another technician does not.
    assert client_for(dispatcher_a).get(_url("order_photo", order, photo.pk)).status_code == 200
    colleague = client_for(make_member(tenant_a, Role.TECHNICIAN))
    assert colleague.get(_url("order_photo", order, photo.pk)).status_code == 404


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.png", b"just some text", content_type="image/png"),
        SimpleUploadedFile("anim.gif", image_bytes("GIF"), content_type="image/gif"),
        SimpleUploadedFile(
            "huge.jpg", b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), content_type="image/jpeg"
        ),
    ],
    ids=["not-an-image", "not-an-accepted-kind", "over-10-mb"],
)
def test_bad_photo_is_refused_with_a_message(order, tech, media, upload):
    response = tech.post(
        _url("technician_photo_add", order), {"photo": upload, "submission_token": new_token()}
    )
    assert 'id="id_photo_error"' in response.content.decode()
    assert not OrderPhoto.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


# --- Sign-off ------------------------------------------------------------------------------------


def test_sign_off_shows_the_receipt(tenant_a, technician_a, order, tech, client_for, manager_a):
    ServiceOrderLineFactory(order=order, description="Annual service", quantity=Decimal("2"))
    response = tech.post(
        _url("technician_sign_off", order),
        {
            "signer_name": "Zofia Nowak",
            "signature": signature(),
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url("technician_receipt", order)
    receipt_page = tech.get(response["Location"]).content.decode()
    assert "Zofia Nowak" in receipt_page and "Annual service" in receipt_page
    pdf = tech.get(_url("order_receipt_pdf", order))
    assert pdf["Content-Type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Zofia Nowak" in text and "Annual service" in text
    # The office opens the same stored receipt.
    assert client_for(manager_a).get(_url("order_receipt_pdf", order)).content == pdf.content


def test_empty_signature_is_refused_beside_the_field(order, tech):
    response = tech.post(
        _url("technician_sign_off", order),
        {"signer_name": "Zofia Nowak", "signature": "", "submission_token": new_token()},
    )
    assert 'data-testid="signature-error"' in response.content.decode()
    assert not OrderSignOff.objects.exists()


def test_office_order_page_shows_photos_and_the_receipt(tenant_a, order, client_for, manager_a):
    office = client_for(manager_a)
    detail = reverse("service_orders:order_detail", args=[order.pk])
    assert 'data-testid="field-record"' not in office.get(detail).content.decode()
    OrderPhoto.objects.create(
        tenant=tenant_a,
        order=order,
        image="x.png",
        content_type="image/png",
        size=1,
        width=1,
        height=1,
    )
    OrderSignOff.objects.create(
        tenant=tenant_a,
        order=order,
        signer_name="Zofia Nowak",
        signature_png=b"png",
        signed_at=tenant_a.now(),
        technician=order.assigned_technician,
        language="pl",
        receipt_pdf=b"%PDF-1.7",
        receipt_sha256="0" * 64,
    )
    # As the sign-off service does, in the same transaction: the order page reads the
    # sign-off only for an order signed off.
    ServiceOrder.objects.filter(pk=order.pk).update(signed_off_at=tenant_a.now())
    page = office.get(detail).content.decode()
    assert "Zofia Nowak" in page and _url("order_receipt_pdf", order) in page
    assert 'data-testid="office-photos"' in page
