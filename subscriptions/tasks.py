"""Celery tasks of subscriptions (thin wrappers around the services).

Both billing tasks are idempotent (a fee is unique per subscription and period, every writer
locks the subscription, a finished run is left alone), so they are acknowledged late: a worker
killed mid-run leaves the task to be redelivered, and the redo bills only what is still due.
"""

from celery import shared_task

from tenancy.tasks import TenantTask

from .models import BILLING_TIME_LIMIT, BillingRun, RunTrigger
from .services.accruals import accruals_post
from .services.billing import billing_run, billing_run_process

_LIMIT = int(BILLING_TIME_LIMIT.total_seconds())
TIME_LIMITS = {"soft_time_limit": _LIMIT - 5 * 60, "time_limit": _LIMIT}


def _summary(run: BillingRun) -> dict:
    return {
        "run_id": run.pk,
        "through": run.through.isoformat(),
        "created": run.fees_created,
        "skipped": run.fees_skipped,
        "failed": run.subscriptions_failed,
    }


@shared_task(
    base=TenantTask, bind=True, name="subscriptions.bill_tenant", acks_late=True, **TIME_LIMITS
)
def bill_tenant(self, *, tenant_id: int) -> dict:
    """The daily job for one tenant (beat fans it out): every fee due through today in the
    tenant's zone, catching up whatever earlier days missed."""
    run = billing_run(tenant=self.tenant, trigger=RunTrigger.SCHEDULE)
    return _summary(run)


@shared_task(
    base=TenantTask, bind=True, name="subscriptions.bill_run", acks_late=True, **TIME_LIMITS
)
def bill_run(self, *, tenant_id: int, run_id: int) -> dict | None:
    """The "Run billing" button's run, recorded by the request, processed here."""
    run = billing_run_process(tenant=self.tenant, run_id=run_id)
    return _summary(run) if run is not None else None


@shared_task(
    base=TenantTask,
    bind=True,
    name="subscriptions.post_accruals",
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=15 * 60,
)
def post_accruals(self, *, tenant_id: int) -> int:
    """The monthly accrual job: recognise the months that have ended (idempotent)."""
    with self.scope():
        return accruals_post(tenant=self.tenant)
