"""PostgreSQL row-level security: the second line of tenant isolation, tested with raw SQL."""

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.test.utils import CaptureQueriesContext, isolate_apps

from tenancy.checks import tenant_ownership_errors
from tenancy.context import platform_scope, tenant_scope
from tenancy.models import AuditEvent, TenantOwned
from tenancy.rls import tenant_models
from tests.factories import AuditEventFactory, factory_for_model

pytestmark = pytest.mark.django_db


def _count(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _as_app_without_tenant():
    """Switch off the test code's platform bypass for the rest of this test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.bypass_rls', 'off', true)")
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


def test_application_role_is_neither_superuser_nor_bypassrls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_tenant_table_has_forced_row_level_security(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
        )
        assert cursor.fetchone() == (True, True)
        cursor.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = %s AND policyname = %s",
            [table, "tenant_isolation"],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_without_a_tenant_setting_raw_sql_sees_no_rows(model):
    model_factory = factory_for_model(model)
    assert model_factory is not None, f"add a factory for {model._meta.label} to tests/factories.py"
    model_factory()
    table = connection.ops.quote_name(model._meta.db_table)
    assert _count(f"SELECT count(*) FROM {table}") >= 1  # the test code's platform bypass
    _as_app_without_tenant()
    assert _count(f"SELECT count(*) FROM {table}") == 0


def test_tenant_setting_shows_only_that_tenants_rows(tenant_a, tenant_b):
    AuditEventFactory.create_batch(3, tenant=tenant_a)
    AuditEventFactory.create_batch(2, tenant=tenant_b)
    _as_app_without_tenant()
    with tenant_scope(tenant_a):
        assert _count("SELECT count(*) FROM tenancy_auditevent") == 3
        assert AuditEvent.objects.count() == 3  # the ORM without any filter: RLS alone
    with tenant_scope(tenant_b):
        assert _count("SELECT count(*) FROM tenancy_auditevent") == 2
    # Leaving the scope restores "no tenant".
    assert _count("SELECT count(*) FROM tenancy_auditevent") == 0


def test_writing_a_row_for_another_tenant_is_refused_by_the_database(tenant_a, tenant_b):
    _as_app_without_tenant()
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        tenant_scope(tenant_a),
        transaction.atomic(),
    ):
        AuditEvent.objects.create(tenant=tenant_b, action="x", target_type="x", summary="smuggled")
    with platform_scope():
        assert not AuditEvent.objects.filter(summary="smuggled").exists()


def test_updating_another_tenants_rows_changes_nothing(tenant_a, tenant_b):
    event = AuditEventFactory(tenant=tenant_b, summary="original")
    _as_app_without_tenant()
    with tenant_scope(tenant_a):
        changed = AuditEvent.objects.filter(pk=event.pk).update(summary="tampered")
        deleted, _ = AuditEvent.objects.filter(pk=event.pk).delete()
    assert (changed, deleted) == (0, 0)
    with platform_scope():
        assert AuditEvent.objects.get(pk=event.pk).summary == "original"


@isolate_apps("tenancy")
def test_system_check_flags_a_model_without_tenant():
    class Forgotten(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "tenancy"

    class Keyed(TenantOwned):
        code = models.CharField(max_length=10, unique=True)

        class Meta(TenantOwned.Meta):
            app_label = "tenancy"

    errors = {error.id for error in tenant_ownership_errors([Forgotten, Keyed])}
    assert errors == {"tenancy.E001", "tenancy.E003"}


@isolate_apps("tenancy")
def test_system_check_accepts_a_proper_tenant_model():
    class Proper(TenantOwned):
        code = models.CharField(max_length=10)

        class Meta(TenantOwned.Meta):
            app_label = "tenancy"
            constraints = [
                *TenantOwned.Meta.constraints,
                models.UniqueConstraint(fields=["tenant", "code"], name="proper_code"),
            ]

    assert tenant_ownership_errors([Proper]) == []


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [name])
        return cursor.fetchone()[0]


def test_the_tenant_context_is_set_with_set_local(tenant_a, tenant_b):
    """Citus propagates SET LOCAL to its workers (set_config(..., true) it does not)."""
    with CaptureQueriesContext(connection) as queries, tenant_scope(tenant_a):
        assert _setting("app.tenant_id") == str(tenant_a.pk)
        with tenant_scope(tenant_b):
            assert _setting("app.tenant_id") == str(tenant_b.pk)
        assert _setting("app.tenant_id") == str(tenant_a.pk)
        with platform_scope():
            assert _setting("app.bypass_rls") == "on"
        assert (_setting("app.tenant_id"), _setting("app.bypass_rls")) == (str(tenant_a.pk), "off")
    statements = " ".join(query["sql"] for query in queries.captured_queries)
    assert f"SET LOCAL app.tenant_id = '{tenant_a.pk}'" in statements
    assert "set_config" not in statements


def test_a_nested_scope_for_the_same_tenant_changes_no_setting(tenant_a, tenant_b):
    """A generation chunk inside its run, a service inside the request: only a savepoint."""
    with tenant_scope(tenant_a):
        with CaptureQueriesContext(connection) as queries, tenant_scope(tenant_a):
            assert _setting("app.tenant_id") == str(tenant_a.pk)
        statements = [query["sql"] for query in queries.captured_queries]
        # Neither the read of the settings to restore nor a SET: only the test's own read.
        assert not any("SET LOCAL" in sql or "'app.bypass_rls'" in sql for sql in statements)
        # Another tenant inside still switches, and the same tenant inside that switches back.
        with tenant_scope(tenant_b):
            assert _setting("app.tenant_id") == str(tenant_b.pk)
            with tenant_scope(tenant_a):
                assert _setting("app.tenant_id") == str(tenant_a.pk)
            assert _setting("app.tenant_id") == str(tenant_b.pk)
        assert _setting("app.tenant_id") == str(tenant_a.pk)


@pytest.mark.parametrize("bad", ["1", "1; RESET ROLE", True, 0, -3, 1.0])
def test_only_a_positive_integer_tenant_id_reaches_the_sql(bad):
    with pytest.raises(TypeError), tenant_scope(bad):
        pass
