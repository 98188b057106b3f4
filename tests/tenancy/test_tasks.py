"""Per-tenant Celery tasks, run by a real worker against real Redis.

The worker thread has its own database connection with no bypass, exactly like a production
worker: what a task sees is decided by the tenant it was given and row-level security.
"""

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app as celery_app
from tenancy.models import AuditEvent
from tenancy.tasks import TenantTask
from tests.factories import AuditEventFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery]


def _current_tenant_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('app.tenant_id', true), '')")
        return cursor.fetchone()[0]


@celery_app.task(base=TenantTask, bind=True, name="tests.visible_audit_events")
def visible_audit_events(self, *, tenant_id: int) -> dict:
    before = _current_tenant_setting()
    with self.scope():
        summaries = sorted(AuditEvent.objects.values_list("summary", flat=True))
        inside = _current_tenant_setting()
    return {"before": before, "inside": inside, "summaries": summaries}


@celery_app.task(name="tests.visible_without_tenant")
def visible_without_tenant() -> int:
    return AuditEvent.objects.count()


@pytest.fixture
def worker():
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
        yield


def test_each_task_sees_only_its_tenant_and_nothing_leaks(worker, tenant_a, tenant_b):
    AuditEventFactory(tenant=tenant_a, summary="alpha")
    AuditEventFactory(tenant=tenant_b, summary="beta")

    first = visible_audit_events.delay(tenant_id=tenant_a.pk).get(timeout=20)
    second = visible_audit_events.delay(tenant_id=tenant_b.pk).get(timeout=20)
    after = visible_without_tenant.delay().get(timeout=20)

    assert first == {"before": "", "inside": str(tenant_a.pk), "summaries": ["alpha"]}
    # The second task on the same worker starts with no tenant, not with the first one's.
    assert second == {"before": "", "inside": str(tenant_b.pk), "summaries": ["beta"]}
    assert after == 0


def test_a_tenant_task_needs_an_integer_tenant_id(worker, tenant_a):
    result = visible_audit_events.apply_async(kwargs={"tenant_id": str(tenant_a.pk)})
    with pytest.raises(TypeError, match="tenant_id"):
        result.get(timeout=20)
