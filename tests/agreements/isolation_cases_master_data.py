"""Isolation cases for the master data pages (see tests/isolation.py)."""

from tests.factories import (
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceTaskFactory,
)


def _customer(tenant) -> dict:
    return {"pk": CustomerFactory(tenant=tenant).pk}


def _site(tenant) -> dict:
    site = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant))
    return {"pk": site.customer_id, "site_pk": site.pk}


def _contact(tenant) -> dict:
    contact = CustomerContactFactory(customer=CustomerFactory(tenant=tenant))
    return {"pk": contact.customer_id, "contact_pk": contact.pk}


def _object(tenant) -> dict:
    return {"pk": ServiceObjectFactory(customer=CustomerFactory(tenant=tenant)).pk}


def _item(tenant) -> dict:
    return {"pk": ItemFactory(tenant=tenant).pk}


def _task(tenant) -> dict:
    return {"pk": ServiceTaskFactory(tenant=tenant).pk}


CASES = {
    "agreements:customer_detail": _customer,
    "agreements:customer_edit": _customer,
    "agreements:customer_delete": _customer,
    "agreements:site_add": _customer,
    "agreements:site_edit": _site,
    "agreements:site_delete": _site,
    "agreements:contact_add": _customer,
    "agreements:contact_edit": _contact,
    "agreements:contact_delete": _contact,
    "agreements:item_detail": _item,
    "agreements:item_edit": _item,
    "agreements:object_group_edit": lambda tenant: {
        "pk": ServiceObjectGroupFactory(tenant=tenant).pk
    },
    "agreements:object_detail": _object,
    "agreements:object_edit": _object,
    "agreements:task_detail": _task,
    "agreements:task_edit": _task,
}
