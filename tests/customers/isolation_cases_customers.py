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
    "customers:customer_detail": _customer,
    "customers:customer_edit": _customer,
    "customers:customer_delete": _customer,
    "customers:site_add": _customer,
    "customers:site_edit": _site,
    "customers:site_delete": _site,
    "customers:site_restore": _site,
    "customers:contact_add": _customer,
    "customers:contact_edit": _contact,
    "customers:contact_delete": _contact,
    "customers:contact_restore": _contact,
    "customers:item_detail": _item,
    "customers:item_edit": _item,
    "customers:item_delete": _item,
    "customers:object_group_edit": lambda tenant: {
        "pk": ServiceObjectGroupFactory(tenant=tenant).pk
    },
    "customers:object_detail": _object,
    "customers:object_edit": _object,
    "customers:task_detail": _task,
    "customers:task_edit": _task,
}
