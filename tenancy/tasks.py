"""Celery plumbing for per-tenant work.

A per-tenant task takes ``tenant_id`` as a keyword argument and never inherits a tenant from
the task that ran before it on the same worker: ``TenantTask`` loads the tenant, exposes it as
``self.tenant`` and the ``current_tenant_id`` context variable, and resets both in ``finally``.
Database work goes inside ``with self.scope():`` (a transaction with ``app.tenant_id`` set), one
scope per unit of work, so a long job commits in chunks and one bad record does not undo the rest.
"""

from celery import Task, shared_task

from .context import current_tenant_id, tenant_scope
from .models import Tenant


class TenantTask(Task):
    abstract = True
    tenant: Tenant | None = None

    def __call__(self, *args, **kwargs):
        tenant_id = kwargs.get("tenant_id")
        if not isinstance(tenant_id, int):
            raise TypeError(f"{self.name} needs tenant_id=<int> as a keyword argument")
        token = current_tenant_id.set(tenant_id)
        self.tenant = Tenant.objects.get(pk=tenant_id, is_active=True)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.tenant = None
            current_tenant_id.reset(token)

    def scope(self):
        return tenant_scope(self.tenant)


def active_tenant_ids() -> list[int]:
    return list(Tenant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


@shared_task(name="tenancy.fan_out")
def fan_out(task_name: str, **kwargs) -> int:
    """Beat's entry point for per-tenant jobs: enqueue ``task_name`` once per active tenant."""
    from celery import current_app

    task = current_app.tasks[task_name]
    tenant_ids = active_tenant_ids()
    for tenant_id in tenant_ids:
        task.apply_async(kwargs={**kwargs, "tenant_id": tenant_id})
    return len(tenant_ids)
