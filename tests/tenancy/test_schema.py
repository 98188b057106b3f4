"""The schema a database distributed by tenant_id accepts, read from PostgreSQL's catalog.

Citus refuses primary keys, unique and exclusion constraints that do not include the
distribution column, and foreign keys between distributed tables that do not match on it.
"""

import pytest
from django.db import connection

from tenancy.rls import apply_row_level_security, tenant_models

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
