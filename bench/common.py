"""What the benchmarks share: the scratch database, counting queries, timing, the table.

Each benchmark works in a scratch database next to the configured one (its name + a suffix),
created, migrated and dropped again by the benchmark, so it never touches real data.
"""

import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import environ  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

DEFAULT_URL = "postgres://fieldline@127.0.0.1:54329/fieldline"


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


# BENCH_KEEP=1: keep the scratch database after the run and reuse it (data included) next time,
# e.g. to measure a change without building the data again. Never for recorded figures.
KEEP = os.environ.get("BENCH_KEEP") == "1"


def create_scratch_database(suffix: str = "_bench") -> tuple[dict, str, bool]:
    """Create an empty database named after the configured one plus ``suffix`` and point
    DATABASE_URL at it (call before django.setup()). Returns the configured database's
    settings, the scratch database's name and whether it was reused (BENCH_KEEP)."""
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    config = environ.Env.db_url_config(url)
    scratch = f"{config['NAME']}{suffix}"
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch])
            reused = KEEP and cursor.fetchone() is not None
            if not reused:
                drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch))
                cursor.execute(drop)
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + scratch
    return config, scratch, reused


def drop_scratch_database(config: dict, scratch: str) -> None:
    from django.db import connections

    connections.close_all()
    if KEEP:
        return
    conn = _admin_connection(config)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
    finally:
        conn.close()


class QueryCounter:
    """A connection.execute_wrapper that counts every statement."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql_text, params, many, context):
        self.count += 1
        return execute(sql_text, params, many, context)


def measured(step):
    """Run ``step()`` -> rows; returns (rows, seconds, queries)."""
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        rows = step()
        seconds = time.perf_counter() - started
    return rows, seconds, counter.count


def median(values) -> float:
    return statistics.median(values)


def p95(values) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def machine_line() -> str:
    from django.db import connection

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
        f"load {load} · Python {platform.python_version()} · "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
