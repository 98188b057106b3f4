"""Benchmark: the SLA escalation sweep over 1,000,000 open clocks, and one order's due time.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/sla_sweep.py   (or: make bench-sla)

Works in a scratch database (the configured one's name + "_bench_sla"), created, migrated and
dropped again. Data: TENANTS tenants (100) with CLOCKS_PER_TENANT open orders each (10,000: one
million in all), every order with a running SLA clock; DUE_PERCENT (1 %) of the clocks have
their next escalation level due, the others are due in 1–30 days. Each SLA has two levels (75 %
to the dispatchers, 100 % to the service managers); each tenant has a dispatcher and a manager.
Orders and clocks are inserted set-based (``INSERT … SELECT`` over ``generate_series``) inside
each tenant's scope, so row-level security checks every row as it does for the app.

Timed, tenant by tenant (what the every-minute task does for each tenant):

1. **sweep** — ``service_orders.services.escalations.sweep`` in the tenant's scope: selects the
   due clocks, records their escalations, notifies the level's people (notifications and e-mails
   on commit, locmem backend) and moves the clocks to their next level — a fixed handful of
   statements per batch;
2. **due selection** — the sweep's own due query (the indexed ``next_escalation_at <= now``,
   ``FOR UPDATE SKIP LOCKED``), on another set of due clocks;
3. **SQL floor** — the plain indexed SELECT of the same due rows' ids.

Then the due time of one order whose clock paused 20 times across a month, on a calendar with
a lunch break and holidays (``sla.clock.due_at``), median of REPEAT calls.
"""

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")

import common  # noqa: E402

TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
CLOCKS_PER_TENANT = int(os.environ.get("BENCH_CLOCKS", "10000"))
DUE_PERCENT = 1
REPEAT = 1000

# Every column of an order but id and number is copied from the tenant's template order.
ORDERS_SQL = """
INSERT INTO service_orders_serviceorder ({columns}, number)
SELECT {columns}, 'SO-B' || lpad(g::text, 7, '0')
FROM service_orders_serviceorder t, generate_series(1, %(count)s) AS g
WHERE t.tenant_id = %(tenant)s AND t.id = %(template)s
"""

CLOCKS_SQL = """
INSERT INTO service_orders_orderclock (
    tenant_id, order_id, sla_id, sla_source, calendar_id, priority, response_target,
    resolution_target, warning_percent, created_at, started_at, responded_at, response_due,
    resolution_due, paused_since, stopped_at, used, used_as_of, status, breached_at, decided_at,
    late_reason, next_escalation_at, next_escalation_percent, recomputed_at)
SELECT o.tenant_id, o.id, %(sla)s, 'tenant', NULL, 'normal', NULL,
       interval '8 hours', 75, %(now)s - interval '2 days', %(now)s - interval '2 days', NULL,
       NULL, %(now)s + interval '1 day', NULL, NULL, interval '0', %(now)s, 'on_track', NULL,
       NULL, '',
       CASE WHEN o.id %% 100 < %(due)s THEN %(now)s - (o.id %% 50) * interval '1 minute'
            ELSE %(now)s + (1 + o.id %% 30) * interval '1 day' END,
       75, NULL
FROM service_orders_serviceorder o
WHERE o.tenant_id = %(tenant)s AND o.number LIKE 'SO-B%%'
"""

FLOOR_SQL = """
SELECT id FROM service_orders_orderclock
WHERE tenant_id = %s AND next_escalation_at <= %s
ORDER BY next_escalation_at, id LIMIT 500
"""


def build(now):
    from django.db import connection

    from service_orders.models import ServiceOrder
    from sla.models import EscalationLevel, EscalationRole
    from tenancy.context import platform_scope, tenant_scope
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role
    from tests.factories import CustomerFactory, ServiceLevelAgreementFactory, ServiceOrderFactory

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'service_orders_serviceorder' AND column_name NOT IN ('id', 'number')"
        )
        columns = ", ".join(f'"{row[0]}"' for row in cursor.fetchall())
    tenants = []
    for n in range(TENANTS):
        slug = f"sla{n:03d}"
        with platform_scope():
            tenant = Tenant.objects.create(
                slug=slug, code=slug, name=f"SLA {n}", time_zone="Europe/Warsaw"
            )
            for role in (Role.DISPATCHER, Role.SERVICE_MANAGER):
                user = User.objects.create_user(email=f"{role}@{slug}.test", password=None)
                Membership.objects.create(tenant=tenant, user=user, role=role)
        with tenant_scope(tenant):
            sla = ServiceLevelAgreementFactory(tenant=tenant)
            EscalationLevel.objects.create(
                tenant=tenant, sla=sla, percent=75, role=EscalationRole.DISPATCHER
            )
            EscalationLevel.objects.create(
                tenant=tenant, sla=sla, percent=100, role=EscalationRole.SERVICE_MANAGER
            )
            template = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant))
            with connection.cursor() as cursor:
                cursor.execute(
                    ORDERS_SQL.format(columns=columns),
                    {"tenant": tenant.pk, "template": template.pk, "count": CLOCKS_PER_TENANT},
                )
                cursor.execute(
                    CLOCKS_SQL,
                    {"tenant": tenant.pk, "sla": sla.pk, "now": now, "due": DUE_PERCENT},
                )
            ServiceOrder.objects.filter(pk=template.pk).delete()
        tenants.append(tenant)
    return tenants


def measured(step):
    """``common.measured`` plus this process's CPU time: (rows, seconds, cpu seconds, queries).
    On a shared, loaded machine the wall time waits for the CPU; the process time does not
    (PostgreSQL's own work is in the wall time only)."""
    began = time.process_time()
    rows, seconds, queries = common.measured(step)
    return rows, seconds, time.process_time() - began, queries


def measure_sweeps(tenants, now) -> list[tuple[str, int, float, float, float, int]]:
    from django.db import connection, transaction

    from service_orders.services.escalations import due_clocks, sweep
    from tenancy.context import tenant_scope

    sweeps, selections, floors = [], [], []
    # The next sweeps' due rows: a day later the clocks moved to their 100 % level are due,
    # and those due in one day.
    later = now + datetime.timedelta(days=1)
    for tenant in tenants:
        with tenant_scope(tenant):
            sweeps.append(measured(lambda t=tenant: sweep(tenant=t, now=now)))
        with tenant_scope(tenant):

            def select(t=tenant, later=later):
                with transaction.atomic():
                    return len(
                        list(
                            due_clocks(tenant=t, now=later, limit=500)
                            .select_related("order__customer", "calendar")
                            .select_for_update(skip_locked=True, of=("self",))
                        )
                    )

            selections.append(measured(select))

            def floor(t=tenant, later=later):
                with connection.cursor() as cursor:
                    cursor.execute(FLOOR_SQL, [t.pk, later])
                    return len(cursor.fetchall())

            floors.append(measured(floor))
    result = []
    for name, runs in (("sweep", sweeps), ("due selection", selections), ("SQL floor", floors)):
        result.append(
            (
                name,
                sum(r for r, _s, _c, _q in runs) // len(runs),
                common.median([s for _r, s, _c, _q in runs]),
                max(s for _r, s, _c, _q in runs),
                common.median([c for _r, _s, c, _q in runs]),
                sum(q for _r, _s, _c, q in runs) // len(runs),
            )
        )
    return result


def measure_due_time() -> tuple[float, float]:
    from sla import clock

    lunch = (
        clock.Window(datetime.time(8), datetime.time(12)),
        clock.Window(datetime.time(13), datetime.time(17)),
    )
    calendar = clock.Calendar(
        "Europe/Warsaw",
        dict.fromkeys(range(5), lunch),
        frozenset({datetime.date(2026, 11, 1), datetime.date(2026, 11, 11)}),
    )
    start = datetime.datetime(2026, 11, 2, 7, 30, tzinfo=datetime.UTC)
    pauses = [
        (
            start + datetime.timedelta(hours=36 * n + 3),
            start + datetime.timedelta(hours=36 * n + 20),
        )
        for n in range(20)
    ]
    target = datetime.timedelta(hours=80)
    durations = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        clock.due_at(calendar, start, target, pauses)
        durations.append(time.perf_counter() - began)
    return common.median(durations), common.p95(durations)


def main() -> None:
    config, scratch, _reused = common.create_scratch_database("_bench_sla")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        now = timezone.now()
        started = time.perf_counter()
        tenants = build(now)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"Built {TENANTS} tenants × {CLOCKS_PER_TENANT} open clocks "
            f"({TENANTS * CLOCKS_PER_TENANT:,}; {DUE_PERCENT} % due) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        print(common.machine_line())
        rows = measure_sweeps(tenants, now)
        floor = rows[-1][2]
        print(
            f"{'step (per tenant)':<16} {'rows':>6} {'median s':>9} {'max s':>8} "
            f"{'cpu s':>8} {'queries':>8} {'× floor':>8}"
        )
        for name, count, median, worst, cpu, queries in rows:
            print(
                f"{name:<16} {count:>6} {median:>9.4f} {worst:>8.4f} {cpu:>8.4f} {queries:>8} "
                f"{median / floor:>8.1f}"
            )
        median, p95 = measure_due_time()
        print(
            f"due time, 20 pauses across a month: median {median * 1000:.3f} ms, "
            f"p95 {p95 * 1000:.3f} ms ({REPEAT} calls)"
        )
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
