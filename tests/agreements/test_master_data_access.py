"""Who may open the master data pages: managers write, dispatchers read (403 on writes),
technicians get 403 everywhere; buttons a role may not use are not shown."""

import pytest
from django.urls import reverse

from agreements.models import Customer
from tenancy.roles import Role
from tests.factories import (
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceTaskFactory,
)

pytestmark = pytest.mark.django_db

READERS = {Role.TENANT_ADMIN, Role.SERVICE_MANAGER, Role.DISPATCHER}
WRITERS = {Role.TENANT_ADMIN, Role.SERVICE_MANAGER}


def _records(tenant) -> dict:
    customer = CustomerFactory(tenant=tenant)
    return {
        "customer": customer.pk,
        "site": CustomerSiteFactory(customer=customer).pk,
        "object": ServiceObjectFactory(customer=customer).pk,
        "item": ItemFactory(tenant=tenant).pk,
        "group": ServiceObjectGroupFactory(tenant=tenant).pk,
        "task": ServiceTaskFactory(tenant=tenant).pk,
    }


# url name -> (kwargs from the records, roles that may open it)
PAGES = {
    "agreements:customer_list": (lambda r: {}, READERS),
    "agreements:customer_detail": (lambda r: {"pk": r["customer"]}, READERS),
    "agreements:customer_create": (lambda r: {}, WRITERS),
    "agreements:customer_edit": (lambda r: {"pk": r["customer"]}, WRITERS),
    "agreements:customer_delete": (lambda r: {"pk": r["customer"]}, WRITERS),
    "agreements:site_add": (lambda r: {"pk": r["customer"]}, WRITERS),
    "agreements:site_edit": (lambda r: {"pk": r["customer"], "site_pk": r["site"]}, WRITERS),
    "agreements:contact_add": (lambda r: {"pk": r["customer"]}, WRITERS),
    "agreements:item_list": (lambda r: {}, READERS),
    "agreements:item_detail": (lambda r: {"pk": r["item"]}, READERS),
    "agreements:item_create": (lambda r: {}, WRITERS),
    "agreements:item_edit": (lambda r: {"pk": r["item"]}, WRITERS),
    "agreements:object_group_list": (lambda r: {}, READERS),
    "agreements:object_group_create": (lambda r: {}, WRITERS),
    "agreements:object_group_edit": (lambda r: {"pk": r["group"]}, WRITERS),
    "agreements:object_list": (lambda r: {}, READERS),
    "agreements:object_detail": (lambda r: {"pk": r["object"]}, READERS),
    "agreements:object_create": (lambda r: {}, WRITERS),
    "agreements:object_edit": (lambda r: {"pk": r["object"]}, WRITERS),
    "agreements:task_list": (lambda r: {}, READERS),
    "agreements:task_detail": (lambda r: {"pk": r["task"]}, READERS),
    "agreements:task_create": (lambda r: {}, WRITERS),
    "agreements:task_edit": (lambda r: {"pk": r["task"]}, WRITERS),
}


@pytest.mark.parametrize("role", Role.values)
def test_master_data_pages_by_role(role, tenant_a, make_member, client):
    records = _records(tenant_a)
    client.force_login(make_member(tenant_a, role))
    for url_name, (kwargs, allowed) in PAGES.items():
        response = client.get(reverse(url_name, kwargs=kwargs(records)))
        assert response.status_code == (200 if role in allowed else 403), url_name


def test_a_dispatcher_cannot_create_by_posting(dispatcher_a, tenant_a, client):
    client.force_login(dispatcher_a)
    response = client.post(reverse("agreements:customer_create"), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Customer.objects.filter(tenant=tenant_a).exists()


def test_list_pages_hide_add_buttons_from_dispatchers(dispatcher_a, manager_a, client):
    pages = {
        "agreements:customer_list": "agreements:customer_create",
        "agreements:item_list": "agreements:item_create",
        "agreements:object_list": "agreements:object_create",
        "agreements:task_list": "agreements:task_create",
        "agreements:object_group_list": "agreements:object_group_create",
    }
    for user, shown in ((dispatcher_a, False), (manager_a, True)):
        client.force_login(user)
        for list_name, create_name in pages.items():
            page = client.get(reverse(list_name)).content.decode()
            assert (f'href="{reverse(create_name)}"' in page) is shown, (list_name, shown)
