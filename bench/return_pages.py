"""Benchmark: the returns pages of a tenant with 10,000 returns (20,000 lines) picked from 20,000
invoice lines, and the line-add service that checks the cap under the invoice line's lock.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/return_pages.py

Works in a scratch database (the configured one's name + "_bench_returns"), created, migrated and
dropped again by this script. Data (ORM bulk inserts, in the tenant's scope so row-level
security checks every row): 1,000 customers, each with 10 issued invoices of two lines (one of
goods, serial-numbered), and BENCH_RETURNS returns of two lines each over those goods, in every
state. Each page is requested in-process through Django's test client as the service manager
(the whole middleware stack), timed like bench/order_pages.py (median and p95 server time, the
queries per request, the Django process's CPU time, and the plain-SQL floor of the page's main
queries). Then ``returns.services.line_add`` is timed on its own: one transaction per call, as
the page runs it.

No target is set for returns; the figures show that the pages stay within a constant number of
queries and how far they are from the floor (docs/performance.md, "Returns").
"""

import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")

import common  # noqa: E402
import order_data  # noqa: E402
import order_pages  # noqa: E402

RETURNS = int(os.environ.get("BENCH_RETURNS", "10000"))
CUSTOMERS = 1000
INVOICES_PER_CUSTOMER = 10
ADDS = int(os.environ.get("BENCH_ADDS", "200"))


def build(today: datetime.date):
    from customers.models import Customer, Item, LineKind
    from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState
    from returns.models import Disposition, ReturnLine, ReturnOrder, ReturnReason, ReturnState
    from tenancy.context import platform_scope, tenant_scope
    from tenancy.models import Membership, NumberSequence, Tenant, User
    from tenancy.roles import Role

    with platform_scope():
        tenant = Tenant.objects.create(
            slug="bench", code="bench", name="Bench", time_zone="Europe/Warsaw"
        )
        manager = User.objects.create_user(email="manager@bench.test", first_name="Mia")
        Membership.objects.create(tenant=tenant, user=manager, role=Role.SERVICE_MANAGER)
    with tenant_scope(tenant):
        item = Item.objects.create(tenant=tenant, number="PUMP", name="Circulation pump")
        customers = Customer.objects.bulk_create(
            Customer(tenant=tenant, number=f"C-{n:06d}", name=f"Customer {n}")
            for n in range(CUSTOMERS)
        )
        invoices = Invoice.objects.bulk_create(
            (
                Invoice(
                    tenant=tenant,
                    kind=InvoiceKind.INVOICE,
                    state=InvoiceState.ISSUED,
                    year=today.year,
                    sequence=n + 1,
                    number=f"INV-{today.year}-{n + 1:05d}",
                    customer=customers[n % CUSTOMERS],
                    currency="EUR",
                    issue_date=today - datetime.timedelta(days=n % 365),
                    due_date=today,
                    net_total=Decimal("300.00"),
                    gross_total=Decimal("300.00"),
                )
                for n in range(CUSTOMERS * INVOICES_PER_CUSTOMER)
            ),
            batch_size=2000,
        )
        goods = InvoiceLine.objects.bulk_create(
            (
                InvoiceLine(
                    tenant=tenant,
                    invoice=invoice,
                    kind=LineKind.ITEM,
                    item=item,
                    description=f"Circulation pump SN-{invoice.pk:07d}",
                    quantity=Decimal("4"),
                    unit="pcs",
                    unit_price=Decimal("50.00"),
                    amount=Decimal("200.00"),
                    position=1,
                )
                for invoice in invoices
            ),
            batch_size=2000,
        )
        InvoiceLine.objects.bulk_create(
            (
                InvoiceLine(
                    tenant=tenant,
                    invoice=invoice,
                    kind=LineKind.HOUR,
                    description="Technician hour",
                    quantity=Decimal("1"),
                    unit="h",
                    unit_price=Decimal("100.00"),
                    amount=Decimal("100.00"),
                    position=2,
                )
                for invoice in invoices
            ),
            batch_size=2000,
        )
        reason = ReturnReason.objects.create(tenant=tenant, code="defect", name="Defective")
        states = [ReturnState.CLOSED, ReturnState.OPEN, ReturnState.CREATED, ReturnState.CANCELLED]
        orders = ReturnOrder.objects.bulk_create(
            (
                ReturnOrder(
                    tenant=tenant,
                    number=f"RMA-{n + 1:06d}",
                    customer=goods[n % len(goods)].invoice.customer,
                    reason=reason,
                    deadline=today + datetime.timedelta(days=(n % 60) - 30),
                    state=states[n % len(states)],
                    created_by=manager,
                )
                for n in range(RETURNS)
            ),
            batch_size=2000,
        )
        lines = []
        for n, order in enumerate(orders):
            source = goods[n % len(goods)]
            closed = order.state == ReturnState.CLOSED
            for position in (1, 2):
                lines.append(
                    ReturnLine(
                        tenant=tenant,
                        return_order=order,
                        invoice_line=source,
                        invoice=source.invoice,
                        kind=LineKind.ITEM,
                        item=item,
                        description=source.description,
                        quantity=Decimal("1"),
                        unit="pcs",
                        unit_price=Decimal("50.00"),
                        serial_number=f"SN-{order.pk:07d}-{position}",
                        received_quantity=Decimal("1") if closed else Decimal("0"),
                        disposition=Disposition.SCRAP if closed else "",
                        position=position,
                    )
                )
        ReturnLine.objects.bulk_create(lines, batch_size=2000)
        NumberSequence.objects.update_or_create(
            tenant=tenant,
            key="return_order",
            defaults={"prefix": "RMA-", "next_value": RETURNS + 1},
        )
    return tenant, manager, customers, orders, len(lines)


def _list_floor(tenant, filters: dict):
    from returns import selectors
    from web.lists import PAGE_SIZE

    qs = selectors.return_list(tenant=tenant, **filters).order_by("-number")
    count_sql, count_params = order_pages._sql(qs.order_by().values("pk"))
    page_sql, page_params = order_pages._sql(qs[:PAGE_SIZE])
    return [(f"SELECT count(*) FROM ({count_sql}) AS c", count_params), (page_sql, page_params)]


def _detail_floor(tenant, order):
    from returns.models import ReturnCredit, ReturnLine, ReturnOrder

    return [
        order_pages._sql(
            ReturnOrder.objects.for_tenant(tenant)
            .select_related("customer", "reason", "created_by")
            .filter(pk=order.pk)
        ),
        order_pages._sql(
            ReturnLine.objects.for_tenant(tenant)
            .filter(return_order=order)
            .select_related("invoice", "invoice_line", "item", "service_object")
        ),
        order_pages._sql(ReturnCredit.objects.for_tenant(tenant).filter(line__return_order=order)),
    ]


def run_pages(tenant, manager, customers, orders) -> list[tuple]:
    from django.urls import reverse

    from returns.models import ReturnState

    client = order_pages._client(manager)
    listing = reverse("returns:return_list")
    customer = customers[7]
    open_order = next(o for o in orders if o.state == ReturnState.OPEN)
    created_order = next(o for o in orders if o.state == ReturnState.CREATED)
    serial = f"SN-{orders[len(orders) // 2].pk:07d}"
    cases = [
        ("return list, no filter", listing, {}, {}),
        ("return list, open ones", listing, {"state": "open"}, {"state": "open"}),
        (
            "return list, one customer",
            listing,
            {"customer": customer.pk},
            {"customer_id": customer.pk},
        ),
        ("return list, search a serial", listing, {"q": serial}, {"search": serial}),
    ]
    results = []
    for label, url, params, filters in cases:
        seconds, queries, response = order_pages._timed_requests(client, url, params)
        floor, rows = order_pages._floor(tenant, _list_floor(tenant, filters))
        results.append((label, rows, seconds, queries, floor))
    for label, order in (
        ("return page, open (2 lines)", open_order),
        ("return page, created (+ line form)", created_order),
    ):
        url = reverse("returns:return_detail", args=[order.pk])
        seconds, queries, response = order_pages._timed_requests(client, url, {})
        floor, rows = order_pages._floor(tenant, _detail_floor(tenant, order))
        results.append((label, rows, seconds, queries, floor))
    return results


def run_adds(tenant, customers) -> tuple[int, float, int, float]:
    """``line_add`` ADDS times, each in its own transaction, on returns of customers whose
    goods are already partly returned; and the floor: the lock and the cap's sum, raw."""
    from django.db import connection, transaction

    from invoicing import selectors as invoicing_selectors
    from returns import services
    from returns.models import ReturnReason
    from tenancy.context import tenant_scope

    with tenant_scope(tenant):
        targets = []
        for customer in customers[:ADDS]:
            order = services.return_create(
                tenant=tenant,
                by=None,
                data={
                    "customer": customer,
                    "reason": ReturnReason.objects.get(tenant=tenant),
                    "deadline": tenant.today() + datetime.timedelta(days=14),
                },
            )
            line = (
                invoicing_selectors.customer_returnable_lines(tenant=tenant, customer=customer)
                .filter(position=1)
                .first()
            )
            targets.append((order.pk, line.pk))

    def step():
        for order_id, line_id in targets:
            with tenant_scope(tenant):
                services.line_add(
                    tenant=tenant,
                    by=None,
                    return_id=order_id,
                    invoice_line_id=line_id,
                    quantity=Decimal("1"),
                )
        return len(targets)

    started_cpu = time.process_time()
    rows, seconds, queries = common.measured(step)
    cpu = time.process_time() - started_cpu
    floor_started = time.perf_counter()
    for _order_id, line_id in targets:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL app.tenant_id = '{int(tenant.pk)}'")
            cursor.execute(
                "SELECT id FROM invoicing_invoiceline WHERE tenant_id = %s AND id = %s FOR UPDATE",
                [tenant.pk, line_id],
            )
            cursor.execute(
                "SELECT coalesce(sum(quantity), 0) FROM returns_returnline "
                "WHERE tenant_id = %s AND invoice_line_id = %s",
                [tenant.pk, line_id],
            )
    floor = time.perf_counter() - floor_started
    return rows, seconds, queries, floor, cpu


def main() -> None:
    config, scratch, _reused = common.create_scratch_database("_bench_returns")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [order_pages.HOST]
    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        tenant, manager, customers, orders, lines = build(datetime.date.today())
        order_data.vacuum_analyze()
        print(
            f"Built {len(orders)} returns with {lines} lines over "
            f"{CUSTOMERS * INVOICES_PER_CUSTOMER} invoices "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        order_pages.print_table(run_pages(tenant, manager, customers, orders))
        rows, seconds, queries, floor, cpu = run_adds(tenant, customers)
        print()
        print("| step | rows | seconds | queries | per call ms | floor s | × floor | CPU s |")
        print("|---|---|---|---|---|---|---|---|")
        print(
            f"| line_add (cap under the invoice line's lock) | {rows} | {seconds:.2f} | {queries}"
            f" | {seconds / rows * 1000:.1f} | {floor:.2f} | {seconds / floor:.1f} | {cpu:.2f} |"
        )
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
