"""Benchmark: the structure of a service object as of a date, and the resolution suggestions.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/repairs.py   (or: make bench-repairs)

Works in a scratch database (the configured one's name + "_bench_repairs"), created, migrated
and dropped again. BENCH_REPAIR_LINES scales the repair lines down for a quick look.

1. as of: one object whose service BOM went through 500 changes (made by the service, as
   technicians make them: 20 parts from a BOM version, then 480 replacements over four years);
   ``service_bom_as_of`` at 200 random moments, timed one by one (median, p95, queries). Floor:
   the same rows read by one plain SQL statement through a cursor.
2. suggestions: 1,000,000 finished repair lines (50 items × 40 symptoms × 30 resolutions, made
   by INSERT … SELECT) and the aggregate the closing service keeps for them (built here by one
   GROUP BY, as the service's upserts would have left it); ``selectors.suggestions`` for 200
   random (item, symptom) pairs. Floor: the same read by plain SQL. For contrast, the answer
   computed from the repair lines themselves (what the aggregate avoids), on 20 pairs.

Prints a table: rows, median and p95 seconds, queries per call, ratio to the floor.
Targets (docs/performance.md): as of ≤ 100 ms median in a constant number of queries;
suggestions ≤ 50 ms.
"""

import datetime
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

REPAIR_LINES = int(os.environ.get("BENCH_REPAIR_LINES", "1000000"))
HISTORY = 500
CALLS = 200
ITEMS, SYMPTOMS, RESOLUTIONS = 50, 40, 30


def build_history():
    """A tenant, an object and 500 BOM history rows through the service."""
    from customers.models import Customer, Item, ServiceObject
    from repairs import services
    from repairs.models import BomAction, BomHistory
    from tenancy.context import platform_scope, tenant_scope
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role

    with platform_scope():
        tenant = Tenant.objects.create(
            slug="bench", code="bench", name="Bench", time_zone="Europe/Warsaw"
        )
        manager = User.objects.create_user(email="manager@bench.test", password=None)
        Membership.objects.create(tenant=tenant, user=manager, role=Role.SERVICE_MANAGER)
    rng = random.Random(13)  # noqa: S311 - reproducible data, not secrets
    with tenant_scope(tenant):
        machine = Item.objects.create(tenant=tenant, number="M-1", name="Machine")
        parts = [
            Item.objects.create(tenant=tenant, number=f"P-{n:03d}", name=f"Part {n}")
            for n in range(60)
        ]
        customer = Customer.objects.create(tenant=tenant, number="C-1", name="Customer")
        obj = ServiceObject.objects.create(
            tenant=tenant, number="O-1", name="Object", customer=customer, item=machine
        )
        start = datetime.datetime(2022, 1, 3, 8, tzinfo=tenant.zone)
        version = services.bom_version_create(
            tenant=tenant, by=manager, item=machine, data={"valid_from": start.date()}
        )
        for part in parts[:20]:
            services.bom_line_add(
                tenant=tenant, by=manager, version_id=version.pk, item=part, quantity=Decimal(1)
            )
        services.bom_version_approve(tenant=tenant, by=manager, version_id=version.pk)
        services.bom_version_activate(tenant=tenant, by=manager, version_id=version.pk)
        services.service_bom_create(tenant=tenant, by=manager, object_id=obj.pk, at=start)
        at = start
        for _ in range(HISTORY - 20):
            at += datetime.timedelta(hours=rng.randint(20, 120))
            current = services.selectors.service_bom_current(tenant=tenant, obj=obj)
            services.service_bom_change(
                tenant=tenant,
                by=manager,
                object_id=obj.pk,
                change=services.PartChange(
                    action=BomAction.REPLACE,
                    line_id=rng.choice(current).pk,
                    item=rng.choice(parts),
                    quantity=Decimal(rng.randint(1, 4)),
                ),
                at=at,
            )
        rows = BomHistory.objects.for_tenant(tenant).filter(service_object=obj).count()
    return tenant, obj, start, at, rows


def build_repair_lines(tenant):
    """REPAIR_LINES finished repair lines and the aggregate over them (plain SQL)."""
    from django.db import connection

    from customers.models import Customer, Item, ServiceObject
    from repairs.models import RepairStage, Resolution, SymptomArea, SymptomCode
    from service_orders.models import ServiceOrder
    from service_orders.services.stages import stage_tree_ensure
    from tenancy.context import tenant_scope

    with tenant_scope(tenant):
        stage_tree_ensure(tenant=tenant)
        customer = Customer.objects.for_tenant(tenant).get()
        items = [
            Item.objects.create(tenant=tenant, number=f"E-{n:03d}", name=f"Equipment {n}")
            for n in range(ITEMS)
        ]
        objects = [
            ServiceObject.objects.create(
                tenant=tenant, number=f"OB-{n:03d}", name=f"Unit {n}", customer=customer, item=item
            )
            for n, item in enumerate(items)
        ]
        area = SymptomArea.objects.create(tenant=tenant, code="A", name="Area")
        symptoms = [
            SymptomCode.objects.create(tenant=tenant, area=area, code=f"S{n}", name=f"Symptom {n}")
            for n in range(SYMPTOMS)
        ]
        resolutions = [
            Resolution.objects.create(tenant=tenant, code=f"R{n}", name=f"Resolution {n}")
            for n in range(RESOLUTIONS)
        ]
        done = RepairStage.objects.create(tenant=tenant, code="done", name="Done", is_finished=True)
        order = ServiceOrder.objects.create(
            tenant=tenant, number="SO-1", customer=customer, description="Repairs"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO repairs_repairline (
                    tenant_id, kind, description, service_object_id, item_id, quantity, unit,
                    unit_price, order_id, title, note, symptom_area_id, symptom_code_id,
                    resolution_id, stage_id, created_at, finished_at)
                SELECT %(tenant)s, 'hour', 'Repair', (%(objects)s)[1 + g %% %(n_items)s],
                       (%(items)s)[1 + g %% %(n_items)s], 1, '', 0, %(order)s, 'Repair', '',
                       %(area)s, (%(symptoms)s)[1 + (g / %(n_items)s) %% %(n_symptoms)s],
                       -- a skewed choice, so the counts differ as they do in life
                       (%(resolutions)s)[1 + floor(%(n_res)s * power(random(), 2))::int],
                       %(stage)s, now() - make_interval(mins => g), now() - make_interval(mins => g)
                FROM generate_series(1, %(count)s) AS g
                """,
                {
                    "tenant": tenant.pk,
                    "objects": [o.pk for o in objects],
                    "items": [i.pk for i in items],
                    "n_items": ITEMS,
                    "order": order.pk,
                    "area": area.pk,
                    "symptoms": [s.pk for s in symptoms],
                    "n_symptoms": SYMPTOMS,
                    "resolutions": [r.pk for r in resolutions],
                    "n_res": RESOLUTIONS,
                    "stage": done.pk,
                    "count": REPAIR_LINES,
                },
            )
            cursor.execute(
                """
                INSERT INTO repairs_resolutionstat
                    (tenant_id, item_id, symptom_code_id, resolution_id, count, last_at)
                SELECT tenant_id, item_id, symptom_code_id, resolution_id, count(*),
                       max(finished_at)
                FROM repairs_repairline
                WHERE tenant_id = %s AND finished_at IS NOT NULL
                GROUP BY tenant_id, item_id, symptom_code_id, resolution_id
                """,
                [tenant.pk],
            )
    return [i.pk for i in items], [s.pk for s in symptoms]


def timed(calls):
    """[(seconds, queries)] of each call."""
    from django.db import connection

    out = []
    for call in calls:
        counter = common.QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            call()
            out.append((time.perf_counter() - started, counter.count))
    return out


def run(tenant, obj, start, end, items, symptoms):
    from django.db import connection

    from repairs import selectors
    from tenancy.context import tenant_scope

    rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets
    span = (end - start).total_seconds()
    moments = [start + datetime.timedelta(seconds=rng.uniform(0, span)) for _ in range(CALLS)]
    pairs = [(rng.choice(items), rng.choice(symptoms)) for _ in range(CALLS)]
    rows = {}
    with tenant_scope(tenant):
        as_of = timed(
            lambda m=m: rows.__setitem__(
                "as_of", len(selectors.service_bom_as_of(tenant=tenant, obj=obj, at=m))
            )
            for m in moments
        )

        def floor_as_of(m):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT l.id, l.slot, l.parent_slot, l.quantity, l.serial_number, i.number, "
                    "i.name FROM repairs_servicebomline l JOIN customers_item i "
                    "ON i.tenant_id = l.tenant_id AND i.id = l.item_id "
                    "WHERE l.tenant_id = %s AND l.service_object_id = %s AND l.installed_at <= %s "
                    "AND (l.removed_at IS NULL OR l.removed_at > %s)",
                    [tenant.pk, obj.pk, m, m],
                )
                cursor.fetchall()

        as_of_floor = timed(lambda m=m: floor_as_of(m) for m in moments)
        suggest = timed(
            lambda p=p: selectors.suggestions(tenant=tenant, item_id=p[0], symptom_code_id=p[1])
            for p in pairs
        )

        def floor_suggest(p):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT s.count, r.id, r.name FROM repairs_resolutionstat s "
                    "JOIN repairs_resolution r ON r.tenant_id = s.tenant_id "
                    "AND r.id = s.resolution_id WHERE s.tenant_id = %s AND s.item_id = %s "
                    "AND s.symptom_code_id = %s AND r.is_active ORDER BY s.count DESC, "
                    "r.position, r.code LIMIT 5",
                    [tenant.pk, p[0], p[1]],
                )
                cursor.fetchall()

        suggest_floor = timed(lambda p=p: floor_suggest(p) for p in pairs)

        def scan(p):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT resolution_id, count(*) FROM repairs_repairline WHERE tenant_id = %s "
                    "AND item_id = %s AND symptom_code_id = %s AND finished_at IS NOT NULL "
                    "GROUP BY resolution_id ORDER BY 2 DESC LIMIT 5",
                    [tenant.pk, p[0], p[1]],
                )
                cursor.fetchall()

        scanned = timed(lambda p=p: scan(p) for p in pairs[:20])
    return [
        ("structure as of a date", HISTORY, as_of, as_of_floor),
        ("suggestions (aggregate)", REPAIR_LINES, suggest, suggest_floor),
        ("suggestions from the lines (contrast)", REPAIR_LINES, scanned, suggest_floor),
    ]


def print_table(results) -> None:
    print()
    print(common.machine_line())
    print()
    print("| step | rows | median ms | p95 ms | queries/call | floor median ms | ratio to floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows, measured, floor in results:
        seconds = [s for s, _ in measured]
        queries = sorted({q for _, q in measured})
        floor_median = common.median([s for s, _ in floor])
        print(
            f"| {name} | {rows:,} | {common.median(seconds) * 1000:.2f} | "
            f"{common.p95(seconds) * 1000:.2f} | {'/'.join(map(str, queries))} | "
            f"{floor_median * 1000:.2f} | {common.median(seconds) / floor_median:.1f}× |"
        )


def main() -> None:
    config, scratch, _reused = common.create_scratch_database("_bench_repairs")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        tenant, obj, start, end, history = build_history()
        print(f"{history} BOM history rows in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        items, symptoms = build_repair_lines(tenant)
        print(f"{REPAIR_LINES:,} repair lines in {time.perf_counter() - started:.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print_table(run(tenant, obj, start, end, items, symptoms))
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
