"""Benchmark: issuing 10,000 invoices with gapless numbers (10 tenants × 1,000 drafts).

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/issue_invoices.py   (or: make bench)

Works in a scratch database next to the configured one (its name + "_bench_invoices"), created,
migrated and dropped again by this script, so it never touches real data. Steps:

1. issue: ``invoicing.services.invoice_issue`` for every draft, one transaction per invoice as
   the "Issue invoice" button does (lock the draft, lock the tenant's counter row for the year,
   number, freeze, audit, mail after commit — the bench customers have no e-mail);
2. SQL floor: the same numbers given again by one UPDATE (row_number() per tenant) after the
   invoices were put back to draft: the least work the database can do to number them.

Each tenant's numbers are then checked to be exactly 1…1,000.

Prints one row per step: rows, seconds, SQL queries, rows per second and the ratio to the floor.
Target (docs/performance.md): issuing 10,000 invoices ≤ 20 s on a 2-core machine.
"""

import datetime
import os
import sys
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


def build_data():
    """Per tenant: 1,000 customers, each with one draft of two lines (as the billing run or
    posting leaves them)."""
    from customers.models import Customer
    from invoicing.models import Invoice, InvoiceLine
    from tenancy.context import platform_scope
    from tenancy.models import Tenant

    tenants, drafts = [], []
    with platform_scope():
        for t in range(TENANTS):
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
                for n in range(INVOICES_PER_TENANT)
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


def check_gapless(tenants) -> None:
    from invoicing.models import Invoice
    from tenancy.context import platform_scope

    with platform_scope():
        for tenant in tenants:
            numbers = sorted(
                Invoice.objects.filter(tenant=tenant).values_list("sequence", flat=True)
            )
            assert numbers == list(range(1, INVOICES_PER_TENANT + 1)), tenant.slug


def back_to_draft() -> None:
    from django.db import connection

    from tenancy.context import platform_scope

    with platform_scope(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoicing_invoice SET state = 'draft', sequence = NULL, year = NULL, "
            "number = '', issue_date = NULL, due_date = NULL, issued_at = NULL"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE invoicing_invoice")


def sql_floor() -> int:
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
            "AS seq FROM invoicing_invoice) AS n "
            "WHERE i.tenant_id = n.tenant_id AND i.id = n.id",
            [today.year, str(today.year), today, today + datetime.timedelta(days=14)],
        )
        return cursor.rowcount


def main() -> None:
    import platform

    config, scratch = create_scratch_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        tenants, drafts = build_data()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"Built {TENANTS} × {INVOICES_PER_TENANT} drafts; issuing…", flush=True)
        issued, seconds, queries = measured(lambda: issue_all(drafts))
        check_gapless(tenants)
        print(f"issued {issued} in {seconds:.2f} s, {queries} queries; gapless", flush=True)
        results = [("issue (one by one)", issued, seconds, queries)]
        back_to_draft()
        rows, seconds, queries = measured(sql_floor)
        check_gapless(tenants)
        results.append(("SQL floor (one UPDATE)", rows, seconds, queries))
        floor = results[-1][2]
        print()
        print(
            f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
            f"Python {platform.python_version()} · PostgreSQL {connection.pg_version // 10000}"
        )
        print(f"{TENANTS} tenants × {INVOICES_PER_TENANT} invoices of {LINES_PER_INVOICE} lines")
        print()
        header = ("step", "rows", "seconds", "queries", "rows/s", "× floor")
        print(f"| {header[0]:<28} | {' | '.join(f'{h:>8}' for h in header[1:])} |")
        print(f"|{'-' * 30}|" + "|".join(["-" * 10] * 5) + "|")
        for step, rows, secs, count in results:
            print(
                f"| {step:<28} | {rows:>8} | {secs:>8.2f} | {count:>8} | "
                f"{rows / secs:>8.0f} | {secs / floor:>8.1f} |"
            )
    finally:
        drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
