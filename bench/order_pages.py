"""Benchmark: the order pages of a tenant with 100,000 service orders and 300,000 order lines.

    DJANGO_SETTINGS_MODULE=config.settings.dev python bench/order_pages.py   (or: make bench)

Works in a scratch database (the configured one's name + "_bench_pages"), created, migrated and
dropped again by this script. Data (bench/order_data.py): the measured tenant with 100,000
orders and 300,000 lines over three years, and a second tenant with 10,000 orders whose rows the
measured one must not see. Then each page is requested in-process through Django's test client
(the whole middleware stack: session, tenant, its transaction with row-level security, the
language), signed in as the user who would open it, and timed:

- order list, typical filter: open orders of one technician, preferred date within ±30 days;
- order list, one stage: every order at "Scheduled", the newest first;
- order list, one customer (picked in the customer filter);
- order list, text search for an order number;
- order list, no filter (the first page of all 100,000);
- order page of an order with five lines and its timeline;
- "My orders" of a technician (their open orders, today's first).

For each: the rows the main query returns, the median and 95th percentile of the server time
over REQUESTS requests (after WARM_UP untimed ones), the queries per request (asserted equal on
every request), and the plain-SQL floor: the page's main queries (see FLOORS) run raw, in one
transaction with the tenant set, timed the same way; "× floor" is median / floor median.

Target (docs/performance.md): ≤ 30 ms median each, the same number of queries whatever the
row count.
"""

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Server time as in production: no query log, no debug pages.
os.environ.setdefault("DJANGO_DEBUG", "false")

import common  # noqa: E402
import order_data  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", "100000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
OTHER_ORDERS = 10_000
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
WARM_UP = 5
HOST = "127.0.0.1"


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def _timed_requests(client, url: str, params: dict) -> tuple[list[float], list[int], object]:
    """Server time of each request, its queries, and the last response. The CPU time the
    request took in this (the Django) process goes to CPU (PostgreSQL's is not in it)."""
    from django.db import connection

    for _ in range(WARM_UP):
        response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
    seconds, queries, cpu = [], [], []
    for _ in range(REQUESTS):
        counter = common.QueryCounter()
        with connection.execute_wrapper(counter):
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = client.get(url, params)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
        assert response.status_code == 200, (url, params, response.status_code)
        queries.append(counter.count)
    CPU.append(cpu)
    return seconds, queries, response


# The Django process's CPU time per request, one list per measured page in order: on a machine
# shared with other work, the server time includes waiting for a core; this does not.
CPU: list[list[float]] = []


def _floor(tenant, statements: list[tuple[str, list]]) -> tuple[list[float], int]:
    """Run the page's main statements raw in one transaction with the tenant's settings (as the
    request does); returns the seconds of each run and the rows of the last statement."""
    from django.db import connection, transaction

    runs, rows = [], 0
    for n in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL app.tenant_id = '{int(tenant.pk)}'")
            for sql_text, params in statements:
                cursor.execute(sql_text, params)
                rows = len(cursor.fetchall())
        if n >= WARM_UP:
            runs.append(time.perf_counter() - started)
    return runs, rows


def _sql(queryset) -> tuple[str, list]:
    sql_text, params = queryset.query.sql_with_params()
    return sql_text, list(params)


def _list_floor(tenant, filters: dict, ordering: list[str]) -> list[tuple[str, list]]:
    """The list's count and its first page, as the list runs them."""
    from service_orders import selectors
    from web.lists import PAGE_SIZE

    qs = selectors.order_list(tenant=tenant, **filters).order_by(*ordering)
    count_sql, count_params = _sql(qs.order_by().values("pk"))
    page_sql, page_params = _sql(qs[:PAGE_SIZE])
    return [(f"SELECT count(*) FROM ({count_sql}) AS c", count_params), (page_sql, page_params)]


def run_pages(data, other) -> list[tuple]:
    from django.urls import reverse

    from service_orders import selectors
    from service_orders.models import OPEN_STATES, ServiceOrder
    from tenancy.context import tenant_scope

    tenant = data.tenant
    today = tenant.today()
    dispatcher = _client(data.dispatcher)
    technician = data.technicians[3]
    month = {
        "date_from": (today - datetime.timedelta(days=30)).isoformat(),
        "date_to": (today + datetime.timedelta(days=30)).isoformat(),
    }
    customer = data.customers[len(data.customers) // 3]
    with tenant_scope(tenant):
        order = (
            ServiceOrder.objects.for_tenant(tenant)
            .filter(state__in=OPEN_STATES, assigned_technician=technician)
            .order_by("-number")
            .first()
        )
        # An order with five lines (ids ending in 4 have five, see order_data.LINES_SQL).
        order = (
            ServiceOrder.objects.for_tenant(tenant)
            .filter(id__gte=order.pk)
            .extra(where=["id %% 5 = 4"])
            .order_by("id")
            .first()
        )
        number = order.number
        search = number[-5:]
    list_url = reverse("service_orders:order_list")
    lists = [
        (
            "list: technician, open, ±30 days",
            {"state": "open", "technician": str(technician.pk), **month},
            {
                "state": "open",
                "technician": technician,
                "date_from": today - datetime.timedelta(days=30),
                "date_to": today + datetime.timedelta(days=30),
            },
        ),
        (
            "list: stage Scheduled",
            {"stage": str(data.stages["scheduled"].pk)},
            {"stage": data.stages["scheduled"]},
        ),
        ("list: one customer", {"customer": str(customer.pk)}, {"customer": customer}),
        ("list: search a number", {"q": search}, {"search": search}),
        ("list: no filter", {}, {}),
    ]
    results = []
    default_ordering = ["-number", "-pk"]
    for label, params, filters in lists:
        seconds, queries, _ = _timed_requests(dispatcher, list_url, params)
        floor, _ = _floor(tenant, _list_floor(tenant, filters, default_ordering))
        with tenant_scope(tenant):
            rows = selectors.order_list(tenant=tenant, **filters).count()
        results.append((label, rows, seconds, queries, floor))

    detail_url = reverse("service_orders:order_detail", args=[order.pk])
    seconds, queries, response = _timed_requests(dispatcher, detail_url, {})
    assert number in response.content.decode()
    with tenant_scope(tenant):
        lines = len(selectors.order_lines(tenant=tenant, order=order))
        header = ServiceOrder.objects.select_related(
            "customer",
            "agreement",
            "site",
            "contact",
            "responsible",
            "preferred_technician",
            "assigned_technician",
            "created_by",
            "stage",
        ).filter(tenant=tenant, pk=order.pk)
        floor_statements = [
            _sql(header),
            _sql(
                selectors.ServiceOrderLine.objects.for_tenant(tenant)
                .filter(order=order)
                .select_related("service_object", "task", "item", "technician")
                .order_by("id")
            ),
        ]
    floor, _ = _floor(tenant, floor_statements)
    results.append((f"order page ({lines} lines)", lines, seconds, queries, floor))

    seconds, queries, response = _timed_requests(
        _client(technician), reverse("service_orders:my_orders"), {}
    )
    with tenant_scope(tenant):
        shown = selectors.technician_orders(tenant=tenant, technician=technician, today=today)
        mine = (
            ServiceOrder.objects.for_tenant(tenant)
            .filter(assigned_technician=technician, state__in=OPEN_STATES)
            .count()
        )
    qs_sql = _my_orders_sql(tenant, technician, today)
    floor, _ = _floor(tenant, [qs_sql])
    results.append((f"my orders ({mine} open)", len(shown), seconds, queries, floor))
    return results


def _my_orders_sql(tenant, technician, today) -> tuple[str, list]:
    """The query technician_orders runs (built, not run, through the selector's queryset)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from service_orders import selectors
    from tenancy.context import tenant_scope

    with tenant_scope(tenant), CaptureQueriesContext(connection) as captured:
        selectors.technician_orders(tenant=tenant, technician=technician, today=today)
    sql_text = captured.captured_queries[-1]["sql"]
    return sql_text, []


def print_table(results: list[tuple]) -> None:
    print()
    print(common.machine_line())
    print(
        f"{REQUESTS} requests per page after {WARM_UP} untimed; server time in ms (median, p95); "
        "floor: the main queries raw (median); CPU: the Django process's median CPU time"
    )
    print()
    header = ("page", "rows", "median", "p95", "queries", "floor", "× floor", "CPU")
    print(f"| {header[0]:<34} | {' | '.join(f'{h:>7}' for h in header[1:])} |")
    print(f"|{'-' * 36}|" + "|".join(["-" * 9] * 7) + "|")
    for (label, rows, seconds, queries, floor), cpu in zip(results, CPU, strict=True):
        queries_shown = (
            f"{min(queries)}" if len(set(queries)) == 1 else f"{min(queries)}–{max(queries)}"
        )
        med, floor_med = common.median(seconds), common.median(floor)
        print(
            f"| {label:<34} | {rows:>7} | {med * 1000:>7.1f} | {common.p95(seconds) * 1000:>7.1f}"
            f" | {queries_shown:>7} | {floor_med * 1000:>7.1f} | {med / floor_med:>7.1f}"
            f" | {common.median(cpu) * 1000:>7.1f} |"
        )


def main() -> None:
    config, scratch, reused = common.create_scratch_database("_bench_pages")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [HOST]
    try:
        print(f"Scratch database {scratch}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        if reused:
            data = order_data.load_tenant(slug="bench")
            other = order_data.load_tenant(slug="other")
        else:
            today = datetime.date.today()
            data = order_data.build_tenant(
                slug="bench", orders=ORDERS, customers=CUSTOMERS, today=today
            )
            other = order_data.build_tenant(
                slug="other", orders=OTHER_ORDERS, customers=CUSTOMERS // 10, today=today
            )
        order_data.vacuum_analyze()
        print(
            f"{'Reused' if reused else 'Built'} {data.orders} orders with {data.lines} lines "
            f"(and another tenant's {other.orders} with {other.lines}) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        print_table(run_pages(data, other))
    finally:
        common.drop_scratch_database(config, scratch)


if __name__ == "__main__":
    main()
