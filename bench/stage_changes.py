"""Benchmark: 1,000 concurrent stage changes on distinct orders from 20 connections.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/stage_changes.py   (or: make bench)

Works in a scratch database (the configured one's name + "_bench_stages"), created, migrated and
dropped again by this script. Data: the tenant of bench/order_data.py (100,000 orders with
300,000 lines). Then CHANGES orders at the stage "New" are moved to "Scheduled" by CONNECTIONS
threads at once, each with its own database connection, each change through the real transition
service (``service_orders.services.stages.order_stage_move``: row lock, re-check, stage log and
activity log in the same transaction) in the tenant's scope. The orders are dealt out in turn,
so that neighbouring orders (same index pages) are changed by different connections at the
same moment.

Checked afterwards (the script fails otherwise): no error and no deadlock (PostgreSQL's own
deadlock counter for the database did not move), every order moved exactly once (at
"Scheduled", one new stage log row and one activity log row each), stage log rows = CHANGES.

Floor: another CHANGES "New" orders moved with one UPDATE and one INSERT … SELECT of their
stage log rows, in one transaction: the least work PostgreSQL can do for the same rows.
"""

import datetime
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")

import common  # noqa: E402
import order_data  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", "100000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
CHANGES = 1000
CONNECTIONS = 20


def _new_orders(data, count: int, exclude=()) -> list[int]:
    from service_orders.models import ServiceOrder
    from tenancy.context import tenant_scope

    with tenant_scope(data.tenant):
        return list(
            ServiceOrder.objects.for_tenant(data.tenant)
            .filter(stage=data.stages["new"])
            .exclude(pk__in=list(exclude))
            .order_by("preferred_date", "id")
            .values_list("pk", flat=True)[:count]
        )


def _deadlocks() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def concurrent_changes(data, order_ids: list[int]) -> dict:
    """Move every order of ``order_ids`` from New to Scheduled from CONNECTIONS threads."""
    from django.db import connection

    from service_orders.services.stages import order_stage_move
    from tenancy.context import tenant_scope

    tenant, by, to_stage = data.tenant, data.dispatcher, data.stages["scheduled"]
    shares = [order_ids[n::CONNECTIONS] for n in range(CONNECTIONS)]
    start = threading.Barrier(CONNECTIONS + 1)
    durations: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(share: list[int]) -> None:
        mine, failed = [], []
        try:
            connection.ensure_connection()  # connect before the start, not on the clock
            start.wait()
            for order_id in share:
                began = time.perf_counter()
                try:
                    with tenant_scope(tenant):
                        order_stage_move(
                            tenant=tenant, order_id=order_id, to_stage_id=to_stage.pk, by=by
                        )
                except Exception as exc:  # every failure is reported, none may happen
                    failed.append(f"{order_id}: {type(exc).__name__}: {exc}")
                mine.append(time.perf_counter() - began)
        finally:
            connection.close()
            with lock:
                durations.extend(mine)
                errors.extend(failed)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - began, "durations": durations, "errors": errors}


def verify(data, order_ids: list[int], since) -> int:
    """Every order moved exactly once; returns the stage log rows written."""
    from service_orders.models import ServiceOrder, StageLog, StageLogKind
    from tenancy.context import tenant_scope
    from tenancy.models import AuditEvent

    with tenant_scope(data.tenant):
        at_scheduled = (
            ServiceOrder.objects.for_tenant(data.tenant)
            .filter(pk__in=order_ids, stage=data.stages["scheduled"], state="scheduled")
            .count()
        )
        logs = StageLog.objects.for_tenant(data.tenant).filter(
            order_id__in=order_ids, kind=StageLogKind.STAGE, at__gte=since
        )
        log_rows = logs.count()
        per_order = set(logs.values_list("order_id", flat=True))
        audits = (
            AuditEvent.objects.for_tenant(data.tenant)
            .filter(action="order.stage", target_id__in=order_ids, created_at__gte=since)
            .count()
        )
    assert at_scheduled == len(order_ids), (at_scheduled, len(order_ids))
    assert log_rows == len(order_ids) == len(per_order), (log_rows, len(per_order))
    assert audits == len(order_ids), audits
    return log_rows


FLOOR_SQL = """
WITH moved AS (
    UPDATE service_orders_serviceorder SET stage_id = %(to)s, state = 'scheduled'
    WHERE tenant_id = %(tenant)s AND id = ANY(%(ids)s) AND stage_id = %(from)s
    RETURNING tenant_id, id
)
INSERT INTO service_orders_stagelog (
    tenant_id, order_id, kind, from_stage_id, to_stage_id, from_state, to_state,
    reason_code_id, reason_text, by_id, at)
SELECT tenant_id, id, 'stage', %(from)s, %(to)s, 'new', 'scheduled', NULL, '', %(by)s, now()
FROM moved
"""


def sql_floor(data, order_ids: list[int]) -> int:
    from django.db import connection

    from tenancy.context import tenant_scope

    params = {
        "tenant": data.tenant.pk,
        "ids": order_ids,
        "from": data.stages["new"].pk,
        "to": data.stages["scheduled"].pk,
        "by": data.dispatcher.pk,
    }
    with tenant_scope(data.tenant), connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, params)
        return cursor.rowcount


def main() -> None:
    config, scratch, reused = common.create_scratch_database("_bench_stages")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        if reused:
            data = order_data.load_tenant(slug="bench")
        else:
            data = order_data.build_tenant(
                slug="bench", orders=ORDERS, customers=CUSTOMERS, today=datetime.date.today()
            )
        order_data.vacuum_analyze()
        print(
            f"{'Reused' if reused else 'Built'} {data.orders} orders with {data.lines} lines "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        order_ids = _new_orders(data, CHANGES)
        floor_ids = _new_orders(data, CHANGES, exclude=order_ids)
        assert len(order_ids) == len(floor_ids) == CHANGES, (len(order_ids), len(floor_ids))

        deadlocks_before = _deadlocks()
        since = timezone.now()
        result = concurrent_changes(data, order_ids)
        connection.close()
        deadlocks = _deadlocks() - deadlocks_before
        assert not result["errors"], result["errors"][:10]
        assert deadlocks == 0, deadlocks
        log_rows = verify(data, order_ids, since)

        rows, floor_seconds, _ = common.measured(lambda: sql_floor(data, floor_ids))
        assert rows == CHANGES, rows

        durations = result["durations"]
        print()
        print(common.machine_line())
        print(
            f"{CHANGES} stage changes (New → Scheduled) on distinct orders from "
            f"{CONNECTIONS} connections; stage log rows written: {log_rows}; "
            f"errors: {len(result['errors'])}; deadlocks: {deadlocks}"
        )
        print()
        header = ("step", "changes", "seconds", "changes/s", "median ms", "p95 ms", "× floor")
        print(f"| {header[0]:<30} | {' | '.join(f'{h:>9}' for h in header[1:])} |")
        print(f"|{'-' * 32}|" + "|".join(["-" * 11] * 6) + "|")
        seconds = result["seconds"]
        print(
            f"| {'20 connections, the service':<30} | {CHANGES:>9} | {seconds:>9.2f} | "
            f"{CHANGES / seconds:>9.0f} | {common.median(durations) * 1000:>9.1f} | "
            f"{common.p95(durations) * 1000:>9.1f} | {seconds / floor_seconds:>9.1f} |"
        )
        print(
            f"| {'SQL floor (1 transaction)':<30} | {rows:>9} | {floor_seconds:>9.2f} | "
            f"{rows / floor_seconds:>9.0f} | {'':>9} | {'':>9} | {1.0:>9.1f} |"
        )
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
