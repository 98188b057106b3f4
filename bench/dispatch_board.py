"""Benchmark: the dispatch board's week with 50 technicians and 2,000 visits.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/dispatch_board.py   (or: make bench)

Works in a scratch database (the configured one's name + "_bench_dispatch"), created, migrated
and dropped again by this script. Data: one tenant with 50 technicians in five teams, 2,000
visits in the measured week (each its own order, with an SLA clock), 300 more orders waiting in
the queue, and the weeks before and after filled the same way (history the board must not read);
a second tenant with its own 500 visits. Then, through Django's test client (the whole
middleware stack: session, tenant, its transaction with row-level security), signed in as the
dispatcher:

- board, week view: the 2,000 visits of the week and the queue;
- board, day view: one day of it;
- assign: a queued order dropped onto a free hour (a POST, answered with the redirect);
- move: a visit moved to another free hour and back (a POST each);
- change check: "anything new since version N in this week?" (the board's poll).

For each: rows, median and 95th percentile of the server time over REQUESTS requests (after
WARM_UP untimed ones), queries per request, the plain-SQL floor (the board's main queries run
raw in one transaction with the tenant set; for a change the same INSERT/UPDATE rows written by
hand), its ratio, and the Django process's median CPU time.

Targets (docs/performance.md): week ≤ 12 queries and ≤ 200 ms median (goal ≤ 8, ≤ 80 ms);
assign or move ≤ 50 ms; the change check ≤ 5 ms.
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

TECHNICIANS = int(os.environ.get("BENCH_TECHNICIANS", "50"))
VISITS = int(os.environ.get("BENCH_VISITS", "2000"))
QUEUED = 300
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
WARM_UP = 3
HOST = "127.0.0.1"
CPU: list[list[float]] = []
BUMP_VERSION = "UPDATE dispatch_boardversion SET version = version + 1 WHERE tenant_id = %s"


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def _at(tenant, day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tenant.zone)


def build_tenant(slug: str, technicians: int, visits: int, monday: datetime.date):
    """A tenant with ``technicians`` profiled technicians in five teams, ``visits`` visits in
    the week of ``monday`` and in each of the weeks before and after, and QUEUED open orders
    without a visit. Returns (tenant, dispatcher, profiles, queued order ids)."""
    from customers.models import Customer
    from dispatch.models import Appointment, Team, TechnicianProfile
    from service_orders.models import OrderClock, OrderState, ServiceOrder
    from service_orders.services.stages import default_tree, stage_tree_create
    from sla.models import ServiceLevelAgreement
    from tenancy.context import tenant_scope
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role

    tenant = Tenant.objects.create(
        slug=slug, code=slug, name=slug.title(), time_zone="Europe/Warsaw"
    )
    dispatcher = User.objects.create(email=f"dispatcher@{slug}.test")
    Membership.objects.create(tenant=tenant, user=dispatcher, role=Role.DISPATCHER)
    with tenant_scope(tenant):
        stage_tree_create(tenant=tenant, stages=default_tree())
        from service_orders.models import OrderStage

        scheduled = OrderStage.objects.for_tenant(tenant).get(code="scheduled")
        new = OrderStage.objects.for_tenant(tenant).get(code="new")
        teams = [Team.objects.create(tenant=tenant, name=f"Team {n}") for n in range(5)]
        profiles = []
        for n in range(technicians):
            user = User.objects.create(email=f"tech{n}@{slug}.test", first_name=f"Tech {n:02d}")
            Membership.objects.create(tenant=tenant, user=user, role=Role.TECHNICIAN)
            profiles.append(
                TechnicianProfile.objects.create(
                    tenant=tenant, user=user, team=teams[n % 5], skills=["gas", "hvac"][: n % 3]
                )
            )
        customers = Customer.objects.bulk_create(
            Customer(tenant=tenant, number=f"C-{n:05d}", name=f"Customer {n}") for n in range(200)
        )
        sla = ServiceLevelAgreement.objects.create(tenant=tenant, code="STD", name="Standard")
        weeks = (-1, 0, 1)
        total = visits * len(weeks) + QUEUED
        orders = ServiceOrder.objects.bulk_create(
            ServiceOrder(
                tenant=tenant,
                customer=customers[n % len(customers)],
                number=f"SO-{n:07d}",
                description=f"Visit {n}",
                state=OrderState.SCHEDULED if n < total - QUEUED else OrderState.NEW,
                stage=scheduled if n < total - QUEUED else new,
                priority=("high", "normal", "low")[n % 3],
            )
            for n in range(total)
        )
        now = datetime.datetime.now(datetime.UTC)
        OrderClock.objects.bulk_create(
            OrderClock(
                tenant=tenant,
                order=order,
                sla=sla,
                sla_source="tenant",
                priority=order.priority,
                resolution_target=datetime.timedelta(hours=24),
                warning_percent=75,
                created_at=now,
                started_at=now,
                used_as_of=now,
                resolution_due=now + datetime.timedelta(minutes=n),
            )
            for n, order in enumerate(orders)
        )
        rows = []
        per_day = max(1, visits // (technicians * 5))
        for w, week in enumerate(weeks):
            for n in range(visits):
                order = orders[w * visits + n]
                profile = profiles[n % technicians]
                slot = n // technicians
                day = monday + datetime.timedelta(days=7 * week + (slot // per_day) % 5)
                start = _at(tenant, day, 7 + (slot % per_day), 0)
                rows.append(
                    Appointment(
                        tenant=tenant,
                        order=order,
                        technician=profile,
                        start=start,
                        end=start + datetime.timedelta(minutes=50),
                        status="dispatched" if n % 2 else "planned",
                    )
                )
        Appointment.objects.bulk_create(rows, batch_size=2000)
    queued = [o.pk for o in orders[-QUEUED:]]
    return tenant, dispatcher, profiles, queued


def _timed(send, *, expect: int = 200) -> tuple[list[float], list[int]]:
    from django.db import connection

    for _ in range(WARM_UP):
        assert send(None).status_code == expect
    seconds, queries, cpu = [], [], []
    for n in range(REQUESTS):
        counter = common.QueryCounter()
        with connection.execute_wrapper(counter):
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = send(n)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
        assert response.status_code == expect, (response.status_code, response.content[:500])
        queries.append(counter.count)
    CPU.append(cpu)
    return seconds, queries


def _floor(tenant, statements, *, rollback: bool = False) -> list[float]:
    from django.db import connection, transaction

    runs = []
    for n in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL app.tenant_id = '{int(tenant.pk)}'")
            for sql_text, params in statements:
                cursor.execute(sql_text, params)
                if cursor.description:
                    cursor.fetchall()
            if rollback:
                transaction.set_rollback(True)
        if n >= WARM_UP:
            runs.append(time.perf_counter() - started)
    return runs


def _sql(queryset):
    sql_text, params = queryset.query.sql_with_params()
    return sql_text, list(params)


def run(tenant, dispatcher, profiles, queued, monday) -> list[tuple]:
    from django.urls import reverse

    from dispatch import selectors
    from dispatch.models import Appointment
    from tenancy.context import tenant_scope

    client = _client(dispatcher)
    board = reverse("dispatch:board")
    results = []
    week_start, week_end = _at(tenant, monday, 0), _at(tenant, monday + datetime.timedelta(7), 0)
    day = monday + datetime.timedelta(days=2)
    with tenant_scope(tenant):
        technicians = selectors.board_technicians(tenant=tenant)
        ids = [t.pk for t in technicians]
        week_visits = Appointment.objects.for_tenant(tenant).filter(
            start__lt=week_end, end__gt=week_start
        )
        shown_week = week_visits.count()
        floor_board = [
            _sql(
                selectors.TechnicianProfile.objects.for_tenant(tenant)
                .select_related("user", "team")
                .order_by("team__name", "user__first_name")
            ),
            _sql(
                Appointment.objects.for_tenant(tenant)
                .filter(technician_id__in=ids, start__lt=week_end, end__gt=week_start)
                .select_related("order", "order__customer")
            ),
        ]
    for label, params, rows in (
        ("board: week", {"view": "week", "date": monday.isoformat()}, shown_week),
        ("board: day", {"view": "day", "date": day.isoformat()}, None),
    ):
        seconds, queries = _timed(lambda n, p=params: client.get(board, p))
        if os.environ.get("BENCH_PROFILE") and label == "board: week":
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(client.get, board, params)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        response = client.get(board, params)
        shown = response.content.decode().count('data-testid="visit"')
        results.append((label, rows or shown, seconds, queries, _floor(tenant, floor_board)))

    # Assign: each request drops another queued order on a free evening hour of a technician.
    target = monday + datetime.timedelta(days=3)

    drops = iter(range(len(queued)))

    def assign(n):
        index = next(drops)
        profile = profiles[index % len(profiles)]
        hour = 18 + index // len(profiles)
        return client.post(
            reverse("dispatch:assign"),
            {
                "order": queued[index],
                "technician": profile.pk,
                "date": target.isoformat(),
                "time": f"{hour:02d}:00",
                "minutes": "45",
                "view": "week",
                "shown": monday.isoformat(),
                "confirmed": "on",
            },
        )

    seconds, queries = _timed(assign, expect=302)
    insert_floor = [
        (
            'INSERT INTO dispatch_appointment (tenant_id, order_id, technician_id, start, "end",'
            " status, window_reason, changed_at) VALUES (%s, %s, %s, %s, %s, 'planned', '', now())",
            [
                tenant.pk,
                queued[-1],
                profiles[0].pk,
                _at(tenant, target, 23),
                _at(tenant, target, 23, 45),
            ],
        ),
        (
            "UPDATE dispatch_boardversion SET version = version + 1 WHERE tenant_id = %s",
            [tenant.pk],
        ),
    ]
    results.append(
        ("assign (POST)", 1, seconds, queries, _floor(tenant, insert_floor, rollback=True))
    )

    with tenant_scope(tenant):
        visit = (
            Appointment.objects.for_tenant(tenant)
            .filter(technician=profiles[0], start__gte=week_start)
            .order_by("start")
            .first()
        )

    def move(n):
        hour = 20 if (n or 0) % 2 == 0 else 21
        return client.post(
            reverse("dispatch:move", args=[visit.pk]),
            {
                "technician": profiles[0].pk,
                "date": (monday + datetime.timedelta(days=4)).isoformat(),
                "time": f"{hour}:30",
                "view": "week",
                "shown": monday.isoformat(),
                "confirmed": "on",
            },
        )

    seconds, queries = _timed(move, expect=302)
    move_floor = [
        (
            "UPDATE dispatch_appointment SET start = start + interval '1 hour', "
            '"end" = "end" + interval \'1 hour\' WHERE tenant_id = %s AND id = %s',
            [tenant.pk, visit.pk],
        ),
        (
            "UPDATE dispatch_boardversion SET version = version + 1 WHERE tenant_id = %s",
            [tenant.pk],
        ),
    ]
    floor = _floor(tenant, move_floor, rollback=True)
    results.append(("move (POST)", 1, seconds, queries, floor))

    with tenant_scope(tenant):
        version = selectors.board_version(tenant=tenant)
    check = {"since": version, "start": week_start.isoformat(), "end": week_end.isoformat()}
    seconds, queries = _timed(lambda n: client.get(reverse("dispatch:changes"), check))
    check_floor = [
        ("SELECT version FROM dispatch_boardversion WHERE tenant_id = %s", [tenant.pk]),
    ]
    results.append(("change check", 1, seconds, queries, _floor(tenant, check_floor)))
    return results


def print_table(results) -> None:
    print()
    print(common.machine_line())
    print(
        f"{REQUESTS} requests each after {WARM_UP} untimed; server time in ms (median, p95); "
        "floor: the main statements raw (median); CPU: the Django process's median CPU time"
    )
    print()
    header = ("step", "rows", "median", "p95", "queries", "floor", "× floor", "CPU")
    print(f"| {header[0]:<16} | {' | '.join(f'{h:>7}' for h in header[1:])} |")
    print(f"|{'-' * 18}|" + "|".join(["-" * 9] * 7) + "|")
    for (label, rows, seconds, queries, floor), cpu in zip(results, CPU, strict=True):
        shown = f"{min(queries)}" if len(set(queries)) == 1 else f"{min(queries)}–{max(queries)}"
        med, floor_med = common.median(seconds), common.median(floor)
        print(
            f"| {label:<16} | {rows:>7} | {med * 1000:>7.1f} | {common.p95(seconds) * 1000:>7.1f}"
            f" | {shown:>7} | {floor_med * 1000:>7.2f} | {med / floor_med:>7.1f}"
            f" | {common.median(cpu) * 1000:>7.1f} |"
        )


def main() -> None:
    config, scratch, _ = common.create_scratch_database("_bench_dispatch")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = [HOST]
    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        today = datetime.date.today()
        monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=14)
        from tenancy.context import platform_scope

        with platform_scope():
            data = build_tenant("bench", TECHNICIANS, VISITS, monday)
            build_tenant("other", 10, 500, monday)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"Built {TECHNICIANS} technicians with {VISITS} visits a week over three weeks "
            f"(and another tenant's) in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        print_table(run(*data, monday))
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
