"""The database side of tenancy: which tenant the current transaction may see.

PostgreSQL row-level security compares every tenant table's ``tenant_id`` with the
transaction-local setting ``app.tenant_id``; ``app.bypass_rls = 'on'`` is the platform admin's
explicit bypass. Both are set with ``SET LOCAL``, so they vanish at commit or rollback and can
never leak into the next request or task on the same connection. ``SET LOCAL`` rather than
``set_config(..., true)`` because Citus propagates the former to its worker nodes (with
``citus.propagate_set_commands = 'local'``) and not the latter; see docs/scaling.md.
"""

import contextvars
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from .models import Tenant

# The tenant the running code works for (request or task); None outside both.
current_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_tenant_id", default=None
)
# True inside platform_scope(): the platform admin's explicit, cross-tenant bypass.
platform_bypass: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "platform_bypass", default=False
)

# The (tenant id, bypass) that the innermost of our scopes set on this thread's connection, so a
# nested scope asking for the same (a generation chunk inside its run, a service inside the
# request) costs a savepoint only, not three statements. None outside every scope.
_active_settings: contextvars.ContextVar[tuple[int | None, bool] | None] = contextvars.ContextVar(
    "active_tenant_settings", default=None
)

_READ_SQL = "SELECT current_setting('app.tenant_id', true), current_setting('app.bypass_rls', true)"
# What a setting may hold when we put it back: only values this module (or the test suite's
# session-level bypass) ever sets. Anything else is refused rather than interpolated.
_TENANT_VALUE = re.compile(r"\A[0-9]*\Z")
_BYPASS_VALUES = {"", "on", "off"}


def _set_local_sql(tenant_value: str, bypass_value: str) -> str:
    """SET takes no bind parameters, so the values are validated and interpolated."""
    if not _TENANT_VALUE.match(tenant_value) or bypass_value not in _BYPASS_VALUES:
        raise ValueError(f"refusing tenant setting {tenant_value!r} / {bypass_value!r}")
    return (
        f"SET LOCAL app.tenant_id = '{tenant_value}'; SET LOCAL app.bypass_rls = '{bypass_value}'"
    )


def _tenant_value(tenant_id: int | None) -> str:
    if tenant_id is None:
        return ""
    # bool is an int subclass; a tenant id of True is a bug, not tenant 1.
    if type(tenant_id) is not int or tenant_id <= 0:
        raise TypeError(f"tenant id must be a positive int, not {tenant_id!r}")
    return str(tenant_id)


@contextmanager
def _rls_scope(tenant_id: int | None, bypass: bool) -> Iterator[None]:
    tenant_value = _tenant_value(tenant_id)
    if connection.in_atomic_block and _active_settings.get() == (tenant_id, bypass):
        # Already set by the enclosing scope in this very transaction: nothing to change.
        with transaction.atomic():
            yield
        return
    with transaction.atomic():
        nested = connection.in_atomic_block and len(connection.savepoint_ids) > 0
        with connection.cursor() as cursor:
            previous = None
            if nested:
                cursor.execute(_READ_SQL)
                previous = [value or "" for value in cursor.fetchone()]
            cursor.execute(_set_local_sql(tenant_value, "on" if bypass else "off"))
        token = current_tenant_id.set(tenant_id)
        bypass_token = platform_bypass.set(bypass)
        settings_token = _active_settings.set((tenant_id, bypass))
        try:
            yield
        finally:
            _active_settings.reset(settings_token)
            platform_bypass.reset(bypass_token)
            current_tenant_id.reset(token)
        # An outermost transaction drops the local settings at its end; a released savepoint
        # keeps them for the enclosing transaction, so put the old ones back. (On an exception
        # the savepoint is rolled back, which restores them by itself.)
        if nested and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(_set_local_sql(*previous))


@contextmanager
def tenant_scope(tenant: Tenant | int) -> Iterator[None]:
    """Run the block in a transaction that sees only ``tenant``'s rows."""
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    with _rls_scope(tenant_id, bypass=False):
        yield


@contextmanager
def platform_scope() -> Iterator[None]:
    """Run the block in a transaction that sees every tenant's rows (platform admin, seeding)."""
    with _rls_scope(None, bypass=True):
        yield


def joins_as_written(view):
    """Plan this view's statements with their joins in the order they are written
    (``SET LOCAL join_collapse_limit = 1`` for the rest of the request's transaction).

    For a page that reads one record and what it refers to, every join goes from a row already
    found to a key, so the written order is the best one; PostgreSQL would otherwise try every
    order of up to eight tables, each with its row-level security condition: for the order
    page's header (seven tables) 2 ms of planning for a 0.1 ms read (docs/performance.md). Not
    for pages whose filters may sit on a joined table (lists, reports)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if connection.in_atomic_block:  # the request's transaction (TenantMiddleware)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL join_collapse_limit = 1")
        return view(request, *args, **kwargs)

    return wrapper
