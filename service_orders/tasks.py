"""Celery tasks for generating service orders (thin wrappers around the generation service).

Both are idempotent (every order line is unique on agreement line and date), so they are
acknowledged late: a worker that dies mid-run leaves the task to be redelivered, and the redo
creates only what is still missing.
"""

import datetime

from celery import shared_task

from tenancy.models import User
from tenancy.tasks import TenantTask

from .models import GenerationRun, GenerationTrigger
from .services.generation import catch_up_period, generation_run

TIME_LIMITS = {"soft_time_limit": 25 * 60, "time_limit": 30 * 60}


def _summary(run: GenerationRun) -> dict:
    return {
        "run_id": run.pk,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "orders_created": run.orders_created,
        "lines_created": run.lines_created,
        "occurrences_skipped": run.occurrences_skipped,
        "agreements_failed": run.agreements_failed,
    }


@shared_task(
    base=TenantTask,
    bind=True,
    name="service_orders.generate_orders_for_tenant",
    acks_late=True,
    **TIME_LIMITS,
)
def generate_orders_for_tenant(self, *, tenant_id: int) -> dict:
    """The daily job for one tenant (beat runs it for every tenant through tenancy.fan_out):
    from the first day not yet covered (catch-up after downtime, retry of failed agreements)
    to today plus the tenant's look-ahead."""
    period_start, period_end = catch_up_period(tenant=self.tenant)
    run = generation_run(
        tenant=self.tenant,
        period_start=period_start,
        period_end=period_end,
        trigger=GenerationTrigger.SCHEDULE,
    )
    return _summary(run)


@shared_task(
    base=TenantTask,
    bind=True,
    name="service_orders.generate_orders_for_period",
    acks_late=True,
    **TIME_LIMITS,
)
def generate_orders_for_period(
    self,
    *,
    tenant_id: int,
    period_start: str,
    period_end: str,
    requested_by_id: int | None = None,
    agreement_ids: list[int] | None = None,
) -> dict:
    """The "generate for period" button's work in the background (dates as YYYY-MM-DD)."""
    by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = generation_run(
        tenant=self.tenant,
        period_start=datetime.date.fromisoformat(period_start),
        period_end=datetime.date.fromisoformat(period_end),
        trigger=GenerationTrigger.MANUAL,
        by=by,
        agreement_ids=agreement_ids,
    )
    return _summary(run)
