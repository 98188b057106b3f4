"""Generate service orders from agreements, from the shell.

    python manage.py generate_service_orders [--tenant SLUG] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Every active tenant when --tenant is left out. Without --from/--to each tenant gets the daily
job's period (catch-up included). Ends by printing one line: created=N skipped=M failed=K.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Tenant

from ...models import GenerationTrigger
from ...services.generation import catch_up_period, generation_run


def _date(option: str, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Generate service orders from active agreements (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant (default: all).")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")

    def handle(self, *args, tenant=None, date_from=None, date_to=None, **options):
        date_from = _date("--from", date_from)
        date_to = _date("--to", date_to)
        if date_from and date_to and date_to < date_from:
            raise CommandError(f"--to {date_to} is before --from {date_from}.")
        tenants = Tenant.objects.filter(is_active=True).order_by("slug")
        if tenant is not None:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"Unknown or inactive tenant {tenant!r}.")
        created = skipped = failed = 0
        for each in tenants:
            start, end = catch_up_period(tenant=each)
            start, end = date_from or start, date_to or end
            if end < start:
                raise CommandError(
                    f"{each.slug}: the period would end ({end}) before it starts ({start})."
                )
            try:
                run = generation_run(
                    tenant=each,
                    period_start=start,
                    period_end=end,
                    trigger=GenerationTrigger.COMMAND,
                )
            except ValidationError as exc:
                raise CommandError(f"{each.slug}: {' '.join(exc.messages)}") from None
            if options["verbosity"] > 1:
                self.stdout.write(
                    f"{each.slug} {start}..{end}: created={run.orders_created} "
                    f"skipped={run.occurrences_skipped} failed={run.agreements_failed}"
                )
            created += run.orders_created
            skipped += run.occurrences_skipped
            failed += run.agreements_failed
        self.stdout.write(f"created={created} skipped={skipped} failed={failed}")
