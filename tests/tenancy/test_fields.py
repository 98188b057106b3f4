"""TenantForeignKey and TenantOwned: every statement they produce names the tenant.

Each test runs ORM code and checks the SQL it executed with tests.tenancy.querylog, so joins,
related lookups, prefetches, saves, refreshes and deletes are all held to the same rule.
"""

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, isolate_apps

from agreements.models import Agreement
from customers.models import Customer, CustomerSite, ServiceObject
from service_orders.models import ServiceOrder
from tenancy.checks import tenant_ownership_errors
from tenancy.fields import TenantForeignKey
from tenancy.models import AuditEvent, Tenant, TenantOwned
from tests.factories import (
    AgreementFactory,
    AgreementObjectFactory,
    AuditEventFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
)

from .querylog import assert_tenant_routed, capture_statements

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(tenant_a, tenant_b):
    CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_b), tenant=tenant_b)
    customer = CustomerFactory(tenant=tenant_a)
    CustomerSiteFactory.create_batch(2, customer=customer, tenant=tenant_a)
    return customer


def test_joins_match_tenant_id(tenant_a, customer):
    ServiceOrderFactory(customer=customer, tenant=tenant_a)
    with capture_statements() as log:
        orders = list(ServiceOrder.objects.for_tenant(tenant_a).select_related("customer"))
        list(CustomerSite.objects.for_tenant(tenant_a).filter(customer__name=customer.name))
        list(Customer.objects.for_tenant(tenant_a).filter(sites__name__startswith="S"))
        list(Customer.objects.for_tenant(tenant_a).exclude(sites__name="nothing"))
        list(Customer.objects.for_tenant(tenant_a).annotate(n=Count("sites")))
    assert orders[0].customer == customer
    on = '"customers_customer"."tenant_id" = ("service_orders_serviceorder"."tenant_id")'
    assert any(on in statement.sql for statement in log)
    assert_tenant_routed(log)


def test_forward_reverse_and_prefetch_lookups_filter_by_tenant(tenant_a, customer):
    site = CustomerSite.objects.for_tenant(tenant_a).filter(customer=customer).first()
    site = CustomerSite.objects.get(pk=site.pk)  # nothing cached
    with capture_statements() as log:
        assert site.customer == customer
        assert customer.sites.count() == 2
        assert len(customer.sites.all()) == 2
        sites = list(CustomerSite.objects.for_tenant(tenant_a).prefetch_related("customer"))
        customers = list(Customer.objects.for_tenant(tenant_a).prefetch_related("sites"))
    assert {s.customer for s in sites} == {customer}
    assert len(customers[0].sites.all()) == 2
    assert_tenant_routed(log)


def test_many_to_many_through_tenant_models_filters_by_tenant(tenant_a):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=tenant_a), tenant=tenant_a)
    link = AgreementObjectFactory(agreement=agreement, tenant=tenant_a)
    with capture_statements() as log:
        assert list(agreement.objects_covered.all()) == [link.service_object]
        prefetched = Agreement.objects.for_tenant(tenant_a).prefetch_related("objects_covered")
        assert list(prefetched[0].objects_covered.all()) == [link.service_object]
        found = Agreement.objects.for_tenant(tenant_a).filter(objects_covered=link.service_object)
        assert list(found) == [agreement]
    assert_tenant_routed(log)


def test_save_updates_by_tenant_and_id_and_never_writes_tenant_id(tenant_a, customer):
    with CaptureQueriesContext(connection) as queries, capture_statements() as log:
        customer.name = "Renamed"
        customer.save()
        customer.save(update_fields=["name"])
        customer.refresh_from_db()
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2
    assert all('"tenant_id" =' not in sql.split(" WHERE ")[0] for sql in updates)
    assert all(f'"tenant_id" = {tenant_a.pk}' in sql for sql in updates)
    assert_tenant_routed(log)


def test_updating_the_tenant_is_refused(tenant_a, tenant_b, customer):
    with pytest.raises(ValueError, match="never changes tenant"):
        Customer.objects.filter(pk=customer.pk).update(tenant=tenant_b)
    with pytest.raises(ValueError, match="never changes tenant"):
        customer.save(update_fields=["tenant"])
    with pytest.raises(ValueError, match="never changes tenant"):
        Customer.objects.bulk_update([customer], ["tenant"])
    # Below the queryset, the compiler refuses it too.
    with pytest.raises(FieldError, match="would set tenant_id"):
        models.QuerySet(Customer).filter(pk=customer.pk).update(tenant=tenant_b)


def test_bulk_update_and_deletes_filter_by_tenant(tenant_a, customer):
    sites = list(customer.sites.all())
    other = CustomerFactory(tenant=tenant_a)
    CustomerSiteFactory(customer=other, tenant=tenant_a)
    events = AuditEventFactory.create_batch(2, tenant=tenant_a)
    with capture_statements() as log:
        for site in sites:
            site.name = f"{site.name}!"
        CustomerSite.objects.bulk_update(sites, ["name"])
        customer.delete()  # cascades to the sites through the collector
        Customer.objects.for_tenant(tenant_a).filter(pk=other.pk).delete()
        AuditEvent.objects.filter(tenant=tenant_a, pk__in=[e.pk for e in events]).delete()
    assert not Customer.objects.filter(pk__in=[customer.pk, other.pk]).exists()
    assert_tenant_routed(log)


def test_update_across_a_relation_keeps_the_tenant_filter_outside(tenant_a, customer):
    with capture_statements() as log:
        changed = (
            CustomerSite.objects.for_tenant(tenant_a)
            .filter(customer__name=customer.name)
            .update(name="Same")
        )
    assert changed == 2
    assert_tenant_routed(log)


def test_group_by_lists_the_selected_columns(tenant_a, customer):
    with CaptureQueriesContext(connection) as queries:
        list(Customer.objects.for_tenant(tenant_a).annotate(n=Count("sites")))
    group_by = queries.captured_queries[-1]["sql"].split("GROUP BY")[1]
    assert '"customers_customer"."tenant_id"' in group_by


@isolate_apps("tenancy")
def test_system_check_requires_tenant_foreign_keys_between_tenant_models():
    class Parent(TenantOwned):
        class Meta(TenantOwned.Meta):
            app_label = "tenancy"

    class Plain(TenantOwned):
        parent = models.ForeignKey(Parent, on_delete=models.CASCADE)

        class Meta(TenantOwned.Meta):
            app_label = "tenancy"

    class Proper(TenantOwned):
        parent = TenantForeignKey(Parent, on_delete=models.CASCADE)

        class Meta(TenantOwned.Meta):
            app_label = "tenancy"

    class Misused(TenantOwned):
        owner = TenantForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

        class Meta(TenantOwned.Meta):
            app_label = "tenancy"

    class GlobalThing(models.Model):
        parent = models.ForeignKey(Parent, on_delete=models.CASCADE)

        class Meta:
            app_label = "tenancy"

    assert Proper._meta.get_field("parent").db_constraint is False
    errors = {
        (error.obj.model.__name__, error.id)
        for error in tenant_ownership_errors([Plain, Proper, Misused, GlobalThing])
        if error.id != "tenancy.E001"
    }
    assert errors == {
        ("Plain", "tenancy.E005"),
        ("Misused", "tenancy.E006"),
        ("GlobalThing", "tenancy.E007"),
    }


def test_prefetch_of_several_tenants_instances_filters_by_each(tenant_a, tenant_b):
    objects = [
        ServiceObjectFactory(customer=CustomerFactory(tenant=tenant), tenant=tenant)
        for tenant in (tenant_a, tenant_b)
    ]
    with capture_statements() as log:
        loaded = list(
            ServiceObject.objects.filter(pk__in=[o.pk for o in objects])
            .filter(tenant__in=[tenant_a, tenant_b])
            .prefetch_related("customer")
        )
    assert {o.customer.tenant_id for o in loaded} == {tenant_a.pk, tenant_b.pk}
    assert_tenant_routed(log)
