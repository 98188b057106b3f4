"""Create (or complete) the demo tenants, logins and each app's demo records. Idempotent."""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

from tenancy.context import tenant_scope
from tenancy.demo import seed_people
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create the demo tenants, users and records (safe to run again)."

    def handle(self, *args, **options):
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
