"""Bill subscriptions from the shell.

    python manage.py run_billing --tenant SLUG [--through YYYY-MM-DD]

Bills every period (and one-off fee) falling due on or before --through (default: today in the
tenant's zone), catching up missed periods; safe to run again. Every active tenant when --tenant
is left out. Ends by printing one line: created=N skipped=M failed=K.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Tenant

from ...models import RunTrigger
from ...services.billing import billing_run


class Command(BaseCommand):
    help = "Bill the subscription fees that are due (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant (default: all).")
        parser.add_argument("--through", metavar="YYYY-MM-DD")

    def handle(self, *args, tenant=None, through=None, **options):
        if through is not None:
            try:
                through = datetime.date.fromisoformat(through)
            except ValueError:
                raise CommandError(
                    f"--through: {through!r} is not a date (use YYYY-MM-DD)."
                ) from None
        tenants = Tenant.objects.filter(is_active=True).order_by("slug")
        if tenant is not None:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"Unknown or inactive tenant {tenant!r}.")
        created = skipped = failed = 0
        for each in tenants:
            try:
                run = billing_run(tenant=each, through=through, trigger=RunTrigger.COMMAND)
            except ValidationError as exc:
                raise CommandError(f"{each.slug}: {' '.join(exc.messages)}") from None
            if options["verbosity"] > 1:
                self.stdout.write(
                    f"{each.slug} through {run.through}: created={run.fees_created} "
                    f"skipped={run.fees_skipped} failed={run.subscriptions_failed}"
                )
            created += run.fees_created
            skipped += run.fees_skipped
            failed += run.subscriptions_failed
        self.stdout.write(f"created={created} skipped={skipped} failed={failed}")
