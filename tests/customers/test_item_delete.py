"""Deleting an item: refused, with where it is used in words, while service objects, BOMs, service
BOMs or repair lines refer to it (customers' own check and the usage check repairs registers);
deleted when nothing does; another tenant's item is a 404."""

import pytest
from django.urls import reverse

from customers.models import Item
from tenancy.models import AuditEvent
from tests.factories import (
    AgreementLineFactory,
    ItemFactory,
    ServiceObjectFactory,
)
from tests.factories.repairs import (
    BomHistoryFactory,
    BomLineFactory,
    BomVersionFactory,
    RepairLineFactory,
    ServiceBomLineFactory,
)
from web.registry import usage_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager(client_for, manager_a):
    return client_for(manager_a)


def _url(item) -> str:
    return reverse("customers:item_delete", args=[item.pk])


def _bom_part(item):
    # A part of two versions of one boiler's BOM and of one version of a pump's.
    boiler = ItemFactory(tenant=item.tenant, number="B-200", name="Boiler X200")
    pump = ItemFactory(tenant=item.tenant, number="P-100", name="Pump P1")
    for version in (
        BomVersionFactory(tenant=item.tenant, item=boiler),
        BomVersionFactory(tenant=item.tenant, item=boiler),
        BomVersionFactory(tenant=item.tenant, item=pump),
    ):
        BomLineFactory(version=version, item=item)


USES = {
    "service object": (
        lambda item: ServiceObjectFactory(customer__tenant=item.tenant, item=item),
        "Used by 1 service object.",
    ),
    "own BOM": (
        lambda item: [BomVersionFactory(tenant=item.tenant, item=item) for _ in range(2)],
        "This item has 2 BOM versions.",
    ),
    "BOM part": (
        _bom_part,
        "Used in 3 BOM versions of B-200 · Boiler X200, P-100 · Pump P1.",
    ),
    "service BOM and its history": (
        lambda item: BomHistoryFactory(
            new_line=ServiceBomLineFactory(service_object__customer__tenant=item.tenant, item=item)
        ),
        "Recorded in the service BOM of 1 service object.",
    ),
    "repair line": (
        lambda item: RepairLineFactory(order__customer__tenant=item.tenant, item=item),
        "Used in 1 repair line.",
    ),
}


@pytest.mark.parametrize(("make_use", "sentence"), USES.values(), ids=USES.keys())
def test_an_item_in_use_is_not_deleted_and_the_page_says_where(
    manager, tenant_a, make_use, sentence
):
    item = ItemFactory(tenant=tenant_a)
    make_use(item)
    # Asked first: where it is used, above the confirmation, and no Delete button.
    asked = manager.get(_url(item))
    assert asked.status_code == 200
    assert asked.context["confirmation"].refusal == sentence
    assert 'data-testid="refusal"' in asked.content.decode()
    assert 'data-testid="confirm"' not in asked.content.decode()
    # Confirmed all the same (an old page, a second tab): refused with the same words, 409.
    refused = manager.post(_url(item), {"confirmed": "1"})
    assert refused.status_code == 409
    assert refused.context["confirmation"].refusal == sentence
    assert Item.objects.filter(pk=item.pk).exists()
    assert not AuditEvent.objects.filter(tenant=tenant_a, action="item.delete").exists()


def test_every_use_is_named_in_one_message(manager, tenant_a):
    item = ItemFactory(tenant=tenant_a)
    for make_use, _sentence in USES.values():
        make_use(item)
    refused = manager.post(_url(item), {"confirmed": "1"}, **HTMX)  # in the dialog
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "<html" not in page
    for _make_use, sentence in USES.values():
        assert sentence in page
    assert Item.objects.filter(pk=item.pk).exists()


def test_the_bom_sentence_names_three_items_then_counts_on(tenant_a):
    part = ItemFactory(tenant=tenant_a)
    for number in ("A-4", "A-2", "A-3", "A-1"):
        unit = ItemFactory(tenant=tenant_a, number=number, name="Unit")
        version = BomVersionFactory(tenant=tenant_a, item=unit)
        BomLineFactory(version=version, item=part)
    assert usage_of(tenant_a, part) == [
        "Used in 4 BOM versions of A-1 · Unit, A-2 · Unit, A-3 · Unit, …."
    ]


def test_the_repairs_check_is_one_query_and_sees_only_the_tenant(
    tenant_a, tenant_b, django_assert_num_queries
):
    item = ItemFactory(tenant=tenant_a)
    BomVersionFactory(tenant=tenant_a, item=item)
    other = ItemFactory(tenant=tenant_b)
    with django_assert_num_queries(1) as captured:
        assert usage_of(tenant_a, item) == ["This item has 1 BOM version."]
    sql = captured.captured_queries[0]["sql"]
    assert sql.count(f"tenant_id = {tenant_a.pk}") >= 5  # every table it reads
    with django_assert_num_queries(1):
        assert usage_of(tenant_b, other) == []


def test_an_unused_item_is_deleted(manager, tenant_a):
    item = ItemFactory(tenant=tenant_a, name="Old valve")
    asked = manager.get(_url(item))
    assert asked.context["confirmation"].refusal == ""
    assert 'data-testid="confirm"' in asked.content.decode()
    assert manager.post(_url(item)).status_code == 200  # skipped the confirmation: nothing done
    assert Item.objects.filter(pk=item.pk).exists()
    response = manager.post(_url(item), {"confirmed": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:item_list")
    assert f"Item {item} deleted." in response.content.decode()
    assert not Item.objects.filter(pk=item.pk).exists()
    event = AuditEvent.objects.get(tenant=tenant_a, action="item.delete")
    assert event.params["record"] == str(item)


def test_a_use_no_check_knows_is_still_refused_in_words(manager, tenant_a):
    # Agreement lines register no usage check: the database's refusal becomes the sentence.
    item = ItemFactory(tenant=tenant_a)
    AgreementLineFactory(agreement__customer__tenant=tenant_a, kind="item", item=item)
    assert manager.get(_url(item)).context["confirmation"].refusal == ""
    refused = manager.post(_url(item), {"confirmed": "1"})
    assert refused.status_code == 409
    assert refused.context["confirmation"].refusal == (
        "This item is still used on agreements, subscriptions, service orders, invoices or "
        "returns and cannot be deleted. Deactivate it instead."
    )
    assert Item.objects.filter(pk=item.pk).exists()
    assert not AuditEvent.objects.filter(tenant=tenant_a, action="item.delete").exists()


def test_another_tenants_item_is_not_found(manager, tenant_b):
    item = ItemFactory(tenant=tenant_b)
    assert manager.get(_url(item)).status_code == 404
    assert manager.post(_url(item), {"confirmed": "1"}).status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()


def test_only_master_data_managers_delete_items(client_for, technician_a, tenant_a):
    item = ItemFactory(tenant=tenant_a)
    assert client_for(technician_a).post(_url(item), {"confirmed": "1"}).status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


def test_the_item_page_offers_delete_to_managers(manager, tenant_a):
    item = ItemFactory(tenant=tenant_a)
    page = manager.get(reverse("customers:item_detail", args=[item.pk])).content.decode()
    assert 'data-testid="delete-item"' in page and _url(item) in page


def test_the_django_admin_shows_its_protected_page(client, django_user_model, tenant_a):
    """The platform admin's Django admin lists what protects the item and deletes nothing."""
    root = django_user_model.objects.create_superuser("root@example.test", "pw-root-123456")
    client.force_login(root)
    item = ItemFactory(tenant=tenant_a)
    BomLineFactory(version=BomVersionFactory(tenant=tenant_a), item=item)
    url = reverse("admin:customers_item_delete", args=[item.pk])
    page = client.get(url).content.decode()
    assert "would require deleting the following protected related objects" in page
    assert "BOM line" in page
    client.post(url, {"post": "yes"})
    assert Item.objects.filter(pk=item.pk).exists()
