"""The database side of every tenant table: keys and row-level security.

Runs after every ``migrate`` (post_migrate), so a new tenant-owned model gets all of it the
moment its table exists and nobody can forget a migration step. Idempotent: it changes only what
is not yet in place. For each tenant table:

1. Django's single-column foreign keys between tenant tables are dropped (``TenantForeignKey``
   does not create them; this removes any that exist, e.g. from an older migration). They
   depend on the ``id`` primary key and a database distributed by tenant refuses them.
2. The primary key becomes ``(tenant_id, id)``: the ``tenant_key()`` unique constraint is
   turned into the primary key under its own name. Django keeps ``id`` as the model's pk.
3. Composite foreign keys ``(tenant_id, x_id) -> (tenant_id, id)``, DEFERRABLE INITIALLY
   DEFERRED, for every relation to another tenant table: a row can never point at another
   tenant's row, and these are the keys Citus accepts between co-located tables.
4. Row-level security, enabled and forced, with the tenant_isolation policy.

See docs/decisions/0003 and 0008.
"""

import hashlib

from django.apps import apps
from django.db import connections, models

from .models import TenantOwned

POLICY_NAME = "tenant_isolation"
TENANT_PRIMARY_KEY = ["tenant_id", "id"]

# NULLIF: a reset custom setting reads as '' rather than NULL, and ''::bigint would fail.
# Each setting is read by a scalar subquery: PostgreSQL evaluates it once per statement (an
# InitPlan) instead of once per row, which made counting a tenant's 100,000 orders three times
# faster (13-18 -> 4.5 ms; docs/performance.md). Same rows: an unset tenant compares as NULL.
POLICY_PREDICATE = (
    "(tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint)"
    " OR (SELECT current_setting('app.bypass_rls', true)) = 'on')"
)

# Every key constraint of the tables named in %s: (table, name, type, columns in key order,
# referenced table). Only tables visible on the search path, i.e. the app's own.
_CONSTRAINTS_SQL = """
    SELECT cl.relname, c.conname, c.contype,
           array(SELECT a.attname
                 FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                 ORDER BY k.position),
           ref.relname
    FROM pg_constraint c
    JOIN pg_class cl ON cl.oid = c.conrelid
    LEFT JOIN pg_class ref ON ref.oid = c.confrelid
    WHERE c.contype IN ('p', 'u', 'f') AND pg_table_is_visible(cl.oid)
      AND cl.relname = ANY(%s)
"""


def tenant_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwned) and not model._meta.proxy
    ]


def _constraint_name(table: str, column: str) -> str:
    digest = hashlib.sha1(f"{table}.{column}".encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{table[:40]}_{column[:10]}_tfk_{digest}"


def tenant_foreign_keys(model: type[models.Model]) -> list[tuple[str, str, str]]:
    """(constraint name, column, referenced table) for FKs from one tenant table to another.

    TenantForeignKey and TenantOneToOneField are ForeignKeys, so they are found here, as is a
    plain ForeignKey (which the system check tenancy.E005 refuses between tenant models).
    """
    result = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.name == "tenant":
            continue
        target = field.related_model
        if issubclass(target, TenantOwned) and field.target_field.primary_key:
            table = model._meta.db_table
            result.append(
                (_constraint_name(table, field.column), field.column, target._meta.db_table)
            )
    return result


def _read_constraints(cursor, tables: list[str]) -> list[tuple]:
    cursor.execute(_CONSTRAINTS_SQL, [tables])
    return cursor.fetchall()


def _drop_constraint(cursor, qn, table: str, name: str) -> None:
    cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT IF EXISTS {qn(name)}")


def _tenant_primary_keys(cursor, qn, tables: list[str]) -> None:
    """Steps 1 and 2 of the module docstring."""
    constraints = _read_constraints(cursor, tables)
    tenant_tables = set(tables)
    for table, name, kind, columns, referenced in constraints:
        if kind == "f" and referenced in tenant_tables and "tenant_id" not in columns:
            _drop_constraint(cursor, qn, table, name)

    to_convert = {
        table
        for table in tables
        if not any(
            kind == "p" and columns == TENANT_PRIMARY_KEY
            for t, _, kind, columns, _ in constraints
            if t == table
        )
    }
    if not to_convert:
        return
    # Composite keys pointing at a table depend on its (tenant_id, id) index, which is about
    # to be rebuilt as the primary key: drop them; step 3 adds them again.
    for table, name, kind, columns, referenced in constraints:
        if kind == "f" and referenced in to_convert and "tenant_id" in columns:
            _drop_constraint(cursor, qn, table, name)
    for table in sorted(to_convert):
        own = [c for c in constraints if c[0] == table]
        actions = [f"DROP CONSTRAINT {qn(name)}" for _, name, kind, _, _ in own if kind == "p"]
        tenant_key = next(
            (
                name
                for _, name, kind, columns, _ in own
                if kind == "u" and columns == ["tenant_id", "id"]
            ),
            None,
        )
        if tenant_key:
            actions.append(f"DROP CONSTRAINT {qn(tenant_key)}")
        actions.append(
            f"ADD CONSTRAINT {qn(tenant_key or f'{table[:58]}_pkey')} PRIMARY KEY (tenant_id, id)"
        )
        cursor.execute(f"ALTER TABLE {qn(table)} {', '.join(actions)}")


def apply_row_level_security(using: str = "default") -> None:
    connection = connections[using]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        existing_tables = set(connection.introspection.table_names(cursor))
        models_with_tables = [m for m in tenant_models() if m._meta.db_table in existing_tables]
        tables = [model._meta.db_table for model in models_with_tables]
        _tenant_primary_keys(cursor, qn, tables)
        existing_constraints = {row[1] for row in _read_constraints(cursor, tables)}
        for model in models_with_tables:
            table = model._meta.db_table
            quoted = qn(table)
            cursor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}")
            cursor.execute(
                f"CREATE POLICY {POLICY_NAME} ON {quoted} "
                f"USING {POLICY_PREDICATE} WITH CHECK {POLICY_PREDICATE}"
            )
            for name, column, target_table in tenant_foreign_keys(model):
                if name in existing_constraints or target_table not in existing_tables:
                    continue
                cursor.execute(
                    f"ALTER TABLE {quoted} ADD CONSTRAINT {qn(name)} "
                    f"FOREIGN KEY (tenant_id, {qn(column)}) "
                    f"REFERENCES {qn(target_table)} (tenant_id, id) "
                    "DEFERRABLE INITIALLY DEFERRED"
                )


def on_post_migrate(sender, using="default", **kwargs) -> None:
    # post_migrate fires once per app; doing all tables on the last app's signal is enough,
    # but the work is idempotent and cheap, so run it for the tenancy app only.
    if sender.name == "tenancy":
        apply_row_level_security(using)
