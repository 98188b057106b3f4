"""Statements Django builds internally, filtered by the tenant of the objects they concern.

Some statements come from Django's machinery without a hook to add a filter: the deletion
collector's ``DELETE ... WHERE id IN (...)`` and its related-object SELECTs and SET NULL
updates, ``bulk_update``'s ``UPDATE ... WHERE id IN (...)``, a reverse manager's bulk ``add``.
Code that knows the tenant of those objects (``TenantOwned.delete()``, the tenant querysets and
managers) runs them inside ``implicit_tenant_filter``; the SQL compilers then add
``tenant_id = <that tenant>`` to any statement on a tenant table that does not already
filter by it. The result is the same rows (row-level security already limits the transaction
to that tenant, and the objects are that tenant's), but the statement names its tenant, so a
database distributed by tenant can send it to one node.
"""

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_implicit_tenant_ids: contextvars.ContextVar[tuple[int, ...] | None] = contextvars.ContextVar(
    "implicit_tenant_ids", default=None
)


@contextmanager
def implicit_tenant_filter(tenant_ids: Iterable[int | None]) -> Iterator[None]:
    ids = tuple(sorted({int(tenant_id) for tenant_id in tenant_ids if tenant_id is not None}))
    token = _implicit_tenant_ids.set(ids or None)
    try:
        yield
    finally:
        _implicit_tenant_ids.reset(token)


def implicit_tenant_ids() -> tuple[int, ...] | None:
    return _implicit_tenant_ids.get()
