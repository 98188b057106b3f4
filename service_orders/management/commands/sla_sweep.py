"""Run one SLA escalation sweep now, as the every-minute job does.

    python manage.py sla_sweep --tenant SLUG

Escalates the tenant's clocks whose next escalation level is due (each order and level once) and
ends by printing one line: escalated=N. Run again at once it prints escalated=0.
"""

from django.core.management.base import BaseCommand, CommandError

from tenancy.context import tenant_scope
from tenancy.models import Tenant

from ...services.escalations import sweep


class Command(BaseCommand):
    help = "Run one SLA escalation sweep for a tenant now; prints escalated=N."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")

    def handle(self, *args, **options):
        try:
            tenant = Tenant.objects.get(slug=options["tenant"], is_active=True)
        except Tenant.DoesNotExist:
            raise CommandError(f"No active tenant {options['tenant']!r}.") from None
        with tenant_scope(tenant):
            escalated = sweep(tenant=tenant)
        self.stdout.write(f"escalated={escalated}")
