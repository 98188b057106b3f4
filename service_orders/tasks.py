"""Celery tasks for generating service orders (thin wrappers around the generation service).

Both are idempotent (every order line is unique on agreement line and date; the button's task
leaves a finished run alone), so they are acknowledged late: a worker that dies mid-run leaves the
task to be redelivered, and the redo creates only what is still missing.
"""

import logging

from celery import shared_task

from tenancy.tasks import TenantTask

from .models import GENERATION_TIME_LIMIT, GenerationRun, GenerationTrigger
from .services import escalations, sla_clock
from .services.generation import (
    catch_up_period,
    generation_run,
    generation_run_process,
    stranded_run_ids,
)

logger = logging.getLogger(__name__)

# The hard limit is what the run page takes as "stopped before finishing" (models.RunStatus).
_LIMIT = int(GENERATION_TIME_LIMIT.total_seconds())
TIME_LIMITS = {"soft_time_limit": _LIMIT - 5 * 60, "time_limit": _LIMIT}


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
    summary = _summary(run)
    # Runs recorded but never done (the worker or broker was down when "Generate" was pressed,
    # or a worker died): their periods may reach back before today, which the daily period
    # does not; process them as they were asked for.
    summary["stranded_runs"] = []
    for run_id in stranded_run_ids(tenant=self.tenant):
        try:
            generation_run_process(tenant=self.tenant, run_id=run_id)
        except Exception:  # recorded on the run (its page says why); the others still go
            logger.exception("Stranded generation run %s failed again", run_id)
            continue
        summary["stranded_runs"].append(run_id)
    return summary


@shared_task(
    base=TenantTask,
    bind=True,
    name="service_orders.generate_orders_for_run",
    acks_late=True,
    **TIME_LIMITS,
)
def generate_orders_for_run(self, *, tenant_id: int, run_id: int) -> dict | None:
    """The "Generate" button's run (recorded by the request), processed in the background.
    A run that is finished already is left as it is; None when there is no such run."""
    run = generation_run_process(tenant=self.tenant, run_id=run_id)
    return _summary(run) if run is not None else None


@shared_task(
    base=TenantTask,
    bind=True,
    name="service_orders.sla_sweep",
    acks_late=True,
    soft_time_limit=50,
    time_limit=58,
)
def sla_sweep(self, *, tenant_id: int) -> int:
    """Every minute per tenant (beat through tenancy.fan_out): escalate the SLA clocks whose next
    level is due. Exactly once per order and level whatever runs twice (services/escalations)."""
    with self.scope():
        return escalations.sweep(tenant=self.tenant)


@shared_task(
    base=TenantTask,
    bind=True,
    name="service_orders.recompute_sla_clocks",
    acks_late=True,
)
def recompute_sla_clocks(
    self, *, tenant_id: int, calendar_id: int | None = None, sla_id: int | None = None
) -> dict:
    """After an SLA or calendar edit: recompute the open clocks it affects, one savepoint each
    (a failing clock does not stop the rest). Idempotent: a recompute derives everything from
    the order's facts, so a redelivered task gives the same result."""
    with self.scope():
        done, failed = sla_clock.clocks_recompute(
            tenant=self.tenant, calendar_id=calendar_id, sla_id=sla_id
        )
    if failed:
        logger.warning("SLA clocks of tenant %s: %s failed to recompute", tenant_id, failed)
    return {"recomputed": done, "failed": failed}
