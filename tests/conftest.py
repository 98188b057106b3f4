"""Shared fixtures.

Row-level security is on in tests as in production. Test code itself (the main thread: factories,
assertions) plays the platform admin: its connection carries a session-level bypass, so it can
arrange data for several tenants. A request through the test client runs without it: the bypass
is switched off when the request starts and back on when it has finished, so only the tenant
middleware's scope lets rows through (a request without a tenant sees no tenant rows, as in
production). The live server and Celery worker threads open their own connections and get no
bypass at all.
"""

import shutil
import threading
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection as db_connection
from django.db.backends.signals import connection_created

from tenancy.models import Tenant
from tenancy.roles import Role

from .factories import MembershipFactory, TenantFactory, UserFactory

PASSWORD = "correct-horse-battery"


class _TestCodeBypass:
    """The main thread's session-level bypass, off while the test client handles a request."""

    in_request = False

    @staticmethod
    def _set(connection, value: str) -> None:
        # The driver's own cursor: not a query of the code under test, so query budgets
        # (django_assert_max_num_queries) don't count it.
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.bypass_rls', %s, false)", [value])

    @classmethod
    def connection_created(cls, sender, connection, **kwargs) -> None:
        if threading.current_thread() is threading.main_thread() and not cls.in_request:
            cls._set(connection, "on")

    @classmethod
    def _switch(cls, in_request: bool) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # the live server's threads never had the bypass
        cls.in_request = in_request
        # Only a connection that is open and usable: a new one gets the right value from
        # connection_created, and a failed transaction's rollback restores the old value.
        if db_connection.connection is not None and not db_connection.needs_rollback:
            cls._set(db_connection, "off" if in_request else "on")

    @classmethod
    def request_started(cls, sender, **kwargs) -> None:
        cls._switch(True)

    @classmethod
    def request_finished(cls, sender, **kwargs) -> None:
        cls._switch(False)


connection_created.connect(_TestCodeBypass.connection_created, dispatch_uid="tests.bypass")
request_started.connect(_TestCodeBypass.request_started, dispatch_uid="tests.bypass")
request_finished.connect(_TestCodeBypass.request_finished, dispatch_uid="tests.bypass")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Sign-in rate limits count in the (per-process) cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _test_media_root():
    """The run's own media directory (config/settings/test.py), removed at the end."""
    from django.conf import settings

    yield
    media = Path(settings.MEDIA_ROOT)
    if media.name.startswith("fieldline-test-media-"):
        shutil.rmtree(media, ignore_errors=True)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return TenantFactory(slug="alpha", name="Alpha Services", time_zone="Europe/Warsaw")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return TenantFactory(slug="beta", name="Beta Serviços", time_zone="America/Sao_Paulo")


def _member(tenant, role, email=None):
    user = UserFactory(email=email) if email else UserFactory()
    MembershipFactory(tenant=tenant, user=user, role=role)
    return user


@pytest.fixture
def make_member():
    """make_member(tenant, role) -> a user with that role in that tenant."""
    return _member


@pytest.fixture
def admin_a(tenant_a):
    return _member(tenant_a, Role.TENANT_ADMIN)


@pytest.fixture
def manager_a(tenant_a):
    return _member(tenant_a, Role.SERVICE_MANAGER)


@pytest.fixture
def dispatcher_a(tenant_a):
    return _member(tenant_a, Role.DISPATCHER)


@pytest.fixture
def technician_a(tenant_a):
    return _member(tenant_a, Role.TECHNICIAN)


@pytest.fixture
def admin_b(tenant_b):
    return _member(tenant_b, Role.TENANT_ADMIN)


@pytest.fixture
def manager_b(tenant_b):
    return _member(tenant_b, Role.SERVICE_MANAGER)


@pytest.fixture
def client_for(client):
    """client_for(user) -> the test client signed in as user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
