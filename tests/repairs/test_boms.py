"""BOM versions: drafts change, approved versions never do, a copy makes the next version, two
versions compare side by side, and the database keeps active versions from overlapping — also
when two managers activate at the same moment (two real connections)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from repairs import selectors, services
from repairs.models import BomLine, BomState, BomVersion
from tenancy.context import tenant_scope
from tenancy.roles import Role
from tests.factories import ItemFactory, MembershipFactory, TenantFactory, UserFactory

from .helpers import bom


@pytest.fixture
def parts(tenant_a):
    return {name: ItemFactory(tenant=tenant_a, name=name) for name in ("pump", "fan", "board")}


def test_an_approved_version_is_immutable_and_changes_by_copy(tenant_a, manager_a, parts):
    boiler = ItemFactory(tenant=tenant_a)
    v1 = bom(tenant_a, manager_a, boiler, [(parts["pump"], 1)], state=BomState.APPROVED)
    with pytest.raises(services.StateConflict):
        services.bom_line_add(
            tenant=tenant_a, by=manager_a, version_id=v1.pk, item=parts["fan"], quantity=1
        )
    with pytest.raises(services.StateConflict):
        services.bom_version_update(
            tenant=tenant_a,
            by=manager_a,
            version_id=v1.pk,
            data={"valid_from": datetime.date(2027, 1, 1)},
        )
    line = BomLine.objects.get(version=v1)
    with pytest.raises(services.StateConflict):
        services.bom_line_remove(tenant=tenant_a, by=manager_a, version_id=v1.pk, line_id=line.pk)
    v2 = services.bom_version_copy(tenant=tenant_a, by=manager_a, version_id=v1.pk)
    assert (v2.number, v2.state, v2.copied_from) == (2, BomState.DRAFT, v1)
    services.bom_line_add(
        tenant=tenant_a, by=manager_a, version_id=v2.pk, item=parts["fan"], quantity=Decimal(2)
    )
    assert BomLine.objects.filter(version=v1).count() == 1
    assert BomLine.objects.filter(version=v2).count() == 2


def test_a_version_without_parts_is_not_approved(tenant_a, manager_a):
    version = services.bom_version_create(
        tenant=tenant_a,
        by=manager_a,
        item=ItemFactory(tenant=tenant_a),
        data={"valid_from": datetime.date(2026, 1, 1)},
    )
    with pytest.raises(ValidationError):
        services.bom_version_approve(tenant=tenant_a, by=manager_a, version_id=version.pk)
    version.refresh_from_db()
    assert version.state == BomState.DRAFT


def test_compare_shows_added_removed_and_changed(tenant_a, manager_a, parts):
    boiler = ItemFactory(tenant=tenant_a)
    v1 = bom(
        tenant_a, manager_a, boiler, [(parts["pump"], 1), (parts["fan"], 2)], state=BomState.DRAFT
    )
    v2 = bom(
        tenant_a, manager_a, boiler, [(parts["fan"], 3), (parts["board"], 1)], state=BomState.DRAFT
    )
    rows = {row.item.name: row for row in selectors.bom_compare(tenant=tenant_a, left=v1, right=v2)}
    assert {name: row.change for name, row in rows.items()} == {
        "pump": "removed",
        "fan": "changed",
        "board": "added",
    }
    assert (rows["fan"].left, rows["fan"].right) == (Decimal(2), Decimal(3))


def test_activating_ends_the_earlier_open_version(tenant_a, manager_a, parts):
    boiler = ItemFactory(tenant=tenant_a)
    v1 = bom(tenant_a, manager_a, boiler, [(parts["pump"], 1)])
    v2 = bom(tenant_a, manager_a, boiler, [(parts["fan"], 1)], valid_from=datetime.date(2026, 6, 1))
    v1.refresh_from_db()
    assert v1.valid_to == datetime.date(2026, 5, 31)
    on = selectors.bom_active_version
    assert on(tenant=tenant_a, item_id=boiler.pk, on=datetime.date(2026, 5, 31)) == v1
    assert on(tenant=tenant_a, item_id=boiler.pk, on=datetime.date(2026, 6, 1)) == v2


def test_an_overlapping_activation_is_refused(tenant_a, manager_a, parts):
    boiler = ItemFactory(tenant=tenant_a)
    bom(tenant_a, manager_a, boiler, [(parts["pump"], 1)], valid_from=datetime.date(2026, 6, 1))
    # Starting earlier than the active one and open-ended: it would overlap it.
    early = bom(tenant_a, manager_a, boiler, [(parts["fan"], 1)], state=BomState.APPROVED)
    with pytest.raises(ValidationError) as refused:
        services.bom_version_activate(tenant=tenant_a, by=manager_a, version_id=early.pk)
    assert "valid_from" in refused.value.message_dict
    early.refresh_from_db()
    assert early.state == BomState.APPROVED


def test_the_database_refuses_overlapping_active_versions(tenant_a, manager_a, parts):
    boiler = ItemFactory(tenant=tenant_a)
    bom(tenant_a, manager_a, boiler, [(parts["pump"], 1)])
    other = bom(tenant_a, manager_a, boiler, [(parts["fan"], 1)], state=BomState.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        BomVersion.objects.filter(pk=other.pk).update(state=BomState.ACTIVE)


@pytest.mark.django_db(transaction=True)
def test_two_activations_at_once_one_wins():
    tenant = TenantFactory()
    ada, bob = UserFactory(), UserFactory()
    for user in (ada, bob):
        MembershipFactory(tenant=tenant, user=user, role=Role.SERVICE_MANAGER)
    boiler, pump = ItemFactory(tenant=tenant), ItemFactory(tenant=tenant)
    with tenant_scope(tenant):
        first = bom(tenant, ada, boiler, [(pump, 1)], state=BomState.APPROVED)
        second = bom(tenant, bob, boiler, [(pump, 2)], state=BomState.APPROVED)
    first_done, release_first, second_done = (threading.Event() for _ in range(3))
    outcome = {}

    def run(by, version, key):
        try:
            with tenant_scope(tenant), transaction.atomic():
                services.bom_version_activate(tenant=tenant, by=by, version_id=version.pk)
                outcome[key] = "active"
                if key == "first":
                    first_done.set()
                    release_first.wait(10)  # still uncommitted
        except ValidationError as exc:
            outcome[key] = sorted(exc.message_dict)
        finally:
            if key == "second":
                second_done.set()
            connection.close()

    one = threading.Thread(target=run, args=(ada, first, "first"))
    two = threading.Thread(target=run, args=(bob, second, "second"))
    one.start()
    assert first_done.wait(10)
    two.start()
    deadline = time.monotonic() + 10
    while not second_done.is_set():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    release_first.set()
    one.join(10)
    two.join(10)
    assert outcome == {"first": "active", "second": ["valid_from"]}
    states = dict(BomVersion.objects.filter(tenant=tenant).values_list("pk", "state"))
    assert states == {first.pk: BomState.ACTIVE, second.pk: BomState.APPROVED}
