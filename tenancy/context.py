"""The database side of tenancy: which tenant the current transaction may see.

PostgreSQL row-level security compares every tenant table's ``tenant_id`` with the
transaction-local setting ``app.tenant_id``; ``app.bypass_rls = 'on'`` is the platform admin's
explicit bypass. Both are set with ``set_config(..., true)``, so they vanish at commit or
rollback and can never leak into the next request or task on the same connection.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from .models import Tenant

# The tenant the running code works for (request or task); None outside both.
current_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_tenant_id", default=None
)

_SWITCH_SQL = """
    SELECT current_setting('app.tenant_id', true), current_setting('app.bypass_rls', true),
           set_config('app.tenant_id', %s, true), set_config('app.bypass_rls', %s, true)
"""
_RESTORE_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.bypass_rls', %s, true)"
)


@contextmanager
def _rls_scope(tenant_id: int | None, bypass: bool) -> Iterator[None]:
    with transaction.atomic():
        nested = connection.in_atomic_block and len(connection.savepoint_ids) > 0
        with connection.cursor() as cursor:
            cursor.execute(
                _SWITCH_SQL,
                ["" if tenant_id is None else str(tenant_id), "on" if bypass else "off"],
            )
            previous_tenant, previous_bypass = cursor.fetchone()[:2]
        token = current_tenant_id.set(tenant_id)
        try:
            yield
        finally:
            current_tenant_id.reset(token)
        # An outermost transaction drops the local settings at its end; a released savepoint
        # keeps them for the enclosing transaction, so put the old ones back. (On an exception
        # the savepoint is rolled back, which restores them by itself.)
        if nested and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(_RESTORE_SQL, [previous_tenant or "", previous_bypass or ""])


@contextmanager
def tenant_scope(tenant: Tenant | int) -> Iterator[None]:
    """Run the block in a transaction that sees only ``tenant``'s rows."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    with _rls_scope(tenant_id, bypass=False):
        yield


@contextmanager
def platform_scope() -> Iterator[None]:
    """Run the block in a transaction that sees every tenant's rows (platform admin, seeding)."""
    with _rls_scope(None, bypass=True):
        yield
