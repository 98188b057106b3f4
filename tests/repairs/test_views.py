"""The repair pages through the test client: who may open what, bad input beside the field, a
lost race answered 409, double submits, and a constant number of queries at two sizes."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from repairs import services
from repairs.models import BomAction, BomState, BomVersion, Condition, RepairLine, RepairPhoto
from tests.factories import ItemFactory, ServiceObjectFactory, ServiceOrderObjectFactory
from tests.service_orders.technician_helpers import image_bytes

from .helpers import Codes, bom, order_with_object

pytestmark = pytest.mark.django_db


def test_the_technician_records_a_repair_on_an_order_of_theirs(
    tenant_a, technician_a, make_member, client_for
):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a, technician=technician_a)
    client = client_for(technician_a)
    url = reverse("repairs:line_create", args=[order.pk])
    page = client.get(url + f"?object={obj.pk}")
    assert page.status_code == 200
    data = {
        "service_object": str(obj.pk),
        "title": "No heating",
        "symptom_area": str(codes.electrical.pk),
        "symptom_code": str(codes.no_power.pk),
        "submission_token": "0" * 31 + "1",
    }
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    line = RepairLine.objects.get(tenant=tenant_a)
    assert first["Location"] == again["Location"] == reverse("repairs:line_detail", args=[line.pk])
    # Someone else's order is a 404 like a missing one.
    colleague = make_member(tenant_a, "technician")
    assert client_for(colleague).get(url).status_code == 404


def test_bad_codes_stay_beside_the_field_and_nothing_is_saved(tenant_a, manager_a, client_for):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    response = client_for(manager_a).post(
        reverse("repairs:line_create", args=[order.pk]),
        {
            "service_object": str(obj.pk),
            "title": "Leak",
            "diagnosis_area": str(codes.board.pk),
            "diagnosis_code": str(codes.seal.pk),
        },
    )
    assert response.status_code == 200
    assert "diagnosis_code" in response.context["form"].errors
    assert not RepairLine.objects.exists()


def test_finishing_closes_the_line_and_a_late_move_is_409(tenant_a, manager_a, client_for):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    line = services.repair_line_create(
        tenant=tenant_a, by=manager_a, order_id=order.pk, service_object=obj, data={"title": "X"}
    )
    client = client_for(manager_a)
    url = reverse("repairs:line_stage", args=[line.pk])
    assert client.post(url, {"stage": codes.done.pk}).status_code == 302
    line.refresh_from_db()
    assert line.finished_at is not None
    late = client.post(url, {"stage": codes.waiting.pk})
    assert late.status_code == 409
    assert late.context["refusal"]


def test_a_photo_is_attached_and_served(tenant_a, manager_a, client_for):
    Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    line = services.repair_line_create(
        tenant=tenant_a, by=manager_a, order_id=order.pk, service_object=obj, data={"title": "X"}
    )
    client = client_for(manager_a)
    upload = SimpleUploadedFile("leak.png", image_bytes(), content_type="image/png")
    response = client.post(reverse("repairs:line_photo_add", args=[line.pk]), {"photo": upload})
    assert response.status_code == 302
    photo = RepairPhoto.objects.get(line=line)
    served = client.get(reverse("repairs:line_photo", args=[line.pk, photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    text = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
    refused = client.post(reverse("repairs:line_photo_add", args=[line.pk]), {"photo": text})
    assert refused.status_code == 400 and RepairPhoto.objects.count() == 1


def test_one_tap_applies_a_suggested_resolution(tenant_a, manager_a, client_for):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    for _ in range(2):
        services.repair_line_create(
            tenant=tenant_a,
            by=manager_a,
            order_id=order.pk,
            service_object=obj,
            data={"title": "Old", "symptom_code": codes.no_power, "resolution": codes.reset},
            stage=codes.done,
        )
    line = services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=order.pk,
        service_object=obj,
        data={"title": "New", "symptom_code": codes.no_power},
    )
    client = client_for(manager_a)
    page = client.get(reverse("repairs:line_detail", args=[line.pk]))
    assert [(s.resolution, s.count) for s in page.context["suggestions"]] == [(codes.reset, 2)]
    fragment = client.get(
        reverse("repairs:suggestions", args=[order.pk]),
        {"service_object": obj.pk, "symptom_code": codes.no_power.pk},
    )
    assert codes.reset.name in fragment.content.decode()
    client.post(reverse("repairs:line_resolution", args=[line.pk]), {"resolution": codes.reset.pk})
    line.refresh_from_db()
    assert line.resolution == codes.reset


def test_code_tables_are_the_office_s(tenant_a, manager_a, technician_a, client_for):
    url = reverse("repairs:code_create", kwargs={"kind": "conditions"})
    assert client_for(technician_a).get(url).status_code == 403
    client = client_for(manager_a)
    data = {"code": "NW", "name": "Not working", "position": 1, "is_active": "on"}
    assert client.post(url, data).status_code == 302
    taken = client.post(url, {**data, "code": "nw"})
    assert "code" in taken.context["form"].errors
    assert Condition.objects.filter(tenant=tenant_a).count() == 1
    listing = client.get(reverse("repairs:code_list", kwargs={"kind": "conditions"}))
    assert "Not working" in listing.content.decode()


def test_the_bom_pages_take_a_version_from_draft_to_active(tenant_a, manager_a, client_for):
    boiler, pump = ItemFactory(tenant=tenant_a), ItemFactory(tenant=tenant_a)
    client = client_for(manager_a)
    created = client.post(
        reverse("repairs:bom_create"),
        {"item": boiler.pk, "valid_from": "2026-01-01", "submission_token": "1" * 32},
    )
    version = BomVersion.objects.get(tenant=tenant_a)
    assert created["Location"] == reverse("repairs:bom_detail", args=[version.pk])
    client.post(
        reverse("repairs:bom_line_add", args=[version.pk]), {"item": pump.pk, "quantity": 2}
    )
    step = reverse("repairs:bom_step", args=[version.pk, "approve"])
    assert client.post(step).status_code == 200  # the confirmation first
    version.refresh_from_db()
    assert version.state == BomState.DRAFT
    client.post(step, {"confirmed": "True"})
    version.refresh_from_db()
    assert version.state == BomState.APPROVED
    late = client.post(
        reverse("repairs:bom_line_add", args=[version.pk]), {"item": pump.pk, "quantity": 1}
    )
    assert late.status_code == 409
    client.post(reverse("repairs:bom_step", args=[version.pk, "activate"]), {"confirmed": "True"})
    version.refresh_from_db()
    assert version.state == BomState.ACTIVE


def test_a_part_replacement_through_the_page(tenant_a, technician_a, manager_a, client_for):
    parts = {n: ItemFactory(tenant=tenant_a, name=n) for n in ("boiler", "pump")}
    bom(tenant_a, manager_a, parts["boiler"], [(parts["pump"], 1)])
    order, obj = order_with_object(tenant_a, item=parts["boiler"], technician=technician_a)
    services.service_bom_create(tenant=tenant_a, by=manager_a, object_id=obj.pk)
    line = services.selectors.service_bom_current(tenant=tenant_a, obj=obj)[0]
    client = client_for(technician_a)
    url = reverse("repairs:part_change", args=[obj.pk])
    assert client.get(url).status_code == 404  # a technician comes from an order of theirs
    response = client.post(
        url + f"?order={order.pk}",
        {
            "action": BomAction.REPLACE,
            "line": line.pk,
            "add_order_line": "on",
            "order": order.pk,
            "submission_token": "2" * 32,
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.removed_at is not None
    history = client.get(reverse("repairs:service_bom", args=[obj.pk]) + f"?order={order.pk}")
    assert history.status_code == 200
    assert len(history.context["history"]) == 2


def _order_with_repairs(tenant, by, codes, count):
    order, obj = order_with_object(tenant)
    for n in range(count):
        other = ServiceObjectFactory(tenant=tenant, customer=order.customer, item=obj.item)
        ServiceOrderObjectFactory(tenant=tenant, order=order, service_object=other)
        for target in (obj, other):
            services.repair_line_create(
                tenant=tenant,
                by=by,
                order_id=order.pk,
                service_object=target,
                data={"title": f"R{n}", "symptom_code": codes.no_power, "resolution": codes.reset},
                stage=codes.done if n % 2 else None,
            )
    return order, obj


def _pages(tenant, by, codes, size) -> list[str]:
    """An order with ``size`` × 2 repair lines on ``size`` + 1 objects, and an object whose
    service BOM went through ``size`` × 3 replacements."""
    order, obj = _order_with_repairs(tenant, by, codes, size)
    version = BomVersion.objects.filter(tenant=tenant, item=obj.item).first() or bom(
        tenant, by, obj.item, [(ItemFactory(tenant=tenant), 1), (ItemFactory(tenant=tenant), 2)]
    )
    services.service_bom_create(tenant=tenant, by=by, object_id=obj.pk, version=version)
    for n in range(size * 3):
        current = services.selectors.service_bom_current(tenant=tenant, obj=obj)
        services.service_bom_change(
            tenant=tenant,
            by=by,
            object_id=obj.pk,
            change=services.PartChange(
                action=BomAction.REPLACE, line_id=current[0].pk, quantity=Decimal(n + 1)
            ),
        )
    line = RepairLine.objects.filter(order=order).first()
    parts = reverse("repairs:service_bom", args=[obj.pk])
    return [
        reverse("service_orders:order_detail", args=[order.pk]),
        reverse("repairs:line_detail", args=[line.pk]),
        parts,
        f"{parts}?as_of={datetime.date.today().isoformat()}",
        reverse("customers:object_detail", args=[obj.pk]),
        reverse("repairs:bom_detail", args=[version.pk]),
    ]


def test_pages_run_a_constant_number_of_queries(
    tenant_a, manager_a, client_for, django_assert_max_num_queries
):
    codes = Codes(tenant_a)
    client = client_for(manager_a)
    small, large = _pages(tenant_a, manager_a, codes, 1), _pages(tenant_a, manager_a, codes, 8)
    client.get(small[0])  # the session's first request
    for few, many in zip(small, large, strict=True):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(few).status_code == 200
        with django_assert_max_num_queries(len(queries)):
            assert client.get(many).status_code == 200


def test_the_order_page_lists_each_object_with_its_repairs_on_this_order(
    tenant_a, manager_a, manager_b, client_for
):
    """The repairs panel (one query): every object of the order by number, each with the order's
    repair lines on it oldest first (stage, symptom → resolution, link), an object without one
    says so; a repair of the same object on another order is not listed."""
    codes = Codes(tenant_a)
    order, boiler = order_with_object(tenant_a)
    boiler.number, boiler.name = "OBJ-2", "Boiler in the cellar"
    boiler.save()
    pump = ServiceObjectFactory(
        tenant=tenant_a, customer=order.customer, number="OBJ-1", name="Pump <A&B>"
    )
    ServiceOrderObjectFactory(tenant=tenant_a, order=order, service_object=pump)
    first = services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=order.pk,
        service_object=boiler,
        data={"title": "No heating", "symptom_code": codes.no_power, "resolution": codes.reset},
        stage=codes.done,
    )
    second = services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=order.pk,
        service_object=boiler,
        data={"title": "Noisy burner"},
        stage=None,
    )
    other_order, _ = order_with_object(tenant_a)
    ServiceOrderObjectFactory(tenant=tenant_a, order=other_order, service_object=boiler)
    services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=other_order.pk,
        service_object=boiler,
        data={"title": "Repaired on another order"},
        stage=None,
    )

    page = client_for(manager_a).get(reverse("service_orders:order_detail", args=[order.pk]))

    html = page.content.decode()
    panel = html[html.index('data-testid="order-repairs"') :]
    assert panel.index("Pump &lt;A&amp;B&gt;") < panel.index("Boiler in the cellar")
    assert panel.index("No repair lines for this object yet.") < panel.index("Boiler in")
    assert panel.index("No heating") < panel.index("Noisy burner")
    assert reverse("repairs:line_detail", args=[first.pk]) in panel
    assert reverse("repairs:line_detail", args=[second.pk]) in panel
    assert f"{codes.done.name}</span>" in panel and "No power → Reset" in panel
    assert "text-bg-success" in panel  # the finished one
    assert "Repaired on another order" not in panel
    # Another tenant's order with the same id is a 404, not this panel.
    assert client_for(manager_b).get(page.request["PATH_INFO"]).status_code == 404
