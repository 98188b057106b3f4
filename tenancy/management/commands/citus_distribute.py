"""Distribute the schema on Citus: global tables as reference tables, tenant tables by tenant_id.

On plain PostgreSQL (no citus extension) it says so and changes nothing. On Citus it is
idempotent: tables that are already reference or distributed tables are skipped, so running it
after every ``migrate`` distributes the tables that migration created. See docs/scaling.md.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, models

from tenancy.models import TenantOwned
from tenancy.rls import tenant_foreign_keys

REFERENCE = "reference"
DISTRIBUTED = "distributed"


@dataclass(frozen=True)
class Step:
    action: str  # REFERENCE or DISTRIBUTED
    table: str
    colocate_with: str | None = None

    def sql(self, quote) -> tuple[str, list[str]]:
        if self.action == REFERENCE:
            return "SELECT create_reference_table(%s)", [quote(self.table)]
        if self.colocate_with is None:
            return "SELECT create_distributed_table(%s, 'tenant_id')", [quote(self.table)]
        return (
            "SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)",
            [quote(self.table), quote(self.colocate_with)],
        )


def _all_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def _dependencies(model: type[models.Model]) -> set[str]:
    """Tables this model's table has foreign keys to (tenant: the composite keys)."""
    if issubclass(model, TenantOwned):
        return {target for _, _, target in tenant_foreign_keys(model)}
    return {
        field.related_model._meta.db_table
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.db_constraint
    }


def _in_dependency_order(tables: dict[str, set[str]]) -> list[str]:
    """Referenced tables first, ties by name so the order is stable; refuses cycles. Only
    dependencies inside ``tables`` count (a tenant table's key to the global tenant table
    does not hold it up: reference tables come first anyway)."""
    remaining = {table: (deps & tables.keys()) - {table} for table, deps in tables.items()}
    ordered: list[str] = []
    while remaining:
        ready = sorted(table for table, deps in remaining.items() if deps <= set(ordered))
        if not ready:
            raise CommandError(
                "Foreign keys form a cycle between these tables; Citus needs the referenced "
                f"table distributed first: {', '.join(sorted(remaining))}"
            )
        ordered += ready
        for table in ready:
            del remaining[table]
    return ordered


def distribution_plan(existing_tables: set[str], distributed: set[str] = frozenset()) -> list[Step]:
    """What to run, in order: reference tables, then tenant tables (referenced ones first),
    co-located with the first tenant table. Tables in ``distributed`` (already reference or
    distributed tables) are left out; tables that do not exist yet too."""
    global_tables: dict[str, set[str]] = {}
    tenant_tables: dict[str, set[str]] = {}
    for model in _all_models():
        table = model._meta.db_table
        if table not in existing_tables:
            continue
        group = tenant_tables if issubclass(model, TenantOwned) else global_tables
        group[table] = _dependencies(model) & existing_tables
    steps = [
        Step(REFERENCE, table)
        for table in _in_dependency_order(global_tables)
        if table not in distributed
    ]
    tenant_order = _in_dependency_order(tenant_tables)
    anchor = tenant_order[0] if tenant_order else None
    for table in tenant_order:
        if table in distributed:
            continue
        steps.append(Step(DISTRIBUTED, table, None if table == anchor else anchor))
    return steps


class Command(BaseCommand):
    help = (
        "On a Citus cluster: make global tables reference tables and distribute tenant tables "
        "by tenant_id, co-located, in dependency order. Idempotent; a no-op on plain PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the plan, change nothing."
        )
        parser.add_argument(
            "--app-role",
            help="The role the application connects as; with --configure-role this command "
            "sets citus.propagate_set_commands = 'local' for it (default: the current role).",
        )
        parser.add_argument(
            "--configure-role",
            action="store_true",
            help="Run ALTER ROLE <app role> SET citus.propagate_set_commands = 'local'.",
        )

    def handle(self, *args, database, dry_run, app_role, configure_role, **options):
        connection = connections[database]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            if cursor.fetchone() is None:
                self.stdout.write(
                    "This is plain PostgreSQL (no citus extension): nothing to distribute."
                )
                return
            cursor.execute("SELECT current_user")
            role = app_role or cursor.fetchone()[0]
            cursor.execute("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
            # regclass text is quoted only where needed; compare unquoted names.
            distributed = {row[0].strip('"') for row in cursor.fetchall()}
            existing = set(connection.introspection.table_names(cursor))
            steps = distribution_plan(existing, distributed)
            if not steps:
                self.stdout.write("Every table is already a reference or distributed table.")
            for step in steps:
                sql, params = step.sql(quote)
                colocation = (
                    f" (co-located with {step.colocate_with})" if step.colocate_with else ""
                )
                self.stdout.write(f"{step.action}: {step.table}{colocation}")
                if not dry_run:
                    cursor.execute(sql, params)
            advice = f"ALTER ROLE {quote(role)} SET citus.propagate_set_commands = 'local'"
            if configure_role and not dry_run:
                cursor.execute(advice)
                self.stdout.write(f"Done: {advice}")
            else:
                self.stdout.write(
                    "The tenant context is set with SET LOCAL, which Citus sends to the worker "
                    f"nodes only with this setting for the app role:\n  {advice};"
                )
