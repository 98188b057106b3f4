"""Every statement the app runs on a tenant table is routed by tenant_id (docs/scaling.md).

The journeys below sign in as each role and open the main lists and detail pages, do a few
writes (a cancel, a delete with its cascade), and run the order generation service as the
Celery job does; every statement they execute is checked by tests.tenancy.querylog. A new query
that does not filter a tenant table by tenant_id (joins included) fails here.
"""

import datetime

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from service_orders.models import GenerationTrigger
from service_orders.services.generation import generation_run
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementTaskFactory,
    AuditEventFactory,
    BusinessCalendarFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    HolidayFactory,
    ItemFactory,
    ServiceLevelAgreementFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    ServiceTaskFactory,
)
from tests.isolation import ISOLATION_CASES, OWNER_ROLES, case_kwargs

from .querylog import ALLOWED, assert_tenant_routed, capture_statements, check_statement

pytestmark = pytest.mark.django_db

TABLES = {"shop_order", "shop_customer", "shop_line"}


# --- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "shop_order"."id" FROM "shop_order" WHERE "shop_order"."id" = %s',
        # The joined table matches only the foreign key column.
        'SELECT "shop_order"."id" FROM "shop_order" INNER JOIN "shop_customer" '
        'ON ("shop_order"."customer_id" = "shop_customer"."id") '
        'WHERE "shop_order"."tenant_id" = %s',
        # tenant_id compared with something other than a value or another tenant_id.
        'SELECT "shop_order"."id" FROM "shop_order" WHERE "shop_order"."tenant_id" = '
        '"shop_order"."customer_id"',
        # Only one side of an OR.
        'SELECT "shop_order"."id" FROM "shop_order" WHERE ("shop_order"."tenant_id" = %s '
        'OR "shop_order"."id" = %s)',
        # The subquery's table is unfiltered.
        'SELECT "shop_order"."id" FROM "shop_order" WHERE ("shop_order"."tenant_id" = %s AND '
        'NOT EXISTS(SELECT 1 AS "a" FROM "shop_line" U1 WHERE U1."order_id" = '
        '("shop_order"."id") LIMIT 1))',
        'DELETE FROM "shop_order" WHERE "shop_order"."id" IN (%s, %s)',
        'UPDATE "shop_order" SET "note" = %s WHERE "shop_order"."id" = %s',
        'UPDATE "shop_order" SET "tenant_id" = %s WHERE ("shop_order"."tenant_id" = %s AND '
        '"shop_order"."id" = %s)',
    ],
)
def test_the_checker_reports_statements_that_are_not_routed(sql):
    assert check_statement(sql, TABLES) != []


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "shop_order"."id" FROM "shop_order" WHERE ("shop_order"."tenant_id" = %s AND '
        '"shop_order"."id" = %s)',
        'SELECT "shop_order"."id" FROM "shop_order" INNER JOIN "shop_customer" '
        'ON ("shop_order"."customer_id" = "shop_customer"."id" AND '
        '("shop_customer"."tenant_id" = "shop_order"."tenant_id")) '
        'LEFT OUTER JOIN "shop_customer" T3 ON ("shop_order"."payer_id" = T3."id" AND '
        '(T3."tenant_id" = "shop_order"."tenant_id")) WHERE "shop_order"."tenant_id" = 7',
        'SELECT "shop_order"."id" FROM "shop_order" WHERE ("shop_order"."tenant_id" = %s AND '
        'NOT EXISTS(SELECT 1 AS "a" FROM "shop_line" U1 WHERE (U1."tenant_id" = '
        '("shop_order"."tenant_id") AND U1."order_id" = ("shop_order"."id")) LIMIT 1))',
        'DELETE FROM "shop_order" WHERE ("shop_order"."id" IN (%s, %s) AND '
        '"shop_order"."tenant_id" IN (%s, %s))',
        'UPDATE "shop_order" SET "note" = %s WHERE ("shop_order"."tenant_id" = %s AND '
        '"shop_order"."id" = %s)',
        'SELECT "tenancy_membership"."id" FROM "tenancy_membership" WHERE '
        '"tenancy_membership"."user_id" = %s',
    ],
)
def test_the_checker_accepts_routed_statements(sql):
    assert check_statement(sql, TABLES) == []


def test_a_bad_query_in_a_journey_fails_the_check(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    table = connection.ops.quote_name(type(customer)._meta.db_table)
    with capture_statements() as log, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [customer.pk])
    with pytest.raises(AssertionError, match="not filtered by tenant_id"):
        assert_tenant_routed(log)


def test_every_allowed_exception_gives_its_reason():
    assert ALLOWED and all(len(rule.reason) > 40 for rule in ALLOWED)


# --- the journeys ----------------------------------------------------------------------------


@pytest.fixture
def records(tenant_a, tenant_b):
    """One of each main record in tenant A, and look-alikes in tenant B."""
    for tenant in (tenant_b, tenant_a):  # tenant A's last, so its ids are the ones returned
        customer = CustomerFactory(tenant=tenant)
        CustomerSiteFactory(customer=customer, tenant=tenant)
        CustomerContactFactory(customer=customer, tenant=tenant)
        item = ItemFactory(tenant=tenant)
        task = ServiceTaskFactory(tenant=tenant)
        group = ServiceObjectGroupFactory(tenant=tenant)
        service_object = ServiceObjectFactory(customer=customer, tenant=tenant, group=group)
        agreement = AgreementFactory(customer=customer, tenant=tenant, state="active")
        AgreementLineFactory(agreement=agreement, tenant=tenant, item=item)
        AgreementObjectFactory(agreement=agreement, tenant=tenant, service_object=service_object)
        AgreementTaskFactory(agreement=agreement, tenant=tenant, task=task)
        # A number outside the generated series, which the generation journey hands out.
        order = ServiceOrderFactory(customer=customer, tenant=tenant, number="MANUAL-1")
        ServiceOrderLineFactory(order=order, tenant=tenant)
        calendar = BusinessCalendarFactory(tenant=tenant)
        HolidayFactory(calendar=calendar, tenant=tenant)
        sla = ServiceLevelAgreementFactory(tenant=tenant)
        AuditEventFactory(tenant=tenant)
    return {
        "customer": customer,
        "item": item,
        "task": task,
        "object": service_object,
        "agreement": agreement,
        "order": order,
        "calendar": calendar,
        "sla": sla,
        "spare_customer": _customer_with_site_and_contact(tenant_a),
    }


def _customer_with_site_and_contact(tenant):
    customer = CustomerFactory(tenant=tenant)
    CustomerSiteFactory(customer=customer, tenant=tenant)
    CustomerContactFactory(customer=customer, tenant=tenant)
    return customer


def _pages(r) -> list[str]:
    return [
        "/",
        "/customers/",
        f"/customers/{r['customer'].pk}/",
        "/items/",
        f"/items/{r['item'].pk}/",
        "/tasks/",
        f"/tasks/{r['task'].pk}/",
        "/objects/",
        "/objects/groups/",
        f"/objects/{r['object'].pk}/",
        "/agreements/",
        "/agreements/groups/",
        "/agreements/template-groups/",
        f"/agreements/{r['agreement'].pk}/",
        f"/agreements/{r['agreement'].pk}/edit/",
        "/orders/",
        "/orders/?q=Repair",
        # The order list's filter pickers, with a word to match (the agreement's joins its
        # customer for the name).
        "/customers/search/?q=a",
        "/agreements/search/?q=a",
        f"/orders/{r['order'].pk}/",
        "/orders/generate/",
        "/orders/generate/runs/",
        "/sla/levels/",
        f"/sla/levels/{r['sla'].pk}/",
        "/sla/calendars/",
        f"/sla/calendars/{r['calendar'].pk}/",
        "/settings/users/",
        "/settings/activity/",
        "/settings/numbers/",
        "/settings/tenant/",
    ]


@pytest.mark.parametrize(
    "role", [Role.TENANT_ADMIN, Role.SERVICE_MANAGER, Role.DISPATCHER, Role.TECHNICIAN]
)
def test_each_roles_pages_filter_every_tenant_table_by_tenant(
    role, tenant_a, records, make_member, client
):
    client.force_login(make_member(tenant_a, role))
    statuses = {}
    with capture_statements() as log:
        for path in _pages(records):
            statuses[path] = client.get(path).status_code
    # Pages a role may not open answer 403/302; the rest must render.
    assert set(statuses.values()) <= {200, 302, 403}, statuses
    # Technicians have only the home page so far; the office roles open most of the rest.
    minimum = 1 if role == Role.TECHNICIAN else 15
    assert sum(status == 200 for status in statuses.values()) >= minimum, statuses
    assert_tenant_routed(log)


def test_writes_and_deletes_filter_by_tenant(tenant_a, records, make_member, client):
    client.force_login(make_member(tenant_a, Role.SERVICE_MANAGER))
    with capture_statements() as log:
        client.post(f"/orders/{records['order'].pk}/cancel/")
        # A customer with a site and a contact: the delete cascades through the collector.
        response = client.post(f"/customers/{records['spare_customer'].pk}/delete/")
    assert response.status_code in {200, 302}
    assert_tenant_routed(log)


def test_order_generation_filters_every_statement_by_tenant(tenant_a, records):
    # As the daily Celery job runs it: the service opens its own tenant scope.
    with capture_statements() as log:
        run = generation_run(
            tenant=tenant_a,
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 3, 31),
            trigger=GenerationTrigger.MANUAL,
        )
    assert run.orders_created > 0
    assert_tenant_routed(log)


# --- every page ------------------------------------------------------------------------------
# The journeys above name the main pages; these two crawls take every URL the project has, so a
# page added by any app is checked the day it is added: each URL with a record id as its owner
# (the isolation registry makes the record, tests/isolation.py), and each URL without parameters
# as every role that may open it.


def _url_names_without_parameters(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or entry.pattern.regex.groups:
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names_without_parameters(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            yield f"{namespace}{entry.name}"


_PARAMETERLESS = sorted(set(_url_names_without_parameters()))


@pytest.mark.parametrize("url_name", sorted(ISOLATION_CASES))
def test_every_record_page_routes_every_statement_by_tenant(
    url_name, tenant_a, make_member, client
):
    owner = make_member(tenant_a, OWNER_ROLES.get(url_name, Role.TENANT_ADMIN))
    url = reverse(url_name, kwargs=case_kwargs(url_name, tenant_a, owner))
    client.force_login(owner)
    with capture_statements() as log:
        if client.get(url).status_code == 405:
            client.post(url, {})
    assert_tenant_routed(log)


@pytest.mark.parametrize("url_name", _PARAMETERLESS)
def test_every_page_without_a_record_routes_every_statement_by_tenant(
    url_name, tenant_a, records, make_member, client
):
    url = reverse(url_name)
    # The tenant admin opens every office page; the technician has pages of their own.
    for role in (Role.TENANT_ADMIN, Role.TECHNICIAN):
        client.force_login(make_member(tenant_a, role))
        with capture_statements() as log:
            client.get(url)
        assert_tenant_routed(log)
