"""Shared fixtures.

Row-level security is on in tests as in production. Test code itself (the main thread: factories,
assertions) plays the platform admin: its connection carries the session-level bypass, so it can
arrange data for several tenants. Requests through the test client run the real tenant middleware,
which switches that off for the request; the live server and Celery worker threads open their own
connections and get no bypass at all.
"""

import threading

import pytest
from django.db.backends.signals import connection_created

from tenancy.models import Tenant
from tenancy.roles import Role

from .factories import MembershipFactory, TenantFactory, UserFactory

PASSWORD = "correct-horse-battery"


def _platform_bypass_for_test_code(sender, connection, **kwargs):
    if threading.current_thread() is threading.main_thread():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.bypass_rls', 'on', false)")


connection_created.connect(_platform_bypass_for_test_code, dispatch_uid="tests.platform_bypass")


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
