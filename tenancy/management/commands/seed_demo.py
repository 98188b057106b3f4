"""Create (or complete) the demo tenants, logins and each app's demo records. Idempotent.

The demo logins have published passwords (README), so the command runs only where the settings
allow it (``DEMO_DATA_ALLOWED``: development and tests); production settings never do.
"""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenancy.context import tenant_scope
from tenancy.demo import seed_people
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create the demo tenants, users and records (safe to run again)."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError(
                "seed_demo refused: these settings do not allow demo data (DEMO_DATA_ALLOWED is "
                "off, as in production). The demo logins have published passwords."
            )
        people = seed_people()
        seeders = []
        for config in apps.get_app_configs():
            if config.name == "tenancy":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            seeders.append((config.label, module.seed))
        for slug, tenant_people in people.items():
            tenant = Tenant.objects.get(slug=slug)
            for label, seed in seeders:
                with tenant_scope(tenant):
                    seed(tenant=tenant, people=tenant_people)
                self.stdout.write(f"  {slug}: {label} demo data ready")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
