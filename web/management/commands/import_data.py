"""Import a CSV or XLSX file of records into one tenant (docs/import.md).

    manage.py import_data --tenant acme --kind customers customers.csv [--dry-run] [--valid-only]

Every row is checked first; each row with errors is printed with its errors. Nothing is saved
unless every row is valid, or with --valid-only the valid rows are. --dry-run saves nothing. The
last line printed is ``created=N updated=M failed=K`` (on a dry run: what an import would
do); the exit status is 1 when rows failed and
nothing was saved.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenancy.context import tenant_scope
from tenancy.models import Tenant
from web.imports import ImportFileError, import_file, import_kind, import_kinds, read_table


class Command(BaseCommand):
    help = "Import customers, sites, contacts, items, objects, agreements or agreement lines."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--kind", required=True, choices=[kind.key for kind in import_kinds()])
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check only, save nothing")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="save the valid rows even when other rows have errors",
        )

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        kind = import_kind(options["kind"])
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        try:
            table = read_table(path.name, content)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        with tenant_scope(tenant):
            result = import_file(
                tenant=tenant,
                by=None,
                kind=kind,
                file_name=path.name,
                table=table,
                valid_only=options["valid_only"],
                dry_run=options["dry_run"],
            )
        for row in result.rows:
            if not row.ok:
                self.stderr.write(f"row {row.line} ({row.key}): {'; '.join(row.errors)}")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was saved; the counts say what an import would do")
            self.stdout.write(
                f"created={result.created} updated={result.updated} failed={result.failed}"
            )
            return
        self.stdout.write(result.summary())
        if result.failed and not result.saved:
            raise SystemExit(1)
