"""Benchmark: importing 10,000 service objects, 2,000 agreements and their 20,000 lines.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/import_data.py   (or: make bench-import)

Works in a scratch database next to the configured one (its name + "_bench"), created, migrated
and dropped again, like bench/generate_orders.py. One tenant holds 2,000 customers with a site
each, 10 items and 10 service tasks (made untimed). Timed, each through ``web.imports`` as
``manage.py import_data`` runs it (read the CSV, check every row, save):

1. objects: 10,000 rows (number, customer, site, item, serial number, install date);
2. agreements: 2,000 rows (active, with a group);
3. agreement lines: 20,000 rows (object, task, interval, generated through), which also add
   the lines' objects and tasks to their agreements;
4. re-import of the three files (every row an update);
5. SQL floor: the rows of steps 1–3 inserted again with one INSERT … SELECT per table.

Target (docs/performance.md): steps 1–3 together ≤ 60 s on a 2-core machine.
"""

import datetime
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from generate_orders import (  # noqa: E402
    create_scratch_database,
    drop_scratch_database,
    measured,
)

SCALE = float(os.environ.get("BENCH_SCALE", "1"))  # 0.1: a tenth of the rows, for a quick try
CUSTOMERS = int(2000 * SCALE)
OBJECTS = int(10000 * SCALE)
AGREEMENTS = int(2000 * SCALE)
LINES_PER_AGREEMENT = 10
TABLES = (  # in the order of their foreign keys
    "customers_serviceobject",
    "agreements_agreement",
    "agreements_agreementline",
    "agreements_agreementobject",
    "agreements_agreementtask",
)


def build_reference_data():
    from customers.models import AgreementGroup, Customer, CustomerSite, Item, ServiceTask
    from tenancy.context import platform_scope
    from tenancy.models import Tenant

    with platform_scope():
        tenant = Tenant.objects.create(
            slug="bench_import", code="bench-import", name="Bench import", currency="EUR"
        )
        customers = Customer.objects.bulk_create(
            Customer(tenant=tenant, number=f"K{n:05d}", name=f"Customer {n}")
            for n in range(CUSTOMERS)
        )
        CustomerSite.objects.bulk_create(
            CustomerSite(
                tenant=tenant,
                customer=c,
                name="Plant",
                street="Road 1",
                city="Town",
                is_default=True,
            )
            for c in customers
        )
        Item.objects.bulk_create(
            Item(tenant=tenant, number=f"EQ-{n}", name=f"Boiler model {n}") for n in range(10)
        )
        ServiceTask.objects.bulk_create(
            ServiceTask(tenant=tenant, code=f"T{n}", name=f"Task {n}") for n in range(10)
        )
        AgreementGroup.objects.create(tenant=tenant, code="GOLD", name="Gold")
    return tenant


def csv_text(header: list[str], rows) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def files() -> list[tuple[str, bytes]]:
    objects = csv_text(
        ["number", "name", "customer", "site", "item", "serial_number", "install_date"],
        (
            (
                f"M{n:06d}",
                f"Boiler {n}",
                f"K{n % CUSTOMERS:05d}",
                "Plant",
                f"EQ-{n % 10}",
                f"SN{n:07d}",
                f"20{10 + n % 15}-0{1 + n % 9}-1{n % 10}",
            )
            for n in range(OBJECTS)
        ),
    )
    agreements = csv_text(
        ["number", "customer", "description", "group", "start_date", "state"],
        (
            (f"SV{n:05d}", f"K{n:05d}", f"Maintenance {n}", "GOLD", "2025-01-01", "active")
            for n in range(AGREEMENTS)
        ),
    )
    # Each agreement's customer has objects n, n+2000, … (5 of them): two lines per object.
    units = ("month", "quarter", "year", "week", "month")
    lines = csv_text(
        [
            "agreement",
            "position",
            "kind",
            "object",
            "task",
            "interval_unit",
            "interval_count",
            "generated_through",
        ],
        (
            (
                f"SV{n:05d}",
                (k + 1) * 10,
                "hour",
                f"M{n + (k % 5) * CUSTOMERS:06d}",
                f"T{k}",
                units[k % 5],
                1 + k % 2,
                "2026-11-30",
            )
            for n in range(AGREEMENTS)
            for k in range(LINES_PER_AGREEMENT)
        ),
    )
    return [("objects", objects), ("agreements", agreements), ("agreement_lines", lines)]


def import_one(tenant, kind_key: str, content: bytes):
    from tenancy.context import tenant_scope
    from web.imports import import_file, import_kind, read_table

    table = read_table(f"{kind_key}.csv", content)
    with tenant_scope(tenant):
        result = import_file(
            tenant=tenant,
            by=None,
            kind=import_kind(kind_key),
            file_name=f"{kind_key}.csv",
            table=table,
            valid_only=False,
            dry_run=False,
        )
    assert result.saved and not result.failed, [r.errors for r in result.rows if r.errors][:3]
    return result


def import_all(tenant, data, expect: str):
    rows = 0
    for kind_key, content in data:
        result = import_one(tenant, kind_key, content)
        assert (result.created if expect == "create" else result.updated) == len(result.rows)
        rows += len(result.rows)
    return rows


def prepare_sql_floor(tenant) -> int:
    from django.db import connection

    from tenancy.context import platform_scope

    count = 0
    with platform_scope(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"CREATE TABLE bench_{table} AS SELECT * FROM {table} WHERE tenant_id = %s",
                [tenant.pk],
            )
            count += cursor.rowcount
        for table in reversed(TABLES):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return count


def sql_floor() -> int:
    from django.db import connection

    from tenancy.context import platform_scope

    inserted = 0
    with platform_scope(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM bench_{table}")
            inserted += cursor.rowcount
    return inserted


def main() -> None:
    config, scratch = create_scratch_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        tenant = build_reference_data()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        data = files()
        results = []
        for kind_key, content in data:
            rows, seconds, queries = measured(
                lambda k=kind_key, c=content: len(import_one(tenant, k, c).rows)
            )
            results.append((f"import {kind_key}", rows, seconds, queries))
            print(f"  import {kind_key}: {rows} rows in {seconds:.1f} s", flush=True)
        total_rows = sum(r[1] for r in results)
        total_seconds = sum(r[2] for r in results)
        results.append(("import, all three", total_rows, total_seconds, sum(r[3] for r in results)))
        rows, seconds, queries = measured(lambda: import_all(tenant, data, "update"))
        results.append(("re-import (all updates)", rows, seconds, queries))
        floor_rows = prepare_sql_floor(tenant)
        rows, seconds, queries = measured(sql_floor)
        assert rows == floor_rows
        results.append(("SQL floor (INSERT … SELECT)", rows, seconds, queries))
        floor_seconds = results[-1][2]
        print()
        print(
            f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
            f"Python {platform.python_version()} · PostgreSQL {connection.pg_version // 10000}"
        )
        print(
            f"{OBJECTS} objects, {AGREEMENTS} agreements, {AGREEMENTS * LINES_PER_AGREEMENT} "
            f"lines; the floor inserts the {floor_rows} rows they became (objects, agreements, "
            "lines, covered objects and tasks)"
        )
        print()
        header = ("step", "rows", "seconds", "queries", "rows/s", "× floor")
        print(f"| {header[0]:<28} | {' | '.join(f'{h:>8}' for h in header[1:])} |")
        print(f"|{'-' * 30}|" + "|".join(["-" * 10] * 5) + "|")
        for step, rows, seconds, queries in results:
            print(
                f"| {step:<28} | {rows:>8} | {seconds:>8.2f} | {queries:>8} | "
                f"{rows / seconds:>8.0f} | {seconds / floor_seconds:>8.1f} |"
            )
    finally:
        drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
