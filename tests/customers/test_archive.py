"""A site or contact that service orders (or, for a site, service objects) refer to is archived
instead of deleted: the orders keep showing it, pickers no longer offer it, and it can be
restored. One nobody refers to is deleted. Every step is in the activity log."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services
from customers.forms import ServiceObjectForm
from customers.models import CustomerContact, CustomerSite, ServiceObject
from service_orders.services import orders
from tenancy.models import AuditEvent
from tests.factories import (
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
)
from web.registry import usage_of

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "True"}


@pytest.fixture
def customer(tenant_a):
    return CustomerFactory(tenant=tenant_a, name="Hotel Wawel")


@pytest.fixture
def site(customer):
    return CustomerSiteFactory(customer=customer, name="Boiler house", is_default=True)


@pytest.fixture
def contact(customer):
    return CustomerContactFactory(customer=customer, name="Jan Kowalski", is_primary=True)


@pytest.fixture
def order(customer, site, contact):
    return ServiceOrderFactory(customer=customer, site=site, contact=contact)


@pytest.fixture
def manager(client, manager_a):
    client.force_login(manager_a)
    return client


def _actions(tenant) -> list[str]:
    return list(
        AuditEvent.objects.filter(tenant=tenant).order_by("pk").values_list("action", flat=True)
    )


# --- Services ------------------------------------------------------------------------------------


def test_the_usage_registry_knows_orders_refer_to_a_site_and_a_contact(tenant_a, order):
    assert usage_of(tenant_a, order.site) == ["Service orders refer to this site."]
    assert usage_of(tenant_a, order.contact) == ["Service orders refer to this contact."]
    assert usage_of(tenant_a, CustomerSiteFactory(customer=order.customer)) == []


def test_a_site_of_an_order_is_archived_not_deleted(tenant_a, manager_a, customer, site, order):
    outcome = services.site_delete(
        tenant=tenant_a, by=manager_a, customer_id=customer.pk, site_id=site.pk
    )
    assert outcome == services.ARCHIVED
    site.refresh_from_db()
    order.refresh_from_db()
    assert (site.is_archived, site.is_default, site.archived_at is not None) == (True, False, True)
    assert order.site == site and order.service_address == site.one_line
    event = AuditEvent.objects.get(tenant=tenant_a, action="customer_site.archive")
    assert (event.actor, event.target_id, event.params) == (
        manager_a,
        site.pk,
        {"record": str(site)},
    )
    assert event.summary == f"Service site {site} archived"


def test_a_site_of_a_service_object_is_archived_too(tenant_a, manager_a, customer):
    site = CustomerSiteFactory(customer=customer)
    obj = ServiceObjectFactory(customer=customer, site=site)
    services.site_delete(tenant=tenant_a, by=manager_a, customer_id=customer.pk, site_id=site.pk)
    obj.refresh_from_db()
    assert obj.site == site and obj.site.is_archived


def test_a_site_nobody_refers_to_is_deleted(tenant_a, manager_a, customer):
    site = CustomerSiteFactory(customer=customer, name="Old depot")
    outcome = services.site_delete(
        tenant=tenant_a, by=manager_a, customer_id=customer.pk, site_id=site.pk
    )
    assert outcome == services.DELETED
    assert not CustomerSite.objects.filter(pk=site.pk).exists()
    event = AuditEvent.objects.get(tenant=tenant_a, action="customer_site.delete")
    assert (event.target_id, event.summary) == (site.pk, f"Service site {site} deleted")


def test_a_contact_of_an_order_is_archived_and_an_unused_one_deleted(
    tenant_a, manager_a, customer, contact, order
):
    spare = CustomerContactFactory(customer=customer, name="Anna Nowak")
    common = {"tenant": tenant_a, "by": manager_a, "customer_id": customer.pk}
    assert services.contact_delete(**common, contact_id=contact.pk) == services.ARCHIVED
    assert services.contact_delete(**common, contact_id=spare.pk) == services.DELETED
    contact.refresh_from_db()
    assert (contact.is_archived, contact.is_primary) == (True, False)
    assert not CustomerContact.objects.filter(pk=spare.pk).exists()
    order.refresh_from_db()
    assert order.contact == contact
    assert _actions(tenant_a) == ["customer_contact.archive", "customer_contact.delete"]


def test_removing_an_archived_site_again_changes_nothing(
    tenant_a, manager_a, customer, site, order
):
    common = {"tenant": tenant_a, "by": manager_a, "customer_id": customer.pk, "site_id": site.pk}
    services.site_delete(**common)
    assert services.site_delete(**common) == services.ARCHIVED
    assert _actions(tenant_a) == ["customer_site.archive"]


def test_restoring_offers_the_site_again(tenant_a, manager_a, customer, site, order):
    common = {"tenant": tenant_a, "by": manager_a, "customer_id": customer.pk, "site_id": site.pk}
    services.site_delete(**common)
    services.site_restore(**common)
    site.refresh_from_db()
    assert (site.is_archived, site.archived_at) == (False, None)
    assert _actions(tenant_a) == ["customer_site.archive", "customer_site.restore"]
    services.site_restore(**common)  # restoring one in use is no change
    assert len(_actions(tenant_a)) == 2


def test_an_archived_site_cannot_become_the_default(tenant_a, manager_a, customer, site, order):
    common = {"tenant": tenant_a, "by": manager_a, "customer_id": customer.pk, "site_id": site.pk}
    services.site_delete(**common)
    with pytest.raises(ValidationError) as refused:
        services.site_update(**common, data={"is_default": True})
    assert refused.value.message_dict == {
        "is_default": ["An archived site cannot be the default site; restore it first."]
    }


# --- Pickers and new records ---------------------------------------------------------------------


def _archive(tenant, by, site):
    services.site_delete(tenant=tenant, by=by, customer_id=site.customer_id, site_id=site.pk)
    site.refresh_from_db()


def test_the_object_form_offers_no_archived_site_but_keeps_an_objects_own(
    tenant_a, manager_a, customer, site, order
):
    other = CustomerSiteFactory(customer=customer, name="Roof")
    obj = ServiceObjectFactory(customer=customer, site=site)
    _archive(tenant_a, manager_a, site)
    new_form = ServiceObjectForm(tenant=tenant_a, initial={"customer": customer.pk})
    assert list(new_form.fields["site"].queryset) == [other]
    edit_form = ServiceObjectForm(tenant=tenant_a, instance=obj)
    assert set(edit_form.fields["site"].queryset) == {site, other}


def test_a_new_object_at_an_archived_site_is_refused(tenant_a, manager_a, customer, site, order):
    _archive(tenant_a, manager_a, site)
    with pytest.raises(ValidationError) as refused:
        services.service_object_create(
            tenant=tenant_a, by=manager_a, data={"customer": customer, "name": "Pump", "site": site}
        )
    assert refused.value.message_dict == {
        "site": ["This site is archived: choose another one or restore it first."]
    }
    assert not ServiceObject.objects.filter(name="Pump").exists()


def test_a_new_order_skips_archived_sites_and_refuses_them(
    tenant_a, manager_a, dispatcher_a, customer, site, contact, order
):
    other = CustomerSiteFactory(customer=customer, name="Annex")
    _archive(tenant_a, manager_a, site)
    services.contact_delete(
        tenant=tenant_a, by=manager_a, customer_id=customer.pk, contact_id=contact.pk
    )
    contact.refresh_from_db()
    data = {"customer": customer, "description": "Check the boiler"}
    assert orders.order_create(tenant=tenant_a, by=dispatcher_a, data=data).site == other
    with pytest.raises(ValidationError) as refused:
        orders.order_create(
            tenant=tenant_a, by=dispatcher_a, data={**data, "site": site, "contact": contact}
        )
    assert refused.value.message_dict == {
        "site": ["This site is archived: choose another one or restore it first."],
        "contact": ["This contact is archived: choose another one or restore it first."],
    }


# --- Pages ---------------------------------------------------------------------------------------


def test_removing_a_used_site_on_the_page_archives_it_and_the_order_still_shows_it(
    tenant_a, manager, customer, site, order
):
    url = reverse("customers:site_delete", args=[customer.pk, site.pk])
    response = manager.post(url, CONFIRMED, follow=True)
    page = response.content.decode()
    assert "is archived, not deleted: service orders or objects refer to it" in page
    assert 'data-testid="archived-sites"' in page
    assert reverse("customers:site_restore", args=[customer.pk, site.pk]) in page
    assert f'href="{reverse("customers:site_edit", args=[customer.pk, site.pk])}"' not in page
    order_page = manager.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert order_page.status_code == 200
    text = order_page.content.decode()
    assert site.name in text and site.street in text and "Archived" in text


def test_restoring_on_the_page(tenant_a, manager, customer, contact, order):
    services.contact_delete(
        tenant=tenant_a, by=None, customer_id=customer.pk, contact_id=contact.pk
    )
    url = reverse("customers:contact_restore", args=[customer.pk, contact.pk])
    assert manager.get(url).status_code == 405  # a change only by POST
    page = manager.post(url, follow=True).content.decode()
    assert f"{contact.name} restored." in page
    assert 'data-testid="archived-contacts"' not in page
    assert f'href="{reverse("customers:contact_edit", args=[customer.pk, contact.pk])}"' in page


def test_removing_an_unused_contact_on_the_page_deletes_it(tenant_a, manager, customer):
    contact = CustomerContactFactory(customer=customer, name="Piotr Zielinski")
    url = reverse("customers:contact_delete", args=[customer.pk, contact.pk])
    page = manager.post(url, CONFIRMED, follow=True).content.decode()
    assert "Piotr Zielinski removed." in page
    assert not CustomerContact.objects.filter(pk=contact.pk).exists()


def test_a_technician_cannot_restore(tenant_a, technician_a, client, customer, site, order):
    _archive(tenant_a, None, site)
    client.force_login(technician_a)
    url = reverse("customers:site_restore", args=[customer.pk, site.pk])
    assert client.post(url).status_code == 403
    site.refresh_from_db()
    assert site.is_archived
