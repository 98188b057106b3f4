"""Benchmark: one month of service orders for 10,000 agreement lines across 20 tenants, with
consolidation by time windows (weekly, monthly and quarterly lines on the same objects, exact,
same-week, same-month and ±2-day windows).

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/generate_orders.py   (or: make bench)

Works in a scratch database next to the configured one (its name + "_bench"), created, migrated
and dropped again by this script, so it never touches real data. Steps:

1. generate: ``generation_run`` for one month, tenant by tenant (what the daily job does);
2. re-run: the same again, which finds everything generated and creates nothing;
3. SQL floor: the very rows step 1 wrote (orders, lines, the orders' object and task relations
   and the run's notices), inserted again with one INSERT … SELECT per table from a prepared
   copy: the least work the database can do to store them.

Before timing, the month before is generated as history (untimed), as in steady operation.

Prints one row per step: rows, seconds, SQL queries, rows per second and the ratio to the floor,
then the CPU seconds of the step (this process and its PostgreSQL backend, read from /proc for a
local server) and their ratio to the floor's: on a shared machine the wall seconds mostly measure
the other work, the CPU seconds far less. The load average is printed with the table.
Targets (docs/performance.md): generate ≤ 10 s and ≤ 3 × the floor, re-run ≤ 2 s on a 2-core
machine.
"""

import datetime
import itertools
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import environ  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

TENANTS = 20
AGREEMENTS_PER_TENANT = 200
LINES_PER_TENANT = 500  # 100 agreements with 3 lines, 100 with 2
PERIOD = (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31))
# Generated beforehand, untimed: in steady operation the tables hold earlier months, and
# PostgreSQL plans its foreign-key checks for tables it believes empty very differently.
HISTORY = (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))
ORDERS, LINES = "service_orders_serviceorder", "service_orders_serviceorderline"
RUNS = "service_orders_generationrun"
# Written with the orders, keyed by order: (table, scratch copy).
BY_ORDER = [
    ("service_orders_serviceorderobject", "bench_order_objects"),
    ("service_orders_serviceordertask", "bench_order_tasks"),
    ("service_orders_generationnotice", "bench_notices"),
]


# --- The scratch database -----------------------------------------------------------------------


def _admin_connection(config: dict):
    conn = psycopg2.connect(
        dbname=config["NAME"],
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    conn.autocommit = True
    return conn


def create_scratch_database() -> tuple[dict, str]:
    url = os.environ.get("DATABASE_URL", "postgres://fieldline@127.0.0.1:54329/fieldline")
    config = environ.Env.db_url_config(url)
    scratch = f"{config['NAME']}_bench"
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + scratch
    return config, scratch


def drop_scratch_database(config: dict, scratch: str) -> None:
    from django.db import connections

    connections.close_all()
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()


# --- Data ---------------------------------------------------------------------------------------


def build_data():
    """20 tenants × 500 agreement lines: weekly, biweekly and monthly, every combine rule."""
    from agreements.models import (
        Agreement,
        AgreementLine,
        AgreementRate,
        AgreementState,
        CombineRule,
        IntervalUnit,
        RateKind,
        TimeWindow,
    )
    from agreements.rates import rate_key
    from customers.models import (
        AgreementGroup,
        Customer,
        CustomerSite,
        Item,
        ServiceObject,
        ServiceTask,
    )
    from sla.models import BusinessCalendar, Holiday
    from tenancy.context import platform_scope
    from tenancy.models import Tenant, User

    # An agreement's lines cycle through these on its two objects, so weekly, monthly and
    # quarterly work with overlapping windows meets on one object and is consolidated.
    intervals = itertools.cycle(
        [
            (IntervalUnit.WEEK, 1),
            (IntervalUnit.MONTH, 1),
            (IntervalUnit.QUARTER, 1),
            (IntervalUnit.WEEK, 2),
        ]
    )
    windows = itertools.cycle(
        [TimeWindow.EXACT, TimeWindow.SAME_MONTH, TimeWindow.SAME_WEEK, TimeWindow.DAYS_AROUND]
    )
    rules = itertools.cycle(CombineRule.values)
    technicians = [
        User.objects.create(email=f"bench-tech{n}@bench.test", first_name=f"Tech {n}")
        for n in range(5)
    ]
    tenants = []
    with platform_scope():
        for t in range(TENANTS):
            tenant = Tenant.objects.create(
                slug=f"bench_{t:02d}",
                code=f"bench-{t:02d}",
                name=f"Bench {t:02d}",
                time_zone="Europe/Warsaw",
            )
            tenants.append(tenant)
            calendar = BusinessCalendar.objects.create(tenant=tenant, name="Main", is_default=True)
            Holiday.objects.bulk_create(
                Holiday(tenant=tenant, calendar=calendar, date=day, name="Holiday")
                for day in (datetime.date(2026, 5, 1), datetime.date(2026, 5, 3))
            )
            items = Item.objects.bulk_create(
                Item(
                    tenant=tenant,
                    number=f"I-{n}",
                    name=f"Filter {n}",
                    cost_price=Decimal("10.00"),
                    sales_price=Decimal("18.50"),
                )
                for n in range(10)
            )
            tasks = ServiceTask.objects.bulk_create(
                ServiceTask(tenant=tenant, code=f"T{n}", name=f"Task {n}", category=f"Cat {n % 3}")
                for n in range(10)
            )
            # A rate card: the group's defaults (every task, one category, expenses, a fee),
            # and below an own rate for one task on every tenth agreement.
            group = AgreementGroup.objects.create(tenant=tenant, code="GOLD", name="Gold")
            AgreementRate.objects.bulk_create(
                AgreementRate(tenant=tenant, group=group, currency="PLN", **entry)
                for entry in (
                    {"kind": RateKind.HOUR, "key": rate_key(kind="hour"), "sales_price": 90},
                    {
                        "kind": RateKind.HOUR,
                        "task_category": "Cat 1",
                        "key": rate_key(kind="hour", task_category="Cat 1"),
                        "sales_price": 110,
                        "cost_price": 60,
                    },
                    {"kind": RateKind.EXPENSE, "key": "expense", "markup_percent": 10},
                    {
                        "kind": RateKind.FEE,
                        "description": "Call-out",
                        "key": rate_key(kind="fee", description="Call-out"),
                        "sales_price": 50,
                    },
                )
            )
            customers = Customer.objects.bulk_create(
                Customer(tenant=tenant, number=f"C-{n}", name=f"Customer {n}")
                for n in range(AGREEMENTS_PER_TENANT)
            )
            # Every tenth customer has a second site (a second object there): under per-agreement
            # and per-task combining its lines go on separate orders.
            sites = CustomerSite.objects.bulk_create(
                CustomerSite(
                    tenant=tenant,
                    customer=customer,
                    name="Main",
                    street="Main street 1",
                    city="Town",
                    is_default=True,
                )
                for customer in customers
            )
            second_sites = {
                site.customer_id: site
                for site in CustomerSite.objects.bulk_create(
                    CustomerSite(
                        tenant=tenant,
                        customer=customer,
                        name="Plant",
                        street="Plant road 2",
                        city="Town",
                    )
                    for customer in customers[::10]
                )
            }
            objects = ServiceObject.objects.bulk_create(
                ServiceObject(
                    tenant=tenant,
                    customer=customer,
                    site=second_sites.get(customer.pk, site) if k else site,
                    number=f"OBJ-{n}-{k}",
                    name=f"Boiler {n}-{k}",
                )
                for n, (customer, site) in enumerate(zip(customers, sites, strict=True))
                for k in range(2)
            )
            agreements = Agreement.objects.bulk_create(
                Agreement(
                    tenant=tenant,
                    number=f"AG-{n}",
                    customer=customer,
                    description=f"Maintenance {n}",
                    start_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 28),
                    currency="PLN",
                    combine_rule=next(rules),
                    preferred_technician=technicians[n % 5],
                    group=group,
                )
                for n, customer in enumerate(customers)
            )
            AgreementRate.objects.bulk_create(
                AgreementRate(
                    tenant=tenant,
                    agreement=agreement,
                    currency="PLN",
                    kind=RateKind.HOUR,
                    task=tasks[n % 10],
                    key=rate_key(kind="hour", task_id=tasks[n % 10].pk),
                    sales_price=Decimal("125.00"),
                    cost_price=Decimal("70.00"),
                )
                for n, agreement in enumerate(agreements)
                if n % 10 == 0
            )
            lines = []
            for n, agreement in enumerate(agreements):
                for k in range(3 if n < AGREEMENTS_PER_TENANT // 2 else 2):
                    unit, count = next(intervals)
                    window = next(windows)
                    lines.append(
                        AgreementLine(
                            tenant=tenant,
                            agreement=agreement,
                            position=(k + 1) * 10,
                            service_object=objects[2 * n + k % 2],
                            task=tasks[(n + k) % 10],
                            item=items[n % 10] if k == 2 else None,
                            technician=technicians[(n + k) % 5] if k else None,
                            interval_unit=unit,
                            interval_count=count,
                            time_window=window,
                            window_days_before=2 if window == TimeWindow.DAYS_AROUND else 0,
                            window_days_after=2 if window == TimeWindow.DAYS_AROUND else 0,
                            exclude_holidays=k == 1,
                            # The first line has its own price; the others take the rate card's.
                            unit_price=Decimal("95.00") if k == 0 else None,
                        )
                    )
            assert len(lines) == LINES_PER_TENANT
            AgreementLine.objects.bulk_create(lines)
            Agreement.objects.filter(tenant=tenant).update(state=AgreementState.ACTIVE)
    return tenants


# --- Measuring ----------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql_text, params, many, context):
        self.count += 1
        return execute(sql_text, params, many, context)


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server's
    /proc entry), None when it cannot be read (a remote server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measured(step):
    """Run ``step()`` -> rows; returns (rows, seconds, queries, CPU seconds). CPU is this
    process's plus its PostgreSQL backend's: what the step costs whatever else the machine
    runs (wall seconds on a shared machine mostly measure the others)."""
    from django.db import connection

    counter = QueryCounter()
    server_before = _server_cpu()
    client_before = time.process_time()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        rows = step()
        seconds = time.perf_counter() - started
    cpu = time.process_time() - client_before
    server_after = _server_cpu()
    if server_before is not None and server_after is not None:
        cpu += server_after - server_before
    return rows, seconds, counter.count, cpu


def generate_all(tenants, period=PERIOD):
    from service_orders.models import GenerationTrigger
    from service_orders.services.generation import generation_run

    totals = {"orders": 0, "lines": 0, "skipped": 0, "related": 0}
    for tenant in tenants:
        run = generation_run(
            tenant=tenant,
            period_start=period[0],
            period_end=period[1],
            trigger=GenerationTrigger.COMMAND,
        )
        totals["orders"] += run.orders_created
        totals["lines"] += run.lines_created
        totals["skipped"] += run.occurrences_skipped
    totals["related"] = _rows_written_with_orders(period)
    return totals


def _rows_written_with_orders(period) -> int:
    """Relations and notices of the period's orders (written by generation with them)."""
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        total = 0
        for table, _copy in BY_ORDER:
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE order_id IN (SELECT id FROM {ORDERS} "
                f"WHERE generation_run_id IN (SELECT id FROM {RUNS} WHERE period_start = %s))",
                period[:1],
            )
            total += cursor.fetchone()[0]
    return total


def prepare_sql_floor() -> None:
    """Copy what generation wrote for the period into plain tables and delete it from the real
    ones."""
    from django.db import connection

    from tenancy.context import platform_scope

    in_period = "calculated_date BETWEEN %s AND %s"
    # An order of the period may be on a day just before it (a window reaching back): the
    # orders are those the period's runs created.
    by_run = f"generation_run_id IN (SELECT id FROM {RUNS} WHERE period_start = %s)"
    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bench_orders AS SELECT * FROM {ORDERS} WHERE {by_run}", PERIOD[:1]
        )
        cursor.execute(
            f"CREATE TABLE bench_lines AS SELECT * FROM {LINES} WHERE {in_period}", PERIOD
        )
        for table, copy in BY_ORDER:
            cursor.execute(
                f"CREATE TABLE {copy} AS SELECT * FROM {table} "
                "WHERE order_id IN (SELECT id FROM bench_orders)"
            )
            cursor.execute(f"DELETE FROM {table} WHERE order_id IN (SELECT id FROM bench_orders)")
        cursor.execute(f"DELETE FROM {LINES} WHERE {in_period}", PERIOD)
        cursor.execute(f"DELETE FROM {ORDERS} WHERE id IN (SELECT id FROM bench_orders)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def sql_floor() -> int:
    """The same rows inserted again with one INSERT … SELECT per table, in one transaction."""
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ORDERS} SELECT * FROM bench_orders")
        inserted = cursor.rowcount
        cursor.execute(f"INSERT INTO {LINES} SELECT * FROM bench_lines")
        inserted += cursor.rowcount
        for table, copy in BY_ORDER:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {copy}")
            inserted += cursor.rowcount
        return inserted


def print_table(results: list[tuple[str, int, float, int]], totals: dict) -> None:
    from django.db import connection

    floor_seconds, floor_cpu = results[-1][2], results[-1][4]
    print()
    print(
        f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · PostgreSQL {connection.pg_version // 10000}"
    )
    print(
        f"{totals['orders']} orders with {totals['lines']} lines and {totals['related']} "
        f"relations and notices for {PERIOD[0]} – {PERIOD[1]}"
    )
    print()
    header = ("step", "rows", "seconds", "queries", "rows/s", "× floor", "CPU s", "CPU×floor")
    print(f"| {header[0]:<28} | {' | '.join(f'{h:>9}' for h in header[1:])} |")
    print(f"|{'-' * 30}|" + "|".join(["-" * 11] * 7) + "|")
    for step, rows, seconds, queries, cpu in results:
        print(
            f"| {step:<28} | {rows:>9} | {seconds:>9.2f} | {queries:>9} | "
            f"{rows / seconds:>9.0f} | {seconds / floor_seconds:>9.1f} | {cpu:>9.2f} | "
            f"{cpu / floor_cpu:>9.1f} |"
        )
    print()
    print(
        "CPU: this process and its PostgreSQL backend (the floor's foreign-key checks run at "
        "its commit, inside the step). Load average (1, 5, 15 min): "
        + " / ".join(f"{load:.1f}" for load in os.getloadavg())
    )


def main() -> None:
    config, scratch = create_scratch_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        tenants = build_data()
        print(
            f"Built {TENANTS} tenants × {LINES_PER_TENANT} agreement lines "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        history = generate_all(tenants, HISTORY)
        print(f"History: {history['orders']} orders for {HISTORY[0]} – {HISTORY[1]}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        totals, seconds, queries, cpu = measured(lambda: generate_all(tenants))
        written = totals["orders"] + totals["lines"] + totals["related"]
        results = [("generate 1 month", written, seconds, queries, cpu)]
        again, seconds, queries, cpu = measured(lambda: generate_all(tenants))
        assert again["orders"] == again["lines"] == 0, again
        results.append(("re-run (creates nothing)", again["skipped"], seconds, queries, cpu))
        prepare_sql_floor()
        rows, seconds, queries, cpu = measured(sql_floor)
        assert rows == written, (rows, written)
        results.append(("SQL floor (INSERT … SELECT)", rows, seconds, queries, cpu))
        print_table(results, totals)
    finally:
        drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
