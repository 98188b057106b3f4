"""Benchmark: the billing run for 100,000 active monthly subscriptions across 100 tenants.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/bill_subscriptions.py   (or: make bench)

BENCH_TENANTS and BENCH_SUBSCRIPTIONS (per tenant) scale it down for a quick look; BENCH_CHUNK
sets the billing run's chunk size (subscriptions per transaction) to compare sizes. Works in a
scratch database next to the configured one (its name + "_bench"), created, migrated and dropped
again by this script. Steps:

1. bill: ``billing_run`` through the first day of the month, tenant by tenant (the daily job):
   one regular fee per subscription, each on its customer's draft invoice;
2. re-run: the same again, which finds nothing due and creates nothing;
3. SQL floor: the very fee rows step 1 wrote, inserted again with one INSERT … SELECT: the least
   work the database can do to store them (the invoice lines are not in the floor).

Before timing, the month before is billed as history (untimed), so the drafts exist and the
tables are not empty, as in steady operation.

Prints one row per step: rows, seconds, SQL queries, rows per second and the ratio to the floor.
Targets (docs/performance.md): bill ≤ 60 s, re-run ≤ 5 s, goal ≤ 3× the floor.
"""

import datetime
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import environ  # noqa: E402
from generate_orders import _admin_connection, drop_scratch_database, measured  # noqa: E402
from psycopg2 import sql  # noqa: E402

TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
PER_TENANT = int(os.environ.get("BENCH_SUBSCRIPTIONS", "1000"))
HISTORY = datetime.date(2026, 5, 1)
# BENCH_REPEAT months are billed one after the other (June, July, …), each timed with its
# re-run and its floor; the table shows every repetition and the medians.
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
MONTHS = [datetime.date(2026, 6 + n, 1) for n in range(REPEAT)]
FEES = "subscriptions_fee"


def create_scratch_database() -> tuple[dict, str]:
    """A scratch database of its own ("…_billing_bench"), so this bench never drops the one
    another bench is using."""
    url = os.environ.get("DATABASE_URL", "postgres://fieldline@127.0.0.1:54329/fieldline")
    config = environ.Env.db_url_config(url)
    scratch = f"{config['NAME']}_billing_bench"
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + scratch
    return config, scratch


def build_data():
    from customers.models import Customer
    from subscriptions.models import (
        PeriodKind,
        Subscription,
        SubscriptionGroup,
        SubscriptionState,
        Timing,
    )
    from tenancy.context import platform_scope
    from tenancy.models import Tenant

    tenants = []
    with platform_scope():
        for t in range(TENANTS):
            tenant = Tenant.objects.create(
                slug=f"bench_{t:03d}",
                code=f"bench-{t:03d}",
                name=f"Bench {t:03d}",
                time_zone="Europe/Warsaw",
                currency="PLN",
            )
            tenants.append(tenant)
            group = SubscriptionGroup.objects.create(
                tenant=tenant,
                code="M",
                name="Monthly",
                period=PeriodKind.MONTH,
                timing=Timing.ADVANCE,
            )
            customers = Customer.objects.bulk_create(
                Customer(tenant=tenant, number=f"C-{n}", name=f"Customer {n}")
                for n in range(PER_TENANT)
            )
            Subscription.objects.bulk_create(
                Subscription(
                    tenant=tenant,
                    number=f"SUB-{n}",
                    customer=customer,
                    group=group,
                    description=f"Maintenance fee {n}",
                    base_price=Decimal("120.00") + n % 50,
                    currency="PLN",
                    # Some start mid-month: their first fee is prorated.
                    start_date=HISTORY + datetime.timedelta(days=n % 3 * 7),
                    next_period_start=HISTORY,
                    next_due_on=HISTORY,
                )
                for n, customer in enumerate(customers)
            )
            Subscription.objects.filter(tenant=tenant).update(state=SubscriptionState.ACTIVE)
    return tenants


def bill_all(tenants, through):
    from subscriptions.models import RunTrigger
    from subscriptions.services import billing
    from subscriptions.services.billing import billing_run

    if os.environ.get("BENCH_CHUNK"):  # subscriptions per transaction, to compare sizes
        billing.CHUNK_SIZE = int(os.environ["BENCH_CHUNK"])

    totals = {"created": 0, "skipped": 0, "failed": 0}
    for tenant in tenants:
        run = billing_run(tenant=tenant, through=through, trigger=RunTrigger.COMMAND)
        totals["created"] += run.fees_created
        totals["skipped"] += run.fees_skipped
        totals["failed"] += run.subscriptions_failed
    return totals


def prepare_sql_floor(through) -> None:
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bench_fees AS SELECT * FROM {FEES} WHERE period_start = %s", [through]
        )
        cursor.execute(
            "DELETE FROM invoicing_invoiceline WHERE source = 'subscription_fee' "
            "AND period_start = %s",
            [through],
        )
        cursor.execute(f"DELETE FROM {FEES} WHERE period_start = %s", [through])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def sql_floor() -> int:
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FEES} SELECT * FROM bench_fees")
        rows = cursor.rowcount
        cursor.execute("DROP TABLE bench_fees")
        return rows


def timed(step):
    """(rows, seconds, queries, CPU seconds of this process): the CPU column leaves out the time
    spent waiting for PostgreSQL and for a core on a shared machine."""
    cpu = time.process_time()
    rows, seconds, queries = measured(step)
    return rows, seconds, queries, time.process_time() - cpu


def print_table(results, totals) -> None:
    from django.db import connection

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print()
    print(
        f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · load {load} · "
        f"Python {platform.python_version()} · PostgreSQL {connection.pg_version // 10000}"
    )
    print(
        f"{TENANTS} tenants × {PER_TENANT} monthly subscriptions, {REPEAT} months billed: "
        f"{totals['created']} fees ({totals['failed']} failed)"
    )
    print()
    header = ("step", "rows", "seconds", "CPU s", "queries", "rows/s", "× floor")
    print(f"| {header[0]:<32} | {' | '.join(f'{h:>8}' for h in header[1:])} |")
    print(f"|{'-' * 34}|" + "|".join(["-" * 10] * 6) + "|")
    for step, rows, seconds, cpu, queries, floor in results:
        print(
            f"| {step:<32} | {rows:>8} | {seconds:>8.2f} | {cpu:>8.2f} | {queries:>8} | "
            f"{rows / seconds if seconds else 0:>8.0f} | {seconds / floor:>8.1f} |"
        )


def main() -> None:
    import statistics

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
            f"Built {TENANTS} tenants × {PER_TENANT} subscriptions "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        history = bill_all(tenants, HISTORY)
        print(
            f"History: {history['created']} fees through {HISTORY} "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        rows_out, medians = [], {"bill": [], "again": [], "floor": []}
        grand = {"created": 0, "failed": 0}
        for through in MONTHS:
            print(f"Load average {os.getloadavg()[0]:.1f}; billing through {through}…", flush=True)
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.enable()
            bill = timed(lambda through=through: bill_all(tenants, through))
            if os.environ.get("BENCH_PROFILE"):
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            totals = bill[0]
            assert totals["created"] == TENANTS * PER_TENANT and not totals["failed"], totals
            grand["created"] += totals["created"]
            again = timed(lambda through=through: bill_all(tenants, through))
            assert again[0]["created"] == 0, again[0]
            prepare_sql_floor(through)
            floor = timed(sql_floor)
            assert floor[0] == totals["created"], (floor[0], totals)
            month = through.strftime("%b")
            steps = (
                (f"bill 1 month ({month})", totals["created"], bill, "bill"),
                ("re-run (creates nothing)", TENANTS * PER_TENANT, again, "again"),
                ("SQL floor (INSERT … SELECT)", floor[0], floor, "floor"),
            )
            for label, rows, (_r, seconds, queries, cpu), key in steps:
                rows_out.append((label, rows, seconds, cpu, queries, floor[1]))
                medians[key].append((seconds, cpu, queries, seconds / floor[1]))
        print_table(rows_out, grand)
        print()
        print("Medians over the months:")
        for key, label in (("bill", "bill 1 month"), ("again", "re-run"), ("floor", "SQL floor")):
            values = medians[key]
            print(
                f"  {label:<14} {statistics.median(v[0] for v in values):8.2f} s  "
                f"CPU {statistics.median(v[1] for v in values):7.2f} s  "
                f"queries {statistics.median(v[2] for v in values):8.0f}  "
                f"× floor {statistics.median(v[3] for v in values):7.1f}"
            )
    finally:
        drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
