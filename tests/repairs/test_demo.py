"""The repairs demo: code tables in each demo tenant's language, the boiler's BOM in two active
versions (the first ended by the second) and a draft, the boiler object's service BOM with
changes across several repairs, finished repair lines on completed orders; idempotent."""

import pytest
from django.core.management import call_command

from repairs import selectors
from repairs.models import BomHistory, BomState, BomVersion, RepairLine, SymptomCode
from tenancy.demo import DEMO_TENANTS
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_each_demo_tenant_has_repairs_in_its_language(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent
    names = set()
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=spec.slug)
        names.add(SymptomCode.objects.get(tenant=tenant, code="LEAK").name)
        versions = list(BomVersion.objects.filter(tenant=tenant).order_by("number"))
        assert [v.state for v in versions] == [BomState.ACTIVE, BomState.ACTIVE, BomState.DRAFT]
        assert versions[0].valid_to is not None and versions[1].valid_to is None
        history = BomHistory.objects.filter(tenant=tenant)
        obj = history.first().service_object
        assert history.exclude(action="create").count() == 3
        installed = obj.install_date
        at_install = selectors.service_bom_as_of(
            tenant=tenant, obj=obj, at=selectors.end_of_day(tenant, installed)
        )
        now = selectors.service_bom_as_of(tenant=tenant, obj=obj, at=tenant.now())
        assert {n.line.item.number for n in at_install} != {n.line.item.number for n in now}
        lines = RepairLine.objects.filter(tenant=tenant)
        assert lines.exists() and not lines.filter(finished_at__isnull=True).exists()
    assert len(names) == len(DEMO_TENANTS)  # each in its own language
