"""Generate service orders from agreements, from the shell.

    python manage.py generate_service_orders [--tenant SLUG] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
        [--customer NUMBER] [--group CODE] [--responsible EMAIL] [--line-kind KIND]

Every active tenant when --tenant is left out. Without --from/--to each tenant gets the daily
job's period (catch-up included). --customer, --group and --responsible name a record of the
tenant (so they need --tenant); --line-kind is hour, item, expense or fee. Ends by printing one
line: created=N skipped=M failed=K.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agreements import selectors as agreement_selectors
from customers.models import LineKind
from tenancy.context import tenant_scope
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


def _resolve(tenant: Tenant, *, customer, group, responsible) -> dict:
    """The ids of the records the options name, in this tenant."""
    filters = {}
    with tenant_scope(tenant):
        if customer:
            found = agreement_selectors.customer_choices(tenant=tenant).filter(number=customer)
            filters["customer_id"] = _one(found, f"--customer {customer!r}", tenant)
        if group:
            found = agreement_selectors.agreement_group_list(tenant=tenant).filter(code=group)
            filters["agreement_group_id"] = _one(found, f"--group {group!r}", tenant)
        if responsible:
            found = agreement_selectors.responsible_manager_choices(tenant=tenant).filter(
                email__iexact=responsible
            )
            filters["responsible_id"] = _one(found, f"--responsible {responsible!r}", tenant)
    return filters


def _one(queryset, option: str, tenant: Tenant) -> int:
    pk = queryset.values_list("pk", flat=True).first()
    if pk is None:
        raise CommandError(f"{option}: no such record in tenant {tenant.slug!r}.")
    return pk


class Command(BaseCommand):
    help = "Generate service orders from active agreements (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant (default: all).")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
        parser.add_argument("--customer", metavar="NUMBER", help="Only this customer's agreements.")
        parser.add_argument("--group", metavar="CODE", help="Only agreements of this group.")
        parser.add_argument(
            "--responsible", metavar="EMAIL", help="Only agreements this person is responsible for."
        )
        parser.add_argument(
            "--line-kind",
            dest="line_kind",
            choices=LineKind.values,
            help="Only lines of this type.",
        )

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
        named = {name: options.get(name) for name in ("customer", "group", "responsible")}
        if any(named.values()) and tenant is None:
            raise CommandError("--customer, --group and --responsible need --tenant.")
        created = skipped = failed = 0
        for each in tenants:
            start, end = catch_up_period(tenant=each)
            start, end = date_from or start, date_to or end
            if end < start:
                raise CommandError(
                    f"{each.slug}: the period would end ({end}) before it starts ({start})."
                )
            filters = {"line_kind": options.get("line_kind") or ""}
            filters.update(_resolve(each, **named))
            try:
                run = generation_run(
                    tenant=each,
                    period_start=start,
                    period_end=end,
                    trigger=GenerationTrigger.COMMAND,
                    filters=filters,
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
