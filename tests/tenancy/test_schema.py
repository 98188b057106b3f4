"""The schema a database distributed by tenant_id accepts, read from PostgreSQL's catalog.

Citus refuses primary keys, unique and exclusion constraints that do not include the
distribution column, and foreign keys between distributed tables that do not match on it.
"""

import pytest
from django.db import IntegrityError, connection, models, transaction

from customers.models import CustomerSite
from tenancy.context import tenant_scope
from tenancy.rls import apply_row_level_security, tenant_foreign_keys, tenant_models
from tests.factories import CustomerFactory, factory_for_model

pytestmark = pytest.mark.django_db

TENANT_TABLES = sorted(model._meta.db_table for model in tenant_models())

# (table, constraint, type, columns in key order, referenced table, referenced columns)
_CONSTRAINTS_SQL = """
    SELECT cl.relname, c.conname, c.contype,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
           ref.relname,
           array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
    FROM pg_constraint c
    JOIN pg_class cl ON cl.oid = c.conrelid
    LEFT JOIN pg_class ref ON ref.oid = c.confrelid
    WHERE cl.relname = ANY(%s) AND c.contype IN ('p', 'u', 'x', 'f')
"""


def _constraints():
    with connection.cursor() as cursor:
        cursor.execute(_CONSTRAINTS_SQL, [TENANT_TABLES])
        return cursor.fetchall()


def test_there_are_tenant_tables():
    assert len(TENANT_TABLES) >= 10


def test_every_tenant_tables_primary_key_is_tenant_id_and_id():
    primary_keys = {row[0]: row[3] for row in _constraints() if row[2] == "p"}
    assert {table: primary_keys.get(table) for table in TENANT_TABLES} == {
        table: ["tenant_id", "id"] for table in TENANT_TABLES
    }


def test_every_unique_and_exclusion_constraint_includes_tenant_id():
    offending = [row[:4] for row in _constraints() if row[2] in "ux" and "tenant_id" not in row[3]]
    assert offending == []


def test_unique_indexes_outside_constraints_include_tenant_id():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND x.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid
                              AND a.attname = 'tenant_id' AND a.attnum = ANY(x.indkey))
            """,
            [TENANT_TABLES],
        )
        assert cursor.fetchall() == []


def test_foreign_keys_between_tenant_tables_match_on_tenant_id():
    tenant_tables = set(TENANT_TABLES)
    between = [row for row in _constraints() if row[2] == "f" and row[4] in tenant_tables]
    assert between, "expected composite foreign keys between tenant tables"
    offending = [
        (table, name, columns, referenced_columns)
        for table, name, _, columns, _, referenced_columns in between
        if columns[:1] != ["tenant_id"] or referenced_columns != ["tenant_id", "id"]
    ]
    assert offending == []


def test_every_relation_between_tenant_models_has_its_composite_key():
    keys = {
        (row[0], row[3][1], row[4])
        for row in _constraints()
        if row[2] == "f" and row[3][:1] == ["tenant_id"] and len(row[3]) == 2
    }
    expected = {
        (model._meta.db_table, field.column, field.related_model._meta.db_table)
        for model in tenant_models()
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.name != "tenant"
        and field.related_model in set(tenant_models())
    }
    assert expected <= keys


def test_every_tenant_table_has_forced_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [TENANT_TABLES],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == TENANT_TABLES


def test_the_set_up_is_idempotent():
    before = sorted(_constraints())
    apply_row_level_security()
    assert sorted(_constraints()) == before


# --- The composite keys at work: raw SQL through the application's role ----------------------

RELATIONS = [
    (model, field)
    for model in tenant_models()
    for field in model._meta.concrete_fields
    if isinstance(field, models.ForeignKey)
    and field.name != "tenant"
    and field.related_model in set(tenant_models())
]


def _run_deferred_checks(cursor) -> None:
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _violated_constraint(sql: str, params) -> str | None:
    """Run ``sql`` and the deferred checks in a savepoint; the foreign key it broke, if any."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError as exc:
        return exc.__cause__.diag.constraint_name
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return None


@pytest.mark.parametrize(
    ("model", "field"),
    RELATIONS,
    ids=[f"{model._meta.label}.{field.name}" for model, field in RELATIONS],
)
def test_a_row_cannot_point_at_another_tenants_record(model, field):
    """Every relation between tenant tables: a row changed by raw SQL to point at a record of
    another tenant (whose id exists, in that tenant) is refused by the composite key."""
    factories = [factory_for_model(m) for m in (model, field.related_model)]
    assert all(factories), f"add factories for {model._meta.label} and its relations"
    row, target = factories[0](), factories[1]()
    assert target.tenant_id != row.tenant_id
    with connection.cursor() as cursor:
        _run_deferred_checks(cursor)  # whatever the factories left pending is checked first
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    violated = _violated_constraint(
        f"UPDATE {table} SET {qn(field.column)} = %s WHERE tenant_id = %s AND id = %s",
        [target.pk, row.tenant_id, row.pk],
    )
    expected = next(
        name for name, column, _ in tenant_foreign_keys(model) if column == field.column
    )
    assert violated == expected


def test_inserting_a_site_for_another_tenants_customer_is_refused(tenant_a, tenant_b):
    """An INSERT in tenant A's own scope (row-level security satisfied) naming tenant B's
    customer: refused; the same row for tenant A's customer goes in."""
    own, foreign = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_b)
    sql = (
        "INSERT INTO customers_customersite (tenant_id, customer_id, name, street, postal_code,"
        " city, country, is_default, is_archived)"
        " VALUES (%s, %s, 'Depot', 'Main St 1', '', 'Town', '', false, false)"
    )
    with tenant_scope(tenant_a):
        assert _violated_constraint(sql, [tenant_a.pk, foreign.pk]) == next(
            name for name, column, _ in tenant_foreign_keys(CustomerSite) if column == "customer_id"
        )
        assert _violated_constraint(sql, [tenant_a.pk, own.pk]) is None
    assert list(CustomerSite.objects.values_list("customer_id", flat=True)) == [own.pk]
