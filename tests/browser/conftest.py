"""Playwright on the system Chromium against pytest-django's live server."""

import os

import pytest

from tenancy.demo import seed_people

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_PASSWORD = "fieldline-demo"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("FIELDLINE_CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def demo(transactional_db):
    """The demo tenants and logins of the README."""
    return seed_people()


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(email: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server.url}/sign-in/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        return page

    return _sign_in


@pytest.fixture
def background_worker():
    """A Celery worker (a thread of this process, against the test Redis and database) for
    journeys whose page hands work to the background, like the "Generate" button."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        yield


@pytest.fixture(autouse=True)
def settled_page(page, live_server):
    """After each journey, let the page's last requests finish before the database is emptied:
    a request still reading (an image, a poll) holds a lock the flush waits for, and the two
    deadlocked once in CI."""
    yield page
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    finally:
        page.goto("about:blank")
