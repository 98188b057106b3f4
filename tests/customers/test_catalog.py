"""Items, object groups and service tasks: create, edit, lists and bad input beside the field;
and the demo master data."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import demo as customers_demo
from customers import services
from customers.models import Customer, Item, ServiceObject, ServiceObjectGroup, ServiceTask
from tests.factories import (
    CustomerFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceTaskFactory,
)
from web.models import ImportBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(manager_a, client):
    client.force_login(manager_a)
    return client


def _errors(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


def _item_data(**overrides) -> dict:
    data = {
        "number": "BLR-25",
        "name": "Gas boiler 25 kW",
        "unit": "pcs",
        "cost_price": "5200.00",
        "sales_price": "7400.00",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- Items ---------------------------------------------------------------------------------------


def test_manager_creates_an_item_and_sees_its_page(manager, tenant_a):
    response = manager.post(
        reverse("customers:item_create"), _item_data(is_serial_tracked="on"), follow=True
    )
    item = Item.objects.get(tenant=tenant_a)
    assert (item.number, item.sales_price, item.is_serial_tracked) == (
        "BLR-25",
        Decimal("7400.00"),
        True,
    )
    page = response.content.decode()
    assert "Item BLR-25 · Gas boiler 25 kW created." in page
    assert "7400.00 PLN" in page


def test_an_item_left_without_a_number_gets_the_next_free_one(manager, tenant_a):
    ItemFactory(tenant=tenant_a, number="I-000001")  # e.g. imported before
    manager.post(reverse("customers:item_create"), _item_data(number=""))
    assert Item.objects.filter(tenant=tenant_a, number="I-000002").exists()


def test_a_duplicate_item_number_is_refused_beside_the_number(manager, tenant_a, tenant_b):
    ItemFactory(tenant=tenant_a, number="BLR-25")
    ItemFactory(tenant=tenant_b, number="HP-12")
    response = manager.post(reverse("customers:item_create"), _item_data(number="blr-25"))
    assert _errors(response, "number") == "An item with this number already exists."
    assert Item.objects.filter(tenant=tenant_a).count() == 1
    assert (
        manager.post(reverse("customers:item_create"), _item_data(number="HP-12")).status_code
        == 302
    )


@pytest.mark.parametrize("field", ["cost_price", "sales_price"])
def test_a_negative_price_is_refused_beside_the_field(manager, tenant_a, field):
    response = manager.post(reverse("customers:item_create"), _item_data(**{field: "-0.01"}))
    assert response.status_code == 200
    assert _errors(response, field) == "The price cannot be negative."
    assert f'data-field="{field}"' in response.content.decode()
    assert not Item.objects.filter(tenant=tenant_a).exists()


def test_the_service_refuses_a_negative_price_too(tenant_a):
    item = ItemFactory(tenant=tenant_a)
    with pytest.raises(ValidationError) as refused:
        services.item_update(
            tenant=tenant_a,
            by=None,
            item_id=item.pk,
            data={"sales_price": Decimal("-1"), "cost_price": Decimal("1")},
        )
    assert refused.value.message_dict == {"sales_price": ["The price cannot be negative."]}


def test_item_edit_list_and_csv(manager, tenant_a, tenant_b):
    item = ItemFactory(tenant=tenant_a, number="FLT-G4", name="Filter")
    ItemFactory(tenant=tenant_a, number="OLD-1", name="Discontinued", is_active=False)
    ItemFactory(tenant=tenant_b, number="ALIEN", name="Foreign")
    response = manager.post(
        reverse("customers:item_edit", args=[item.pk]),
        _item_data(number="FLT-G4", name="Filter G4", sales_price="80.00"),
    )
    assert response.url == reverse("customers:item_detail", args=[item.pk])
    url = reverse("customers:item_list")
    rows = manager.get(url, {"status": "active"}).context["rows"]
    assert [row.number for row in rows] == ["FLT-G4"]
    assert [row.number for row in manager.get(url, {"q": "disc"}).context["rows"]] == ["OLD-1"]
    csv = manager.get(url, {"format": "csv", "sort": "-sales_price"}).content.decode()
    assert "FLT-G4,Filter G4,pcs,False,5200.00,80.00,True" in csv
    assert "ALIEN" not in csv


def test_item_page_lists_its_objects(manager, tenant_a):
    item = ItemFactory(tenant=tenant_a)
    obj = ServiceObjectFactory(
        customer=CustomerFactory(tenant=tenant_a), item=item, serial_number="SN-77"
    )
    page = manager.get(reverse("customers:item_detail", args=[item.pk])).content.decode()
    assert obj.number in page and "SN-77" in page


# --- Object groups -------------------------------------------------------------------------------


def test_object_groups_create_edit_and_duplicate_code(manager, tenant_a):
    response = manager.post(
        reverse("customers:object_group_create"), {"code": "HEAT", "name": "Heating"}
    )
    assert response.url == reverse("customers:object_group_list")
    group = ServiceObjectGroup.objects.get(tenant=tenant_a, code="HEAT")
    duplicate = manager.post(
        reverse("customers:object_group_create"), {"code": "heat", "name": "Again"}
    )
    assert "already exists" in _errors(duplicate, "code")
    manager.post(
        reverse("customers:object_group_edit", args=[group.pk]),
        {"code": "HEAT", "name": "Heating systems"},
    )
    group.refresh_from_db()
    assert group.name == "Heating systems"
    ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a), group=group)
    rows = manager.get(reverse("customers:object_group_list")).context["rows"]
    assert [(row.code, row.object_count) for row in rows] == [("HEAT", 1)]


# --- Service tasks -------------------------------------------------------------------------------


def _task_data(**overrides) -> dict:
    data = {
        "code": "BOIL-INSP",
        "name": "Annual boiler inspection",
        "default_duration_minutes": "90",
        "required_skill": "gas",
        "checklist": "Check pressure\n\n  Clean exchanger  \nMeasure flue gas",
        "customer_note": "Please give access to the boiler room.",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_task_and_sees_its_checklist(manager, tenant_a):
    response = manager.post(reverse("customers:task_create"), _task_data(), follow=True)
    task = ServiceTask.objects.get(tenant=tenant_a)
    assert task.default_duration_minutes == 90
    checklist = response.content.decode().split('data-testid="checklist"')[1].split("</ol>")[0]
    assert checklist.count("<li>") == 3 and "<li>Clean exchanger</li>" in checklist
    assert "Please give access to the boiler room." in response.content.decode()


@pytest.mark.parametrize("minutes", ["0", "-5"])
def test_a_task_shorter_than_a_minute_is_refused(manager, tenant_a, minutes):
    response = manager.post(
        reverse("customers:task_create"), _task_data(default_duration_minutes=minutes)
    )
    assert (
        _errors(response, "default_duration_minutes") == "The duration must be at least 1 minute."
    )
    assert not ServiceTask.objects.filter(tenant=tenant_a).exists()


def test_a_duplicate_task_code_is_refused_and_edit_works(manager, tenant_a):
    task = ServiceTaskFactory(tenant=tenant_a, code="BOIL-INSP")
    response = manager.post(reverse("customers:task_create"), _task_data())
    assert _errors(response, "code") == "A service task with this code already exists."
    response = manager.post(
        reverse("customers:task_edit", args=[task.pk]),
        _task_data(name="Boiler inspection", default_duration_minutes="120"),
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.name, task.default_duration_minutes) == ("Boiler inspection", 120)


def test_task_list_filters_and_exports(manager, tenant_a):
    ServiceTaskFactory(tenant=tenant_a, code="A1", name="Filter change", required_skill="hvac")
    ServiceTaskFactory(tenant=tenant_a, code="B2", name="Leak test", required_skill="f-gas")
    url = reverse("customers:task_list")
    assert [t.code for t in manager.get(url, {"q": "f-gas"}).context["rows"]] == ["B2"]
    assert [t.code for t in manager.get(url, {"sort": "-code"}).context["rows"]] == ["B2", "A1"]
    assert "A1,Filter change,60,hvac,True" in manager.get(url, {"format": "csv"}).content.decode()


# --- Demo data -----------------------------------------------------------------------------------


def test_demo_master_data_is_complete_and_idempotent(tenant_a, tenant_b):
    tenant_b.country = "BR"
    tenant_b.save()
    for _ in range(2):
        customers_demo.seed(tenant=tenant_a, people={})
        customers_demo.seed(tenant=tenant_b, people={})
    for tenant in (tenant_a, tenant_b):
        assert Customer.objects.filter(tenant=tenant, number__startswith="C-").count() == 6
        # Two more came in through a data import and kept their numbers from the old system.
        imported = Customer.objects.filter(tenant=tenant).exclude(number__startswith="C-")
        assert sorted(imported.values_list("number", flat=True)) == sorted(
            number for number, *_ in customers_demo.IMPORTED[tenant.country or "PL"][1]
        )
        assert ImportBatch.objects.filter(tenant=tenant, state=ImportBatch.DONE).count() == 1
        assert ServiceObject.objects.filter(tenant=tenant).count() == 15
        assert ServiceTask.objects.filter(tenant=tenant).exclude(checklist="").count() == 6
        assert ServiceObjectGroup.objects.filter(tenant=tenant).count() == 3
    burner = ServiceObject.objects.get(tenant=tenant_a, number="OBJ-000002")
    assert burner.parent.number == "OBJ-000001" and burner.serial_number
    assert Customer.objects.get(tenant=tenant_a, number="C-000001").name.startswith("Hotel Wawel")
    assert Customer.objects.get(tenant=tenant_b, number="C-000002").name == "Hospital São Lucas"
    # The sequences continue after the demo numbers.
    created = services.customer_create(tenant=tenant_a, by=None, data={"name": "New"})
    assert created.number == "C-000007"
