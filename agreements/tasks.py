"""Celery tasks of the agreements app: thin wrappers around services."""

from celery import shared_task

from tenancy.tasks import TenantTask

from . import services as agreement_services


@shared_task(base=TenantTask, bind=True, name="agreements.expire_ended", acks_late=True)
def expire_ended(self, *, tenant_id: int) -> int:
    """Expire the tenant's agreements whose end date has passed. Idempotent (a second run finds
    nothing to expire), so it may run late, twice, or be retried after a crash."""
    with self.scope():
        return agreement_services.agreements_expire_ended(tenant=self.tenant)


@shared_task(base=TenantTask, bind=True, name="agreements.resume_due", acks_late=True)
def resume_due(self, *, tenant_id: int) -> int:
    """Resume the tenant's suspended agreements whose planned resume day has come (the visits
    the suspension cancelled come back). Idempotent: a resumed agreement is not suspended."""
    with self.scope():
        return agreement_services.agreements_resume_due(tenant=self.tenant)
