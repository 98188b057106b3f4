"""A technician at 375 px records a repair: from the order opens a repair line for the boiler,
picks the symptom and taps the suggested resolution, replaces the circulation pump (the order
gets an item line, the service BOM its history row) and finishes the line."""

import pytest
from playwright.sync_api import expect

from repairs import services
from repairs.models import BomAction, BomHistory, RepairLine, ServiceBomLine
from service_orders.models import LineKind, OrderStage, OrderState, ServiceOrderLine
from tenancy.context import tenant_scope
from tenancy.models import Tenant
from tests.browser.layout import PHONE, assert_no_sideways_scroll
from tests.factories import (
    CustomerFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderObjectFactory,
)
from tests.repairs.helpers import Codes, bom

pytestmark = pytest.mark.browser


@pytest.fixture
def repair(demo):
    tenant = Tenant.objects.get(slug="acme")
    manager, tech = demo["acme"]["manager"], demo["acme"]["tech1"]
    codes = Codes(tenant)
    boiler = ItemFactory(tenant=tenant, number="B-1", name="Boiler X200")
    pump = ItemFactory(tenant=tenant, number="P-200", name="Circulation pump")
    customer = CustomerFactory(tenant=tenant, name="Kowalski Heating")
    obj = ServiceObjectFactory(customer=customer, name="Boiler in the cellar", item=boiler)
    with tenant_scope(tenant):
        bom(tenant, manager, boiler, [(pump, 1)])
        services.service_bom_create(tenant=tenant, by=manager, object_id=obj.pk)
        # An earlier repair of the same symptom on the same model: the suggestion to tap.
        earlier = ServiceOrderFactory(customer=customer, state=OrderState.IN_PROGRESS)
        ServiceOrderObjectFactory(order=earlier, service_object=obj)
        services.repair_line_create(
            tenant=tenant,
            by=manager,
            order_id=earlier.pk,
            service_object=obj,
            data={"title": "Cold", "symptom_code": codes.no_power, "resolution": codes.reset},
            stage=codes.done,
        )
    order = ServiceOrderFactory(
        customer=customer,
        description="Boiler does not start",
        assigned_technician=tech,
        preferred_date=tenant.today(),
        state=OrderState.IN_PROGRESS,
    )
    order.stage = OrderStage.objects.for_tenant(tenant).get(code="work")
    order.save(update_fields=["stage"])
    ServiceOrderObjectFactory(order=order, service_object=obj)
    return {"order": order, "obj": obj, "codes": codes, "pump": pump}


def test_technician_records_a_repair_with_a_part_replacement(repair, sign_in, page, live_server):
    order, obj, codes = repair["order"], repair["obj"], repair["codes"]
    page.set_viewport_size(PHONE)
    sign_in("tech1@acme.test")
    page.goto(f"{live_server.url}/orders/my/{order.pk}/")
    expect(page.get_by_test_id("order-repairs")).to_contain_text("Boiler in the cellar")
    assert_no_sideways_scroll(page)

    page.get_by_test_id("repair-add").click()
    page.fill("input[name=title]", "Boiler does not start")
    page.select_option("select[name=symptom_code]", str(codes.no_power.pk))
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text(codes.reset.name)
    assert_no_sideways_scroll(page)
    suggestion.click()  # one tap applies it
    expect(page.locator("select[name=resolution]")).to_have_value(str(codes.reset.pk))
    page.get_by_test_id("repair-line-save").click()
    expect(page.get_by_test_id("repair-title")).to_have_text("Boiler does not start")
    expect(page.get_by_test_id("repair-resolution")).to_have_text(codes.reset.name)
    assert_no_sideways_scroll(page)

    # The pump is replaced; the order gets the new pump as an item line.
    page.get_by_test_id("change-parts").click()
    page.check("input[name=action][value=replace]")
    old = ServiceBomLine.objects.get(service_object=obj, removed_at__isnull=True)
    page.select_option("select[name=line]", str(old.pk))
    page.fill("input[name=serial_number]", "")
    expect(page.locator("input[name=add_order_line]")).to_be_checked()
    assert_no_sideways_scroll(page)
    page.get_by_test_id("part-change-save").click()
    expect(page.get_by_test_id("bom-history").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("bom-history")).to_contain_text(order.number)
    assert_no_sideways_scroll(page)
    history = BomHistory.objects.get(service_object=obj, action=BomAction.REPLACE)
    assert (history.old_line_id, history.order_id) == (old.pk, order.pk)
    item_line = ServiceOrderLine.objects.get(order=order)
    assert (item_line.kind, item_line.item) == (LineKind.ITEM, repair["pump"])

    # Back on the repair line: finishing stamps the time and closes it.
    line = RepairLine.objects.get(order=order)
    page.goto(f"{live_server.url}/repairs/lines/{line.pk}/")
    page.get_by_test_id(f"stage-{codes.done.code}").click()
    expect(page.get_by_test_id("repair-closed")).to_be_visible()
    expect(page.get_by_test_id("repair-finished")).not_to_have_text("—")
    assert_no_sideways_scroll(page)
    line.refresh_from_db()
    assert line.finished_at is not None and line.resolution == codes.reset
