"""Service objects: numbering, serial numbers unique per item, the tree rules (same customer, no
cycles), sites of the object's customer, the list with filters and CSV, and the detail page with
the object's history."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from customers import services
from customers.models import ServiceObject
from tenancy.context import tenant_scope
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    ServiceTaskFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SERIAL_TAKEN = "This serial number is already registered for this item."


@pytest.fixture
def manager(manager_a, client):
    client.force_login(manager_a)
    return client


@pytest.fixture
def customer(tenant_a):
    return CustomerFactory(tenant=tenant_a, name="Hotel Wawel")


def _errors(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


def _data(customer, **overrides) -> dict:
    data = {"name": "Boiler", "customer": customer.pk, "is_active": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Create and edit -----------------------------------------------------------------------------


def test_manager_creates_an_object_with_a_number_site_item_and_serial(manager, tenant_a, customer):
    site = CustomerSiteFactory(customer=customer)
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=True)
    group = ServiceObjectGroupFactory(tenant=tenant_a)
    response = manager.post(
        reverse("customers:object_create"),
        _data(
            customer,
            site=site.pk,
            item=item.pk,
            serial_number=" VC25-001 ",
            group=group.pk,
            install_date="2024-03-01",
            warranty_end="2029-03-01",
        ),
        follow=True,
    )
    obj = ServiceObject.objects.get(tenant=tenant_a)
    assert obj.number == "OBJ-000001"
    assert (obj.site, obj.item, obj.serial_number, obj.group) == (site, item, "VC25-001", group)
    assert "Service object OBJ-000001 · Boiler created." in response.content.decode()


def test_duplicate_serial_for_the_same_item_is_refused_beside_the_serial(
    manager, tenant_a, customer
):
    item = ItemFactory(tenant=tenant_a)
    ServiceObjectFactory(customer=customer, item=item, serial_number="SN-1")
    response = manager.post(
        reverse("customers:object_create"),
        _data(customer, item=item.pk, serial_number="SN-1"),
    )
    assert response.status_code == 200
    assert _errors(response, "serial_number") == SERIAL_TAKEN
    assert 'data-field="serial_number"' in response.content.decode()
    assert ServiceObject.objects.filter(tenant=tenant_a).count() == 1


def test_the_same_serial_is_fine_for_another_item_or_another_tenant(
    manager, tenant_a, tenant_b, customer
):
    item, other_item = ItemFactory(tenant=tenant_a), ItemFactory(tenant=tenant_a)
    ServiceObjectFactory(customer=customer, item=item, serial_number="SN-1")
    foreign_item = ItemFactory(tenant=tenant_b, number=other_item.number)
    ServiceObjectFactory(
        customer=CustomerFactory(tenant=tenant_b), item=foreign_item, serial_number="SN-1"
    )
    response = manager.post(
        reverse("customers:object_create"),
        _data(customer, item=other_item.pk, serial_number="SN-1"),
    )
    assert response.status_code == 302


def test_a_serial_tracked_item_needs_a_serial(manager, tenant_a, customer):
    item = ItemFactory(tenant=tenant_a, is_serial_tracked=True)
    response = manager.post(reverse("customers:object_create"), _data(customer, item=item.pk))
    assert "serial-tracked" in _errors(response, "serial_number")


def test_editing_an_object_keeps_its_own_serial(manager, tenant_a, customer):
    item = ItemFactory(tenant=tenant_a)
    obj = ServiceObjectFactory(customer=customer, item=item, serial_number="SN-1")
    response = manager.post(
        reverse("customers:object_edit", args=[obj.pk]),
        _data(customer, name="Boiler 2", item=item.pk, serial_number="SN-1"),
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.name == "Boiler 2"


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_serial_ends_in_the_same_message(tenant_a):
    """Two requests both pass the check before either commits: the database's unique index
    decides, and the loser gets the message beside the field instead of a server error."""
    customer = CustomerFactory(tenant=tenant_a)
    item = ItemFactory(tenant=tenant_a)
    data = {"name": "Boiler", "customer": customer, "item": item, "serial_number": "SN-RACE"}
    first_inserted, second_started = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with tenant_scope(tenant_a):
                services.service_object_create(tenant=tenant_a, by=None, data=data)
                first_inserted.set()
                second_started.wait(5)
                threading.Event().wait(0.5)  # let the second insert queue on the index
        finally:
            connection.close()

    def second():
        first_inserted.wait(5)
        try:
            with tenant_scope(tenant_a):
                second_started.set()
                services.service_object_create(tenant=tenant_a, by=None, data=data)
        except ValidationError as exc:
            outcome["errors"] = exc.message_dict
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome["errors"] == {"serial_number": [SERIAL_TAKEN]}
    assert ServiceObject.objects.filter(serial_number="SN-RACE").count() == 1


def test_warranty_ending_before_installation_is_refused(manager, tenant_a, customer):
    response = manager.post(
        reverse("customers:object_create"),
        _data(customer, install_date="2024-05-01", warranty_end="2024-04-30"),
    )
    assert "cannot end before" in _errors(response, "warranty_end")
    assert not ServiceObject.objects.filter(tenant=tenant_a).exists()


# --- Tree and customer rules ---------------------------------------------------------------------


def test_a_site_of_another_customer_is_refused(manager, tenant_a, customer):
    other_site = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a))
    response = manager.post(reverse("customers:object_create"), _data(customer, site=other_site.pk))
    assert _errors(response, "site") == "Choose a site of this object's customer."
    assert not ServiceObject.objects.filter(tenant=tenant_a).exists()


def test_a_parent_of_another_customer_is_refused(manager, tenant_a, customer):
    foreign_parent = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    response = manager.post(
        reverse("customers:object_create"), _data(customer, parent=foreign_parent.pk)
    )
    assert "same customer" in _errors(response, "parent")
    assert ServiceObject.objects.filter(tenant=tenant_a).count() == 1


def test_an_object_cannot_become_a_part_of_its_own_part(manager, customer):
    boiler = ServiceObjectFactory(customer=customer, name="Boiler")
    burner = ServiceObjectFactory(customer=customer, name="Burner", parent=boiler)
    nozzle = ServiceObjectFactory(customer=customer, name="Nozzle", parent=burner)
    url = reverse("customers:object_edit", args=[boiler.pk])

    choices = manager.get(url).context["form"].fields["parent"].queryset
    assert list(choices) == []  # itself and its parts are never offered

    for parent in (boiler, nozzle):
        response = manager.post(url, _data(customer, parent=parent.pk))
        assert "not this object or one of its parts" in _errors(response, "parent")
    boiler.refresh_from_db()
    assert boiler.parent is None


def test_the_service_refuses_cycles_and_foreign_parents_too(tenant_a, customer):
    boiler = ServiceObjectFactory(customer=customer)
    burner = ServiceObjectFactory(customer=customer, parent=boiler)
    data = {"name": "Boiler", "customer": customer, "parent": burner}
    with pytest.raises(ValidationError) as refused:
        services.service_object_update(tenant=tenant_a, by=None, object_id=boiler.pk, data=data)
    assert "part of itself" in refused.value.message_dict["parent"][0]

    stranger = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    with pytest.raises(ValidationError) as refused:
        services.service_object_create(
            tenant=tenant_a, by=None, data={"name": "X", "customer": customer, "parent": stranger}
        )
    assert "same customer" in refused.value.message_dict["parent"][0]


def test_the_service_refuses_another_tenants_records(tenant_a, tenant_b, customer):
    foreign_site = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_b))
    with pytest.raises(ValidationError) as refused:
        services.service_object_create(
            tenant=tenant_a, by=None, data={"name": "X", "customer": customer, "site": foreign_site}
        )
    assert "site" in refused.value.message_dict
    assert not ServiceObject.objects.filter(tenant=tenant_a).exists()


def test_another_tenants_customer_or_site_posted_in_the_form_is_refused(
    manager, tenant_a, tenant_b, customer
):
    foreign_customer = CustomerFactory(tenant=tenant_b)
    foreign_site = CustomerSiteFactory(customer=foreign_customer)
    response = manager.post(
        reverse("customers:object_create"), _data(foreign_customer, site=foreign_site.pk)
    )
    assert response.status_code == 200
    assert _errors(response, "customer") == "Choose a customer from the list."
    assert _errors(response, "site")
    response = manager.post(
        reverse("customers:object_create"), _data(customer, site=foreign_site.pk)
    )
    assert _errors(response, "site") == "Choose a site of this object's customer."
    assert not ServiceObject.objects.exists()


def test_an_object_with_parts_keeps_its_customer(manager, tenant_a, customer):
    boiler = ServiceObjectFactory(customer=customer)
    ServiceObjectFactory(customer=customer, parent=boiler)
    other = CustomerFactory(tenant=tenant_a)
    response = manager.post(
        reverse("customers:object_edit", args=[boiler.pk]), _data(other, name="Boiler")
    )
    assert "has parts" in _errors(response, "customer")
    boiler.refresh_from_db()
    assert boiler.customer == customer


def test_choosing_a_customer_offers_only_its_sites_and_objects(manager, tenant_a, customer):
    own_site = CustomerSiteFactory(customer=customer, name="Own site")
    CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a), name="Stranger site")
    own_object = ServiceObjectFactory(customer=customer, name="Own boiler")
    response = manager.get(reverse("customers:object_create"), {"customer": customer.pk}, **HTMX)
    form = response.context["form"]
    assert list(form.fields["site"].queryset) == [own_site]
    assert list(form.fields["parent"].queryset) == [own_object]
    html = response.content.decode()
    assert 'id="object-customer-fields"' in html and "Stranger site" not in html


# --- List ----------------------------------------------------------------------------------------


def test_object_list_filters_sorts_and_exports(manager, tenant_a, tenant_b, customer):
    other = CustomerFactory(tenant=tenant_a, name="Bakery")
    heating = ServiceObjectGroupFactory(tenant=tenant_a, name="Heating")
    boiler_model = ItemFactory(tenant=tenant_a, number="BLR-25")
    ServiceObjectFactory(
        customer=customer,
        number="OBJ-1",
        name="Boiler",
        item=boiler_model,
        serial_number="VC-123",
        group=heating,
    )
    ServiceObjectFactory(customer=customer, number="OBJ-2", name="Air conditioner")
    ServiceObjectFactory(customer=other, number="OBJ-3", name="Cold room", is_active=False)
    ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_b), number="OBJ-9", name="Alien")
    url = reverse("customers:object_list")

    def numbers(params):
        return [obj.number for obj in manager.get(url, params).context["rows"]]

    assert numbers({}) == ["OBJ-1", "OBJ-2", "OBJ-3"]
    assert numbers({"customer": customer.pk}) == ["OBJ-1", "OBJ-2"]
    assert numbers({"group": heating.pk}) == ["OBJ-1"]
    assert numbers({"item": boiler_model.pk}) == ["OBJ-1"]
    assert numbers({"q": "vc-12"}) == ["OBJ-1"]
    assert numbers({"status": "inactive"}) == ["OBJ-3"]
    assert numbers({"sort": "customer.name"})[0] == "OBJ-3"  # Bakery before Hotel Wawel
    assert numbers({"sort": "-customer.name"})[-1] == "OBJ-3"

    csv = manager.get(url, {"format": "csv", "customer": customer.pk}).content.decode()
    assert "OBJ-1,Boiler,Hotel Wawel,BLR-25,VC-123,Heating" in csv
    assert "Cold room" not in csv and "Alien" not in csv


def test_the_object_lists_empty_filters_say_they_show_all(manager):
    html = manager.get(reverse("customers:object_list")).content.decode()
    for name, label in (
        ("customer", "All customers"),
        ("group", "All groups"),
        ("item", "All items"),
    ):
        select = html.split(f'name="{name}"')[1].split("</select>")[0]
        assert f'<option value="" selected>{label}</option>' in select, name
    assert "Select an option" not in html


def test_object_list_runs_a_constant_number_of_queries(
    manager, tenant_a, customer, django_assert_max_num_queries
):
    item = ItemFactory(tenant=tenant_a)
    group = ServiceObjectGroupFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer)
    parent = ServiceObjectFactory(customer=customer)
    for index in range(35):
        ServiceObjectFactory(
            customer=CustomerFactory(tenant=tenant_a) if index % 3 else customer,
            item=item,
            serial_number=f"SN-{index}",
            group=group,
            site=site if index % 3 == 0 else None,
            parent=parent if index % 3 == 0 else None,
        )
    with django_assert_max_num_queries(14):
        response = manager.get(reverse("customers:object_list"))
    assert len(response.context["rows"]) == 25


# --- Detail --------------------------------------------------------------------------------------


def test_object_page_shows_its_tree_agreements_and_orders(manager, tenant_a, customer):
    boiler = ServiceObjectFactory(customer=customer, number="OBJ-1", name="Boiler")
    burner = ServiceObjectFactory(customer=customer, number="OBJ-2", name="Burner", parent=boiler)
    ServiceObjectFactory(customer=customer, number="OBJ-3", name="Nozzle", parent=burner)
    ServiceObjectFactory(customer=customer, number="OBJ-4", name="Unrelated")
    agreement = AgreementFactory(customer=customer, number="AG-7", description="Boiler care")
    AgreementObjectFactory(agreement=agreement, service_object=burner)
    task = ServiceTaskFactory(tenant=tenant_a, name="Burner cleaning")
    AgreementLineFactory(agreement=agreement, service_object=burner, task=task)
    order = ServiceOrderFactory(customer=customer, number="SO-42", agreement=agreement)
    ServiceOrderLineFactory(
        order=order, service_object=burner, task=task, calculated_date=datetime.date(2026, 5, 4)
    )

    page = manager.get(reverse("customers:object_detail", args=[burner.pk])).content.decode()

    breadcrumb = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert "Hotel Wawel" in breadcrumb and "OBJ-1" in breadcrumb
    tree = page.split('data-testid="object-tree"')[1].split("</ul>")[0]
    assert "Burner" in tree and "Nozzle" in tree and "Unrelated" not in tree
    covered = page.split('data-testid="object-agreements"')[1].split("</table>")[0]
    assert "AG-7" in covered and "Boiler care" in covered
    lines = page.split('data-testid="object-agreement-lines"')[1].split("</table>")[0]
    assert "AG-7" in lines and "Burner cleaning" in lines
    orders = page.split('data-testid="object-order-lines"')[1].split("</table>")[0]
    assert "SO-42" in orders and reverse("service_orders:order_detail", args=[order.pk]) in orders


def test_object_page_runs_a_constant_number_of_queries(
    manager, tenant_a, customer, django_assert_max_num_queries
):
    parent = None
    objects = []
    for _ in range(12):
        parent = ServiceObjectFactory(customer=customer, parent=parent)
        objects.append(parent)
    middle = objects[5]
    task = ServiceTaskFactory(tenant=tenant_a)
    for _ in range(32):
        agreement = AgreementFactory(customer=customer)
        AgreementObjectFactory(agreement=agreement, service_object=middle)
        AgreementLineFactory(agreement=agreement, service_object=middle, task=task)
        order = ServiceOrderFactory(customer=customer, agreement=agreement)
        ServiceOrderLineFactory(order=order, service_object=middle, task=task)
    # One query per panel (the repairs panel made it 15), none per row.
    with django_assert_max_num_queries(15):
        response = manager.get(reverse("customers:object_detail", args=[middle.pk]))
    assert len(response.context["ancestors"]) == 5
    assert len(response.context["subtree"]) == 7
    assert len(response.context["order_lines"]) == 32
