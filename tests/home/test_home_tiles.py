"""Home tiles: counts other apps register for each role's home page (web.registry)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import AgreementState
from service_orders.models import OrderState
from tenancy.models import Membership
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    CustomerFactory,
    GenerationErrorFactory,
    GenerationRunFactory,
    InvitationFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db


def _tile(response, key: str) -> str | None:
    """The tile's markup, up to the next tile; None when the page has no such tile."""
    html = response.content.decode()
    marker = f'data-testid="tile-{key}"'
    if marker not in html:
        return None
    start = html.index(marker)
    end = html.find('data-testid="tile-', start + len(marker))
    return html[start : end if end != -1 else len(html)]


def _count(response, key: str) -> int:
    tile = _tile(response, key)
    assert tile is not None, f"no {key} tile"
    return int(re.search(r'data-count="(\d+)"', tile).group(1))


def _link(response, key: str) -> str:
    return re.search(r'href="([^"]+)"', _tile(response, key)).group(1).replace("&amp;", "&")


def test_manager_sees_open_orders_conflicts_errors_and_agreements_ending(
    tenant_a, tenant_b, manager_a, client_for
):
    customer = CustomerFactory(tenant=tenant_a)
    ServiceOrderFactory.create_batch(2, customer=customer)
    ServiceOrderFactory(customer=customer, calendar_conflict=True, state=OrderState.ON_HOLD)
    ServiceOrderFactory(customer=customer, state=OrderState.CANCELLED, calendar_conflict=True)
    ServiceOrderFactory.create_batch(4, customer=CustomerFactory(tenant=tenant_b))
    GenerationErrorFactory(run=GenerationRunFactory(tenant=tenant_a))
    today = timezone.now().astimezone(tenant_a.zone).date()
    AgreementFactory(
        customer=customer, state=AgreementState.ACTIVE, end_date=today + datetime.timedelta(10)
    )
    AgreementFactory(
        customer=customer, state=AgreementState.ACTIVE, end_date=today + datetime.timedelta(200)
    )

    response = client_for(manager_a).get(reverse("home"))

    assert _count(response, "open_orders") == 3
    tile = _tile(response, "open_orders")
    assert 'data-part="new">2<' in tile and 'data-part="on_hold">1<' in tile
    assert _count(response, "calendar_conflicts") == 1
    assert _count(response, "generation_errors") == 1
    assert _count(response, "agreements_ending") == 1
    assert _count(response, "agreements_suspended") == 0


def test_each_count_links_to_the_list_showing_exactly_those_records(
    tenant_a, manager_a, client_for
):
    customer = CustomerFactory(tenant=tenant_a)
    today = timezone.now().astimezone(tenant_a.zone).date()
    in_3_days = today + datetime.timedelta(days=3)
    ServiceOrderFactory(customer=customer, preferred_date=in_3_days)
    ServiceOrderFactory(customer=customer, preferred_date=today + datetime.timedelta(days=20))
    ServiceOrderFactory(customer=customer, preferred_date=in_3_days, calendar_conflict=True)
    ServiceOrderFactory(customer=customer, preferred_date=in_3_days, state=OrderState.CANCELLED)
    AgreementFactory(
        customer=customer, state=AgreementState.ACTIVE, end_date=today + datetime.timedelta(5)
    )
    AgreementFactory(customer=customer, state=AgreementState.SUSPENDED)
    client = client_for(manager_a)
    home = client.get(reverse("home"))
    for key in (
        "open_orders",
        "calendar_conflicts",
        "unassigned_week",
        "agreements_ending",
        "agreements_suspended",
    ):
        listed = client.get(_link(home, key))
        assert listed.status_code == 200
        assert listed.context["page_obj"].paginator.count == _count(home, key), key
    assert _count(home, "unassigned_week") == 2


def test_each_role_sees_only_its_tiles(tenant_a, make_member, client_for):
    dispatcher = client_for(make_member(tenant_a, Role.DISPATCHER)).get(reverse("home"))
    assert _tile(dispatcher, "open_orders") is not None
    assert _tile(dispatcher, "unassigned_week") is not None
    assert _tile(dispatcher, "calendar_conflicts") is not None
    assert _tile(dispatcher, "generation_errors") is None
    assert _tile(dispatcher, "agreements_ending") is None
    technician = client_for(make_member(tenant_a, Role.TECHNICIAN)).get(reverse("home"))
    assert 'data-testid="home-tiles"' not in technician.content.decode()


def test_home_runs_a_constant_number_of_queries(
    tenant_a, manager_a, client_for, django_assert_max_num_queries
):
    client = client_for(manager_a)
    client.get(reverse("home"))
    # One query per tile (the returns tile made it 15), none per row.
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("home"))
    customer = CustomerFactory(tenant=tenant_a)
    ServiceOrderFactory.create_batch(20, customer=customer)
    GenerationErrorFactory.create_batch(5, run=GenerationRunFactory(tenant=tenant_a))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))


def test_tenant_admin_sees_invitations_still_waiting(tenant_a, tenant_b, admin_a, client_for):
    InvitationFactory.create_batch(2, tenant=tenant_a)
    InvitationFactory(tenant=tenant_a, expires_at=timezone.now() - datetime.timedelta(hours=1))
    InvitationFactory(tenant=tenant_a, accepted_at=timezone.now())
    InvitationFactory(tenant=tenant_b)
    response = client_for(admin_a).get(reverse("home"))
    assert _count(response, "pending_invitations") == 2
    assert _link(response, "pending_invitations").startswith(reverse("accounts:members"))


def test_the_admins_users_by_role_link_to_exactly_those_members(
    tenant_a, tenant_b, admin_a, make_member, client_for
):
    make_member(tenant_a, Role.TECHNICIAN)
    make_member(tenant_a, Role.TECHNICIAN)
    gone = make_member(tenant_a, Role.TECHNICIAN)
    Membership.objects.filter(tenant=tenant_a, user=gone).update(is_active=False)
    make_member(tenant_b, Role.TECHNICIAN)
    client = client_for(admin_a)
    html = client.get(reverse("home")).content.decode()
    before, after = html.split('data-testid="role-count-technician"')
    count = int(re.search(r'data-count="(\d+)"', after.split("</li>")[0]).group(1))
    link = re.search(r'href="([^"]+)"', before.rsplit("<a ", 1)[1]).group(1)
    listed = client.get(link.replace("&amp;", "&"))
    assert count == 2
    assert listed.context["page_obj"].paginator.count == count
