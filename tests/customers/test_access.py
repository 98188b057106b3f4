"""Who may open the master data pages: managers write, dispatchers read (403 on writes),
technicians get 403 everywhere; buttons a role may not use are not shown."""

import pytest
from django.urls import reverse

from customers.models import Customer
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
    "customers:customer_list": (lambda r: {}, READERS),
    "customers:customer_detail": (lambda r: {"pk": r["customer"]}, READERS),
    "customers:customer_create": (lambda r: {}, WRITERS),
    "customers:customer_edit": (lambda r: {"pk": r["customer"]}, WRITERS),
    "customers:customer_delete": (lambda r: {"pk": r["customer"]}, WRITERS),
    "customers:site_add": (lambda r: {"pk": r["customer"]}, WRITERS),
    "customers:site_edit": (lambda r: {"pk": r["customer"], "site_pk": r["site"]}, WRITERS),
    "customers:contact_add": (lambda r: {"pk": r["customer"]}, WRITERS),
    "customers:item_list": (lambda r: {}, READERS),
    "customers:item_detail": (lambda r: {"pk": r["item"]}, READERS),
    "customers:item_create": (lambda r: {}, WRITERS),
    "customers:item_edit": (lambda r: {"pk": r["item"]}, WRITERS),
    "customers:object_group_list": (lambda r: {}, READERS),
    "customers:object_group_create": (lambda r: {}, WRITERS),
    "customers:object_group_edit": (lambda r: {"pk": r["group"]}, WRITERS),
    "customers:object_list": (lambda r: {}, READERS),
    "customers:object_detail": (lambda r: {"pk": r["object"]}, READERS),
    "customers:object_create": (lambda r: {}, WRITERS),
    "customers:object_edit": (lambda r: {"pk": r["object"]}, WRITERS),
    "customers:task_list": (lambda r: {}, READERS),
    "customers:task_detail": (lambda r: {"pk": r["task"]}, READERS),
    "customers:task_create": (lambda r: {}, WRITERS),
    "customers:task_edit": (lambda r: {"pk": r["task"]}, WRITERS),
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
    response = client.post(reverse("customers:customer_create"), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Customer.objects.filter(tenant=tenant_a).exists()


def test_list_pages_hide_add_buttons_from_dispatchers(dispatcher_a, manager_a, client):
    pages = {
        "customers:customer_list": "customers:customer_create",
        "customers:item_list": "customers:item_create",
        "customers:object_list": "customers:object_create",
        "customers:task_list": "customers:task_create",
        "customers:object_group_list": "customers:object_group_create",
    }
    for user, shown in ((dispatcher_a, False), (manager_a, True)):
        client.force_login(user)
        for list_name, create_name in pages.items():
            page = client.get(reverse(list_name)).content.decode()
            assert (f'href="{reverse(create_name)}"' in page) is shown, (list_name, shown)
