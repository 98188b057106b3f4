"""Repair lines: code-area consistency (service and form), the object of the order, finished
stamping and closing, and the resolution suggestions kept in their aggregate."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from repairs import selectors, services
from repairs.forms import RepairLineForm
from repairs.models import RepairLine, ResolutionStat
from service_orders.models import OrderState
from tests.factories import ServiceObjectFactory

from .helpers import Codes, order_with_object

pytestmark = pytest.mark.django_db


def _create(tenant, by, order, obj, **data):
    return services.repair_line_create(
        tenant=tenant,
        by=by,
        order_id=order.pk,
        service_object=obj,
        data={"title": "Boiler does not start", **data},
    )


def test_a_diagnosis_code_of_another_area_is_refused_by_the_service(tenant_a, manager_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    with pytest.raises(ValidationError) as refused:
        _create(
            tenant_a, manager_a, order, obj, diagnosis_area=codes.pump, diagnosis_code=codes.fuse
        )
    assert "diagnosis_code" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _create(
            tenant_a,
            manager_a,
            order,
            obj,
            symptom_area=codes.hydraulic,
            symptom_code=codes.no_power,
        )
    assert "symptom_code" in refused.value.message_dict
    assert not RepairLine.objects.filter(tenant=tenant_a).exists()


def test_a_code_without_its_area_takes_its_own_area(tenant_a, manager_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    line = _create(tenant_a, manager_a, order, obj, symptom_code=codes.leak)
    assert line.symptom_area == codes.hydraulic
    assert line.stage == codes.diagnosis  # the first open stage
    assert line.item_id == obj.item_id


def test_the_form_puts_the_area_message_beside_the_code(tenant_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    form = RepairLineForm(
        {
            "service_object": str(obj.pk),
            "title": "Leak",
            "diagnosis_area": str(codes.board.pk),
            "diagnosis_code": str(codes.seal.pk),
        },
        tenant=tenant_a,
        objects=[obj],
    )
    assert not form.is_valid()
    assert list(form.errors) == ["diagnosis_code"]


def test_a_repair_line_for_an_object_not_on_the_order_is_refused(tenant_a, manager_a):
    Codes(tenant_a)
    order, _obj = order_with_object(tenant_a)
    stranger = ServiceObjectFactory(tenant=tenant_a, customer=order.customer)
    with pytest.raises(ValidationError) as refused:
        _create(tenant_a, manager_a, order, stranger)
    assert "service_object" in refused.value.message_dict
    assert not RepairLine.objects.filter(tenant=tenant_a).exists()


def test_a_closed_order_takes_no_repair_line(tenant_a, manager_a):
    Codes(tenant_a)
    order, obj = order_with_object(tenant_a, state=OrderState.POSTED)
    with pytest.raises(ValidationError):
        _create(tenant_a, manager_a, order, obj)


def test_a_finished_stage_stamps_the_time_and_closes_the_line(tenant_a, manager_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    line = _create(tenant_a, manager_a, order, obj)
    line = services.repair_line_move(
        tenant=tenant_a, by=manager_a, line_id=line.pk, stage=codes.waiting
    )
    assert line.finished_at is None
    before = timezone.now()
    line = services.repair_line_move(
        tenant=tenant_a, by=manager_a, line_id=line.pk, stage=codes.done
    )
    line.refresh_from_db()
    assert before <= line.finished_at <= timezone.now()
    with pytest.raises(services.StateConflict):
        services.repair_line_move(
            tenant=tenant_a, by=manager_a, line_id=line.pk, stage=codes.diagnosis
        )
    with pytest.raises(services.StateConflict):
        services.repair_line_update(
            tenant=tenant_a, by=manager_a, line_id=line.pk, data={"title": "changed"}
        )


def test_finished_lines_feed_the_suggestions_most_frequent_first(tenant_a, manager_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    other_item_order, other_obj = order_with_object(tenant_a)
    for resolution, times in ((codes.replace_fuse, 1), (codes.reset, 3), (codes.replace_board, 2)):
        for _ in range(times):
            _create(
                tenant_a,
                manager_a,
                order,
                obj,
                symptom_code=codes.no_power,
                resolution=resolution,
            )
    # Open lines do not count yet; another item's fixes never show.
    assert (
        selectors.suggestions(
            tenant=tenant_a, item_id=obj.item_id, symptom_code_id=codes.no_power.pk
        )
        == []
    )
    for line in RepairLine.objects.filter(tenant=tenant_a):
        services.repair_line_move(tenant=tenant_a, by=manager_a, line_id=line.pk, stage=codes.done)
    services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=other_item_order.pk,
        service_object=other_obj,
        data={"title": "Fuse", "symptom_code": codes.no_power, "resolution": codes.replace_fuse},
        stage=codes.done,
    )
    shown = selectors.suggestions(
        tenant=tenant_a, item_id=obj.item_id, symptom_code_id=codes.no_power.pk
    )
    expected = sorted(
        (
            (r, RepairLine.objects.filter(tenant=tenant_a, item=obj.item, resolution=r).count())
            for r in (codes.replace_fuse, codes.reset, codes.replace_board)
        ),
        key=lambda pair: -pair[1],
    )
    assert [(s.resolution, s.count) for s in shown] == expected
    assert ResolutionStat.objects.filter(tenant=tenant_a).count() == 4  # 3 + the other item's


def test_a_line_recorded_finished_counts_at_once(tenant_a, manager_a):
    codes = Codes(tenant_a)
    order, obj = order_with_object(tenant_a)
    services.repair_line_create(
        tenant=tenant_a,
        by=manager_a,
        order_id=order.pk,
        service_object=obj,
        data={"title": "Fuse", "symptom_code": codes.no_power, "resolution": codes.replace_fuse},
        stage=codes.done,
        at=timezone.now() - datetime.timedelta(days=3),
    )
    (stat,) = selectors.suggestions(
        tenant=tenant_a, item_id=obj.item_id, symptom_code_id=codes.no_power.pk
    )
    assert (stat.resolution, stat.count) == (codes.replace_fuse, 1)
