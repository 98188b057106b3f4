"""manage.py citus_distribute: a no-op on plain PostgreSQL; its plan is checked without Citus."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tenancy.management.commands.citus_distribute import (
    DISTRIBUTED,
    REFERENCE,
    distribution_plan,
)
from tenancy.rls import tenant_foreign_keys, tenant_models

pytestmark = pytest.mark.django_db


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_on_plain_postgresql_it_says_so_and_changes_nothing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint")
        before = cursor.fetchone()[0]
    out = io.StringIO()
    call_command("citus_distribute", stdout=out)
    assert "plain PostgreSQL" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint")
        assert cursor.fetchone()[0] == before


def test_the_plan_references_global_tables_then_distributes_tenant_tables_in_order():
    existing = _tables()
    plan = distribution_plan(existing)
    tenant_tables = {model._meta.db_table for model in tenant_models()}
    reference = [step.table for step in plan if step.action == REFERENCE]
    distributed = [step for step in plan if step.action == DISTRIBUTED]

    assert {"tenancy_tenant", "tenancy_user", "tenancy_membership", "django_session"} <= set(
        reference
    )
    assert not set(reference) & tenant_tables
    assert {step.table for step in distributed} == tenant_tables & existing
    # Reference tables first, then the tenant tables, all co-located with the first one.
    assert [step.action for step in plan] == sorted(
        (step.action for step in plan), key=lambda action: action != REFERENCE
    )
    anchor = distributed[0]
    assert anchor.colocate_with is None
    assert all(step.colocate_with == anchor.table for step in distributed[1:])
    # A referenced table is distributed before the tables that refer to it.
    position = {step.table: index for index, step in enumerate(distributed)}
    for model in tenant_models():
        for _, _, target in tenant_foreign_keys(model):
            if target != model._meta.db_table:
                assert position[target] < position[model._meta.db_table]


def test_the_plan_skips_tables_already_distributed():
    existing = _tables()
    full = distribution_plan(existing)
    done = {step.table for step in full[: len(full) // 2]}
    rest = distribution_plan(existing, done)
    assert [step.table for step in rest] == [step.table for step in full if step.table not in done]
    assert distribution_plan(existing, {step.table for step in full}) == []


def test_the_distribution_sql_names_the_tenant_column():
    plan = distribution_plan(_tables())
    step = next(step for step in plan if step.action == DISTRIBUTED and step.colocate_with)
    sql, params = step.sql(connection.ops.quote_name)
    assert sql == "SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)"
    assert params == [f'"{step.table}"', f'"{step.colocate_with}"']
