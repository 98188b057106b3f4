"""What the activity log keeps when an SLA or a calendar changes (the shared audit helpers of
tenancy.services: the changed fields, old and new, as JSON values)."""

import pytest

from sla import services
from tenancy.models import AuditEvent
from tests.factories import BusinessCalendarFactory, ServiceLevelAgreementFactory

pytestmark = pytest.mark.django_db


def test_an_sla_change_records_the_changed_fields(tenant_a, admin_a):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD", name="Gold")
    data = {"code": "GOLD", "name": "Gold 24/7", "is_suspended": True}
    services.sla_update(tenant=tenant_a, by=admin_a, sla_id=sla.pk, data=data)
    event = AuditEvent.objects.get(tenant=tenant_a, action="sla.update")
    assert event.changes == {"name": ["Gold", "Gold 24/7"], "is_suspended": [False, True]}
    assert event.params == {"record": "GOLD · Gold 24/7", "fields": ["is_suspended", "name"]}
    assert event.summary == "Service-level agreement GOLD · Gold 24/7 changed: suspended, SLA name"


def test_a_calendar_change_records_the_working_days_as_lists(tenant_a, admin_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a, working_days=[0, 1, 2, 3, 4])
    data = {"working_days": [0, 1, 2, 3, 4, 5]}
    services.calendar_update(tenant=tenant_a, by=admin_a, calendar_id=calendar.pk, data=data)
    event = AuditEvent.objects.get(tenant=tenant_a, action="calendar.update")
    assert event.changes == {"working_days": [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5]]}
