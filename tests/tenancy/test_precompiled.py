"""tenancy.precompiled: a selector's statement built once, run with each call's values, giving
exactly what the queryset itself gives, for each tenant its own rows only."""

import threading

import pytest
from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, CustomerSite
from tenancy.db_backend.routing import implicit_tenant_filter
from tenancy.precompiled import NotPrecompilable, compile_statement, precompiled, registered
from tests.factories import CustomerFactory, CustomerSiteFactory

from .querylog import assert_tenant_routed, capture_statements

pytestmark = pytest.mark.django_db


def _sites_of(*, tenant_id, customer_id):
    return (
        CustomerSite.objects.filter(tenant_id=tenant_id, customer_id=customer_id)
        .select_related("customer")
        .order_by("name", "id")
    )


def _fields(site: CustomerSite) -> tuple:
    customer = site.customer  # cached by select_related: no query
    return (site.pk, site.tenant_id, site.name, site.city, customer.pk, customer.name)


@pytest.fixture
def customers(tenant_a, tenant_b):
    """Two customers with sites in tenant A, one in tenant B whose id the others don't share."""
    made = {}
    for tenant, key in ((tenant_a, "a1"), (tenant_a, "a2"), (tenant_b, "b1")):
        customer = CustomerFactory(tenant=tenant, name=f"Customer {key} & Sons <Ltd>")
        for n in range(3):
            CustomerSiteFactory(tenant=tenant, customer=customer, name=f"{key} site {2 - n}")
        made[key] = customer
    return made


def test_it_returns_what_the_queryset_returns_for_each_tenant_and_value(customers):
    sites = precompiled("tenant_id", "customer_id")(_sites_of)
    for customer in customers.values():
        for tenant_id in {customers["a1"].tenant_id, customers["b1"].tenant_id}:
            expected = list(_sites_of(tenant_id=tenant_id, customer_id=customer.pk))
            with CaptureQueriesContext(connection) as queries:
                found = sites(tenant_id=tenant_id, customer_id=customer.pk)
                assert [_fields(site) for site in found] == [_fields(s) for s in expected]
            assert len(queries) == 1  # the related customer came with the sites
            if tenant_id != customer.tenant_id:
                assert found == []  # another tenant's customer: nothing, whatever its id


def test_the_statement_is_built_once_and_names_its_tenant(customers, tenant_a, tenant_b):
    built = []

    @precompiled("tenant_id")
    def active_customers(*, tenant_id):
        built.append(tenant_id)
        return Customer.objects.filter(tenant_id=tenant_id, is_active=True).order_by("id")

    with capture_statements() as statements, CaptureQueriesContext(connection) as executed:
        first = active_customers(tenant_id=tenant_a.pk)
        second = active_customers(tenant_id=tenant_b.pk)
    assert len(built) == 1 and built[0] < 0  # built with a stand-in, once
    assert [c.pk for c in first] == [customers["a1"].pk, customers["a2"].pk]
    assert [c.pk for c in second] == [customers["b1"].pk]
    assert_tenant_routed(statements)
    for query, tenant in zip(executed.captured_queries, (tenant_a, tenant_b), strict=True):
        assert f'"customers_customer"."tenant_id" = {tenant.pk})' in query["sql"]


def test_values_querysets_and_expressions_work_too(customers, tenant_a):
    @precompiled("tenant_id", "minimum")
    def names(*, tenant_id, minimum):
        return (
            Customer.objects.filter(tenant_id=tenant_id, id__gte=minimum)
            .annotate(twice=F("id") * 2)
            .order_by("id")
            .values_list("name", "twice")
        )

    a1, a2 = customers["a1"], customers["a2"]
    assert names(tenant_id=tenant_a.pk, minimum=a2.pk) == [(a2.name, a2.pk * 2)]
    assert names(tenant_id=tenant_a.pk, minimum=0) == [(a1.name, a1.pk * 2), (a2.name, a2.pk * 2)]


def test_a_statement_that_does_not_bind_its_values_runs_as_a_plain_queryset(
    tenant_a, tenant_b, customers, caplog
):
    """An argument that never reaches the statement's parameters (ignored, or written into the
    SQL) cannot be swapped in later: such a builder is refused as a precompiled statement and
    evaluated as its plain queryset on each call (the same rows), with a warning."""

    @precompiled("tenant_id", "customer_id")
    def ignores_customer(*, tenant_id, customer_id):
        return Customer.objects.filter(tenant_id=tenant_id).order_by("id")

    @precompiled("tenant_id")
    def inlines_tenant(*, tenant_id):
        return Customer.objects.filter(
            Q(tenant_id=RawSQL(f"{int(tenant_id)}", [])) | Q(pk=0),  # noqa: S611 - an int
            tenant_id=tenant_id,
        ).order_by("id")

    with pytest.raises(NotPrecompilable):
        compile_statement(ignores_customer.build, ("tenant_id", "customer_id"))
    with pytest.raises(NotPrecompilable):
        compile_statement(inlines_tenant.build, ("tenant_id",))
    a_ids = [customers["a1"].pk, customers["a2"].pk]
    assert [c.pk for c in ignores_customer(tenant_id=tenant_a.pk, customer_id=0)] == a_ids
    assert [c.pk for c in inlines_tenant(tenant_id=tenant_a.pk)] == a_ids
    assert [c.pk for c in inlines_tenant(tenant_id=tenant_b.pk)] == [customers["b1"].pk]
    assert "run as a plain queryset" in caplog.text


def test_every_precompiled_selector_of_the_application_binds_its_arguments():
    """Each builder decorated in the apps compiles with its stand-ins (so none of them falls
    back to a plain queryset in production)."""
    import service_orders.selectors  # noqa: F401 - registers its builders
    import tenancy.selectors  # noqa: F401

    assert len(registered) >= 10
    for build, names in registered.items():
        if build.__module__.startswith("tests."):
            continue  # this file's own examples
        compile_statement(build, names)


def test_only_its_own_int_arguments_are_taken(tenant_a, customers):
    sites = precompiled("tenant_id", "customer_id")(_sites_of)
    customer = customers["a1"]
    for bad in ({"tenant_id": tenant_a.pk}, {"tenant_id": str(tenant_a.pk), "customer_id": 1}):
        with pytest.raises(TypeError):
            sites(**bad)
    with pytest.raises(TypeError):
        sites(tenant_id=True, customer_id=customer.pk)  # a bool is not a tenant id


def test_a_first_call_inside_implicit_tenant_routing_does_not_keep_that_tenant(
    customers, tenant_a, tenant_b
):
    """The statement every later call reuses is built outside any implicit tenant filter."""

    @precompiled("customer_id")
    def sites_of_customer(*, customer_id):
        return CustomerSite.objects.filter(customer_id=customer_id).order_by("id")

    b1 = customers["b1"]
    with implicit_tenant_filter([tenant_a.pk]):
        inside = sites_of_customer(customer_id=customers["a1"].pk)
    assert len(inside) == 3
    assert len(sites_of_customer(customer_id=b1.pk)) == 3  # tenant A's id was not baked in


@pytest.mark.django_db(transaction=True)
def test_another_thread_runs_it_on_its_own_connection(customers, tenant_a):
    sites = precompiled("tenant_id", "customer_id")(_sites_of)
    customer = customers["a1"]
    here = [_fields(s) for s in sites(tenant_id=tenant_a.pk, customer_id=customer.pk)]
    there = []

    def run():
        from django.db import connections

        from tenancy.context import tenant_scope

        try:
            with tenant_scope(tenant_a):  # a connection of its own: no test-session bypass
                found = sites(tenant_id=tenant_a.pk, customer_id=customer.pk)
                there.extend(_fields(site) for site in found)
        except Exception as exc:  # noqa: BLE001 - reported in the main thread
            there.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert there == here and len(here) == 3
