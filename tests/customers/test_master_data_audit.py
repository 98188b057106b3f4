"""Every change of master data is in the activity log: sites, contacts, object groups, template
groups and agreement groups (customers, items, objects and tasks: tests/customers/test_audit.py),
each created and changed, with who did it."""

import pytest
from django.urls import reverse

from agreements import services as agreement_services
from customers import services
from tenancy.models import AuditEvent
from tests.factories import (
    AgreementGroupFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectGroupFactory,
    TemplateGroupFactory,
)

pytestmark = pytest.mark.django_db


def _event(tenant, action) -> AuditEvent:
    return AuditEvent.objects.get(tenant=tenant, action=action)


def test_sites_created_and_changed_are_logged(tenant_a, manager_a):
    customer = CustomerFactory(tenant=tenant_a)
    site = services.site_create(
        tenant=tenant_a,
        by=manager_a,
        customer_id=customer.pk,
        data={"name": "Depot", "street": "Long St 1", "city": "Kraków"},
    )
    created = _event(tenant_a, "customer_site.create")
    assert (created.actor, created.target_id) == (manager_a, site.pk)
    assert created.summary == f"Service site {site} created"
    services.site_update(
        tenant=tenant_a,
        by=manager_a,
        customer_id=customer.pk,
        site_id=site.pk,
        data={"city": "Gdańsk"},
    )
    changed = _event(tenant_a, "customer_site.update")
    assert changed.changes == {"city": ["Kraków", "Gdańsk"]}
    assert changed.summary == "Service site Depot, Long St 1, Gdańsk changed: city"


def test_contacts_created_and_changed_are_logged(tenant_a, manager_a):
    customer = CustomerFactory(tenant=tenant_a)
    contact = services.contact_create(
        tenant=tenant_a, by=manager_a, customer_id=customer.pk, data={"name": "Ewa"}
    )
    assert _event(tenant_a, "customer_contact.create").target_id == contact.pk
    services.contact_update(
        tenant=tenant_a,
        by=manager_a,
        customer_id=customer.pk,
        contact_id=contact.pk,
        data={"phone": "+48 600 100 200"},
    )
    assert _event(tenant_a, "customer_contact.update").changes == {"phone": ["", "+48 600 100 200"]}


def test_saving_a_site_or_contact_unchanged_logs_nothing(tenant_a, manager_a):
    site = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a), city="Łódź")
    contact = CustomerContactFactory(customer=site.customer, name="Ola")
    common = {"tenant": tenant_a, "by": manager_a, "customer_id": site.customer_id}
    services.site_update(**common, site_id=site.pk, data={"city": "Łódź"})
    services.contact_update(**common, contact_id=contact.pk, data={"name": "Ola"})
    assert not AuditEvent.objects.filter(tenant=tenant_a).exists()


def test_object_groups_created_and_changed_are_logged(tenant_a, manager_a):
    group = services.object_group_create(
        tenant=tenant_a, by=manager_a, data={"code": "HVAC", "name": "Heating"}
    )
    assert _event(tenant_a, "object_group.create").summary == "Object group Heating created"
    services.object_group_update(
        tenant=tenant_a, by=manager_a, group_id=group.pk, data={"name": "Heating and cooling"}
    )
    changed = _event(tenant_a, "object_group.update")
    assert changed.changes == {"name": ["Heating", "Heating and cooling"]}
    assert changed.actor == manager_a


def test_template_groups_created_and_changed_are_logged(tenant_a, manager_a):
    parent = TemplateGroupFactory(tenant=tenant_a, name="Boilers")
    group = agreement_services.template_group_create(
        tenant=tenant_a, by=manager_a, data={"name": "Gas boilers"}
    )
    created = _event(tenant_a, "template_group.create")
    assert (created.target_id, created.params) == (group.pk, {"record": "Gas boilers"})
    agreement_services.template_group_update(
        tenant=tenant_a, by=manager_a, group_id=group.pk, data={"name": "Gas", "parent": parent}
    )
    changed = _event(tenant_a, "template_group.update")
    assert changed.changes == {"name": ["Gas boilers", "Gas"], "parent": [None, parent.pk]}
    assert changed.params["fields"] == ["name", "parent"]


def test_agreement_groups_created_and_changed_are_logged(tenant_a, manager_a):
    group = services.agreement_group_create(
        tenant=tenant_a, by=manager_a, data={"code": "GOLD", "name": "Gold"}
    )
    assert _event(tenant_a, "agreement_group.create").target_id == group.pk
    services.agreement_group_update(
        tenant=tenant_a, by=manager_a, group_id=group.pk, data={"name": "Gold plus"}
    )
    assert _event(tenant_a, "agreement_group.update").changes == {"name": ["Gold", "Gold plus"]}


def test_the_activity_page_shows_master_data_changes(tenant_a, admin_a, client):
    AgreementGroupFactory(tenant=tenant_a)
    group = ServiceObjectGroupFactory(tenant=tenant_a, name="Pumps")
    services.object_group_update(
        tenant=tenant_a, by=admin_a, group_id=group.pk, data={"name": "Water pumps"}
    )
    client.force_login(admin_a)
    page = client.get(reverse("accounts:audit")).content.decode()
    assert "Object group Water pumps changed" in page
