"""A tenant keeps at least one active tenant admin, also when two admins demote each other at the
same moment (each in a transaction of its own, as two requests would)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tenancy.context import tenant_scope
from tenancy.models import Membership
from tenancy.roles import Role
from tenancy.services import member_update
from tests.factories import MembershipFactory, TenantFactory, UserFactory

LAST_ADMIN = {"role": ["A tenant needs at least one active tenant admin."]}


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    tenant = TenantFactory()
    ada, bob = UserFactory(), UserFactory()
    ada_membership = MembershipFactory(tenant=tenant, user=ada, role=Role.TENANT_ADMIN)
    bob_membership = MembershipFactory(tenant=tenant, user=bob, role=Role.TENANT_ADMIN)
    first_demoted, release_first, second_done = (threading.Event() for _ in range(3))
    outcome = {}

    def demote(by, membership, key):
        with tenant_scope(tenant):
            member_update(
                tenant=tenant,
                by=by,
                membership_id=membership.pk,
                role=Role.TECHNICIAN,
                is_active=True,
            )
            outcome[key] = "demoted"
            if key == "first":
                first_demoted.set()
                release_first.wait(10)  # the transaction stays open, its locks held

    def run(by, membership, key):
        try:
            demote(by, membership, key)
        except ValidationError as exc:
            outcome[key] = exc.message_dict
        finally:
            if key == "second":
                second_done.set()
            connection.close()

    first = threading.Thread(target=run, args=(ada, bob_membership, "first"))
    second = threading.Thread(target=run, args=(bob, ada_membership, "second"))
    first.start()
    assert first_demoted.wait(10)
    second.start()
    # The second demotion either queues behind the first one's locks (as it must) or, without
    # them, finishes while the first is still uncommitted. Either way, then let the first commit.
    deadline = time.monotonic() + 10
    while not second_done.is_set() and not _someone_waits_for_a_lock():
        assert time.monotonic() < deadline, "the second demotion neither waited nor finished"
        time.sleep(0.02)
    release_first.set()
    first.join(10)
    second.join(10)

    assert outcome == {"first": "demoted", "second": LAST_ADMIN}
    admins = Membership.objects.filter(tenant=tenant, role=Role.TENANT_ADMIN, is_active=True)
    assert list(admins.values_list("user_id", flat=True)) == [ada.pk]


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted_one_after_the_other(tenant_a, make_member):
    ada, bob = make_member(tenant_a, Role.TENANT_ADMIN), make_member(tenant_a, Role.TENANT_ADMIN)
    memberships = {m.user_id: m for m in Membership.objects.filter(tenant=tenant_a)}
    with tenant_scope(tenant_a):
        member_update(
            tenant=tenant_a,
            by=ada,
            membership_id=memberships[bob.pk].pk,
            role=Role.TECHNICIAN,
            is_active=True,
        )
    with pytest.raises(ValidationError) as refused, tenant_scope(tenant_a):
        member_update(
            tenant=tenant_a,
            by=bob,
            membership_id=memberships[ada.pk].pk,
            role=Role.DISPATCHER,
            is_active=True,
        )
    assert refused.value.message_dict == LAST_ADMIN
