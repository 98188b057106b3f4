"""Tenant B's people can neither list, read, change nor delete tenant A's records.

Isolation has two layers: the application's tenant filters (selectors take the tenant and filter
by it) and PostgreSQL's row-level security (the request transaction sees its tenant's rows only).
The crawl over every URL with a record id runs three times: with both layers, with row-level
security switched off (the filters alone must hold) and with every tenant filter of the
application's queries removed (row-level security alone must hold). Removing either layer from
the code then fails a test; ``test_without_both_layers_the_crawl_finds_the_records`` shows that
the crawl does see another tenant's record once both are gone.

Requests through the test client run without the test code's platform bypass (tests/conftest.py),
so the middleware's tenant scope is the only thing that lets rows through.
"""

import pytest
from django.db import connection
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND, WhereNode
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenancy import precompiled
from tenancy.context import current_tenant_id, platform_bypass, platform_scope, tenant_scope
from tenancy.db_backend import compiler as tenant_compiler
from tenancy.models import AuditEvent, TenantOwned, TenantQuerySet
from tenancy.rls import tenant_models
from tenancy.roles import Role
from tests.factories import AuditEventFactory, TenantFactory
from tests.isolation import ISOLATION_CASES, OWNER_ROLES, SECRET_LINKS, case_kwargs

pytestmark = pytest.mark.django_db

BOTH = "both layers"
FILTERS_ONLY = "app filters only (row-level security off)"
RLS_ONLY = "row-level security only (app tenant filters removed)"
NEITHER = "neither layer"


def _url_names_with_ids(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names_with_ids(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name and entry.pattern.converters:
            yield f"{namespace}{entry.name}"


def test_every_url_with_an_id_has_an_isolation_case():
    missing = sorted(set(_url_names_with_ids()) - set(ISOLATION_CASES) - set(SECRET_LINKS))
    assert missing == [], f"add these to tests/isolation.py: {missing}"


# --- Switching a layer off ----------------------------------------------------------------------


def _row_level_security_off() -> None:
    """Disable the policies of every tenant table for the rest of the test's transaction (DDL
    is transactional in PostgreSQL: the rollback at the end of the test restores them)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # ALTER TABLE refuses a table with deferred foreign-key checks still pending: run them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in tenant_models():
            cursor.execute(f"ALTER TABLE {qn(model._meta.db_table)} DISABLE ROW LEVEL SECURITY")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _drop_tenant_conditions(where: WhereNode, alias: str) -> None:
    """Remove ``alias.tenant_id = …`` / ``IN (…)`` from the top-level AND of ``where``."""
    if where.negated or (where.connector != AND and len(where.children) > 1):
        return
    for child in list(where.children):
        if isinstance(child, WhereNode):
            _drop_tenant_conditions(child, alias)
        elif (
            isinstance(child, Exact | In)
            and isinstance(child.lhs, Col)
            and child.lhs.alias == alias
            and child.lhs.target.column == tenant_compiler.TENANT_COLUMN
            and not hasattr(child.rhs, "resolve_expression")
        ):
            where.children.remove(child)


def _in_a_scope() -> bool:
    """Inside a request's (or a task's) tenant scope, or the platform's; the test's own
    arrangement code (factories) runs outside any and keeps its filters."""
    return current_tenant_id.get() is not None or platform_bypass.get()


def _remove_app_tenant_filters(monkeypatch) -> None:
    """Every SELECT on a tenant table loses its tenant filter (``for_tenant``, ``tenant=…``,
    ``tenant_id__in=…``), in subqueries too: as if every selector forgot the tenant."""
    original_as_sql = tenant_compiler.SQLCompiler.as_sql
    original_for_tenant = TenantQuerySet.for_tenant

    def as_sql(self, *args, **kwargs):
        model = self.query.model
        tenant_table = model is not None and issubclass(model, TenantOwned)
        if tenant_table and self.query.alias_map and _in_a_scope():
            self.query = self.query.clone()
            _drop_tenant_conditions(self.query.where, self.query.base_table)
        return original_as_sql(self, *args, **kwargs)

    def for_tenant(self, tenant):
        return self.all() if _in_a_scope() else original_for_tenant(self, tenant)

    monkeypatch.setattr(tenant_compiler.SQLCompiler, "as_sql", as_sql)
    monkeypatch.setattr(TenantQuerySet, "for_tenant", for_tenant)
    # Statements built once (tenancy.precompiled) are built again through the compiler above,
    # which drops their tenant filter too (and the originals come back after the test).
    monkeypatch.setattr(precompiled, "_statements", {})


def _count_events(**filters) -> int:
    return AuditEvent.objects.filter(**filters).count()


@pytest.fixture
def layers(request, monkeypatch, tenant_a, tenant_b):
    """Switch off the layers the test's parameter names, and prove they are off."""
    mode = request.param
    AuditEventFactory(tenant=tenant_a)
    AuditEventFactory(tenant=tenant_b)
    if mode in (FILTERS_ONLY, NEITHER):
        _row_level_security_off()
        with tenant_scope(tenant_b):  # the database shows tenant A's row to tenant B now
            assert _count_events(tenant=tenant_a) == 1
    if mode in (RLS_ONLY, NEITHER):
        _remove_app_tenant_filters(monkeypatch)
        with platform_scope():  # the filter on tenant B is gone: both rows come back
            assert _count_events(tenant=tenant_b) == 2
    if mode == RLS_ONLY:
        with tenant_scope(tenant_b):
            assert _count_events(tenant=tenant_a) == 1, "row-level security shows other rows"
    return mode


# --- The crawl ----------------------------------------------------------------------------------


@pytest.fixture
def intruder(tenant_b, make_member):
    """Tenant B's admin: the most powerful role, so a 404 is isolation, not a missing right."""
    return make_member(tenant_b, Role.TENANT_ADMIN)


@pytest.mark.parametrize("layers", [BOTH, FILTERS_ONLY, RLS_ONLY], indirect=True)
@pytest.mark.parametrize("url_name", sorted(ISOLATION_CASES))
def test_other_tenants_record_is_not_found(url_name, layers, tenant_a, intruder, client):
    kwargs = case_kwargs(url_name, tenant_a, intruder)
    url = reverse(url_name, kwargs=kwargs)
    client.force_login(intruder)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


# An empty POST to an action may be answered with the page it ends on (200 after its redirect), or
# refused for its missing input (400) or for the record's state (409): the view found the record.
ANSWERED = {200, 400, 409}


def _owner_status(client, url: str) -> int:
    """The owner's GET; for an action that only answers POST, how it answers an empty POST
    (200 when it is answered at all, see ANSWERED)."""
    response = client.get(url)
    if response.status_code != 405:
        return response.status_code
    status = client.post(url, {}, follow=True).status_code
    return 200 if status in ANSWERED else status


@pytest.mark.parametrize("layers", [BOTH, RLS_ONLY], indirect=True)
@pytest.mark.parametrize("url_name", sorted(ISOLATION_CASES))
def test_the_owner_reaches_its_record(url_name, layers, tenant_a, make_member, client):
    """The positive control of each case: the 404 above is the other tenant's, not everyone's;
    also without the app's tenant filters (switching row-level security off hides nothing)."""
    owner = make_member(tenant_a, OWNER_ROLES.get(url_name, Role.TENANT_ADMIN))
    url = reverse(url_name, kwargs=case_kwargs(url_name, tenant_a, owner))
    client.force_login(owner)
    assert _owner_status(client, url) == 200


# Global tables have no row-level security: the application's filter is their only layer.
ONLY_FILTERED_IN_THE_APP = {"accounts:member_edit"}


@pytest.mark.parametrize("layers", [NEITHER], indirect=True)
def test_without_both_layers_the_crawl_finds_the_records(layers, intruder, client):
    """The crawl can fail: with both layers gone, tenant B's admin opens other tenants' records
    (each case's in a tenant of its own, as the cases make one record set per tenant)."""
    client.force_login(intruder)
    still_hidden = []
    for url_name in sorted(ISOLATION_CASES):
        url = reverse(url_name, kwargs=case_kwargs(url_name, TenantFactory(), intruder))
        # GET only (a POST would act on the record): 200, or 405 for an action that answers
        # POST only, both mean the view found the record.
        if client.get(url).status_code == 404:
            still_hidden.append(url_name)
    assert still_hidden == sorted(ONLY_FILTERED_IN_THE_APP & set(ISOLATION_CASES))


# --- Lists and the request's own database settings ---------------------------------------------


def test_member_and_activity_lists_show_only_own_tenant(
    tenant_a, tenant_b, admin_a, intruder, client
):
    AuditEventFactory(tenant=tenant_a, summary="alpha secret event")
    AuditEventFactory(tenant=tenant_b, summary="beta own event")
    client.force_login(intruder)
    members = client.get(reverse("accounts:members")).content.decode()
    assert admin_a.email not in members and intruder.email in members
    activity = client.get(reverse("accounts:audit")).content.decode()
    assert "alpha secret event" not in activity and "beta own event" in activity
    csv = client.get(reverse("accounts:audit") + "?format=csv").content.decode()
    assert "alpha secret event" not in csv and "beta own event" in csv


@pytest.mark.urls("tests.tenancy.probe_urls")
def test_a_request_sees_only_its_tenant_and_no_platform_bypass(
    tenant_a, tenant_b, admin_a, client, make_member
):
    """What the database shows a view: the test code's bypass never reaches a request."""
    AuditEventFactory.create_batch(2, tenant=tenant_a)
    AuditEventFactory.create_batch(3, tenant=tenant_b)
    client.force_login(admin_a)
    assert client.get("/probe/").json() == {"bypass": "off", "tenant": tenant_a.pk, "events": 2}
    client.force_login(make_member(tenant_b, Role.TECHNICIAN))
    assert client.get("/probe/").json() == {"bypass": "off", "tenant": tenant_b.pk, "events": 3}
    # Signed in without any tenant: no scope at all, and no rows.
    client.logout()
    probe = client.get("/probe/").json()
    assert probe["bypass"] in ("", "off") and probe["events"] == 0
    # The test code itself keeps its bypass after the requests.
    assert _count_events() == 5
