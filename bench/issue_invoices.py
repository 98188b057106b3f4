"""Benchmark: issuing 10,000 invoices with gapless numbers (10 tenants × 1,000 drafts).

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/issue_invoices.py   (or: make bench)

Works in a scratch database next to the configured one (its name + "_bench_invoices"), created,
migrated and dropped again by this script, so it never touches real data. Steps:

1. issue in bulk: ``invoicing.services.invoices_issue`` for every draft of the 10 tenants, 500
   drafts per call (what "Issue these drafts" on the draft list does per confirmation: lock the
   drafts, read their lines, take the numbers with one counter statement, one UPDATE, one audit
   INSERT; mails after commit — the bench customers have no e-mail);
2. issue one by one: ``invoice_issue`` for each of BENCH_SINGLE drafts of one more tenant
   (default 1,000), one transaction per invoice as the "Issue invoice" button does;
3. SQL floor: the 10,000 invoices of step 1 numbered again by one UPDATE (row_number() per
   tenant) after being put back to draft: the least work the database can do to number them.

Each tenant's numbers are checked to be exactly 1…N after each issuing step.

Prints one row per step: rows, seconds, CPU seconds of this process, SQL queries, rows per
second and the ratio to the floor per row; BENCH_REPEAT (default 3) repeats everything and
prints the medians. Target (docs/performance.md): issuing 10,000 invoices ≤ 20 s.
"""

import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import environ  # noqa: E402
from generate_orders import _admin_connection, drop_scratch_database, measured  # noqa: E402
from psycopg2 import sql  # noqa: E402

TENANTS = 10
INVOICES_PER_TENANT = 1000
LINES_PER_INVOICE = 2
SINGLE = int(os.environ.get("BENCH_SINGLE", "1000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
BATCH = 500


def create_scratch_database() -> tuple[dict, str]:
    """Like generate_orders', under a name of its own (another bench may run beside it)."""
    url = os.environ.get("DATABASE_URL", "postgres://fieldline@127.0.0.1:54329/fieldline")
    config = environ.Env.db_url_config(url)
    scratch = f"{config['NAME']}_bench_invoices"
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + scratch
    return config, scratch


def build_data(tenants_count=TENANTS, per_tenant=INVOICES_PER_TENANT, first=0):
    """Per tenant: 1,000 customers, each with one draft of two lines (as the billing run or
    posting leaves them)."""
    from customers.models import Customer
    from invoicing.models import Invoice, InvoiceLine
    from tenancy.context import platform_scope
    from tenancy.models import Tenant

    tenants, drafts = [], []
    with platform_scope():
        for t in range(first, first + tenants_count):
            tenant = Tenant.objects.create(
                slug=f"bench_{t:02d}",
                code=f"bench-{t:02d}",
                name=f"Bench {t:02d}",
                time_zone="Europe/Warsaw",
                currency="PLN",
            )
            tenants.append(tenant)
            customers = Customer.objects.bulk_create(
                Customer(tenant=tenant, number=f"C-{n}", name=f"Customer {n}")
                for n in range(per_tenant)
            )
            invoices = Invoice.objects.bulk_create(
                Invoice(
                    tenant=tenant,
                    customer=customer,
                    currency="PLN",
                    net_total=Decimal("250.00"),
                    gross_total=Decimal("250.00"),
                )
                for customer in customers
            )
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    tenant=tenant,
                    invoice=invoice,
                    description=f"Service {k}",
                    quantity=Decimal("1"),
                    unit_price=Decimal("125.00"),
                    amount=Decimal("125.00"),
                )
                for invoice in invoices
                for k in range(LINES_PER_INVOICE)
            )
            drafts.append((tenant, [invoice.pk for invoice in invoices]))
    return tenants, drafts


def issue_all(drafts) -> int:
    from invoicing.services import invoice_issue
    from tenancy.context import tenant_scope

    issued = 0
    for tenant, ids in drafts:
        for pk in ids:
            with tenant_scope(tenant):
                invoice_issue(tenant=tenant, by=None, invoice_id=pk)
            issued += 1
    return issued


def issue_bulk(drafts) -> int:
    from invoicing.services import invoices_issue
    from tenancy.context import tenant_scope

    issued = 0
    for tenant, ids in drafts:
        for offset in range(0, len(ids), BATCH):
            with tenant_scope(tenant):
                result = invoices_issue(
                    tenant=tenant, by=None, invoice_ids=ids[offset : offset + BATCH]
                )
            assert not result.refused, result.refused
            issued += len(result.issued)
    return issued


def check_gapless(tenants, count=INVOICES_PER_TENANT) -> None:
    from invoicing.models import Invoice
    from tenancy.context import platform_scope

    with platform_scope():
        for tenant in tenants:
            numbers = sorted(
                Invoice.objects.filter(tenant=tenant).values_list("sequence", flat=True)
            )
            assert numbers == list(range(1, count + 1)), tenant.slug


def back_to_draft() -> None:
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoicing_invoice SET state = 'draft', sequence = NULL, year = NULL, "
            "number = '', issue_date = NULL, due_date = NULL, issued_at = NULL"
        )
        cursor.execute("DELETE FROM invoicing_invoicecounter")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE invoicing_invoice")


def sql_floor(tenants) -> int:
    """Number every draft at once: one UPDATE with row_number() per tenant."""
    from django.db import connection

    from tenancy.context import platform_scope

    today = datetime.date.today()
    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoicing_invoice AS i SET state = 'issued', year = %s, sequence = n.seq, "
            "number = 'INV-' || %s || '-' || lpad(n.seq::text, 5, '0'), issue_date = %s, "
            "due_date = %s, issued_at = now() "
            "FROM (SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) "
            "AS seq FROM invoicing_invoice WHERE tenant_id = ANY(%s)) AS n "
            "WHERE i.tenant_id = n.tenant_id AND i.id = n.id",
            [
                today.year,
                str(today.year),
                today,
                today + datetime.timedelta(days=14),
                [tenant.pk for tenant in tenants],
            ],
        )
        return cursor.rowcount


def timed(step):
    cpu = time.process_time()
    rows, seconds, queries = measured(step)
    return rows, seconds, queries, time.process_time() - cpu


def main() -> None:
    import platform
    import statistics

    import django

    config, scratch = create_scratch_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        rows_out, medians = [], {}
        for repeat in range(REPEAT):
            if repeat:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "TRUNCATE invoicing_invoice, invoicing_invoiceline, "
                        "invoicing_invoicecounter, tenancy_auditevent, "
                        "customers_customer, tenancy_tenant CASCADE"
                    )
            tenants, drafts = build_data()
            single_tenants, single_drafts = build_data(1, SINGLE, first=TENANTS)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"Built; load average {os.getloadavg()[0]:.1f}; issuing…", flush=True)
            bulk = timed(lambda drafts=drafts: issue_bulk(drafts))
            check_gapless(tenants)
            single = timed(lambda single_drafts=single_drafts: issue_all(single_drafts))
            check_gapless(single_tenants, SINGLE)
            back_to_draft()
            floor = timed(lambda tenants=tenants: sql_floor(tenants))
            check_gapless(tenants)
            per_row_floor = floor[1] / floor[0]
            for label, (rows, seconds, queries, cpu) in (
                (f"issue in bulk ({BATCH} a call)", bulk),
                ("issue one by one", single),
                ("SQL floor (one UPDATE)", floor),
            ):
                ratio = (seconds / rows) / per_row_floor
                rows_out.append((label, rows, seconds, cpu, queries, ratio))
                medians.setdefault(label, []).append((seconds, cpu, queries, ratio, rows))
        print()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
            f"load {load} · Python {platform.python_version()} · "
            f"PostgreSQL {connection.pg_version // 10000}"
        )
        print(
            f"{TENANTS} tenants × {INVOICES_PER_TENANT} invoices of {LINES_PER_INVOICE} lines "
            f"(bulk), 1 tenant × {SINGLE} (one by one), {REPEAT} runs"
        )
        print()
        header = ("step", "rows", "seconds", "CPU s", "queries", "rows/s", "× floor/row")
        print(f"| {header[0]:<28} | {' | '.join(f'{h:>11}' for h in header[1:])} |")
        print(f"|{'-' * 30}|" + "|".join(["-" * 13] * 6) + "|")
        for step, rows, secs, cpu, count, ratio in rows_out:
            print(
                f"| {step:<28} | {rows:>11} | {secs:>11.2f} | {cpu:>11.2f} | {count:>11} | "
                f"{rows / secs:>11.0f} | {ratio:>11.1f} |"
            )
        print()
        print("Medians over the runs:")
        for label, values in medians.items():
            print(
                f"  {label:<28} {statistics.median(v[0] for v in values):8.2f} s  "
                f"CPU {statistics.median(v[1] for v in values):7.2f} s  "
                f"queries {statistics.median(v[2] for v in values):7.0f}  "
                f"× floor per row {statistics.median(v[3] for v in values):7.1f}"
            )
    finally:
        drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
