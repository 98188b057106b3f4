"""Row-level security and tenant-consistent foreign keys, applied to every tenant table.

Runs after every ``migrate`` (post_migrate), so a new tenant-owned model is protected the moment
its table exists and nobody can forget a migration step. Idempotent: it replaces the policy and
adds a missing constraint, nothing else. See docs/decisions/0003.
"""

import hashlib

from django.apps import apps
from django.db import connections, models

from .models import TenantOwned

POLICY_NAME = "tenant_isolation"

# NULLIF: a reset custom setting reads as '' rather than NULL, and ''::bigint would fail.
POLICY_PREDICATE = (
    "(tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"
    " OR current_setting('app.bypass_rls', true) = 'on')"
)


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
    """(constraint name, column, referenced table) for FKs from one tenant table to another."""
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


def apply_row_level_security(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        existing_tables = set(connection.introspection.table_names(cursor))
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        existing_constraints = {row[0] for row in cursor.fetchall()}
        for model in tenant_models():
            table = model._meta.db_table
            if table not in existing_tables:
                continue
            quoted = connection.ops.quote_name(table)
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
                    f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                    f"FOREIGN KEY (tenant_id, {connection.ops.quote_name(column)}) "
                    f"REFERENCES {connection.ops.quote_name(target_table)} (tenant_id, id) "
                    "DEFERRABLE INITIALLY DEFERRED"
                )


def on_post_migrate(sender, using="default", **kwargs) -> None:
    # post_migrate fires once per app; doing all tables on the last app's signal is enough,
    # but the work is idempotent and cheap, so run it for the tenancy app only.
    if sender.name == "tenancy":
        apply_row_level_security(using)
