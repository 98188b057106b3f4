"""Tenant admins manage members; bad input saves nothing. (People join through invitations:
test_invitations.py.)"""

import pytest
from django.urls import reverse

from tenancy.models import Membership
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_change_role_and_deactivate(admin_a, tenant_a, technician_a, client):
    client.force_login(admin_a)
    membership = Membership.objects.get(tenant=tenant_a, user=technician_a)
    url = reverse("accounts:member_edit", args=[membership.pk])
    assert client.post(url, {"role": Role.DISPATCHER}).status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == (Role.DISPATCHER, False)


def test_the_last_admin_cannot_be_demoted(admin_a, tenant_a, client, make_member):
    other_admin = make_member(tenant_a, Role.TENANT_ADMIN)
    client.force_login(other_admin)
    membership = Membership.objects.get(tenant=tenant_a, user=admin_a)
    url = reverse("accounts:member_edit", args=[membership.pk])
    # Two admins: demoting one is fine.
    assert client.post(url, {"role": Role.SERVICE_MANAGER, "is_active": "on"}).status_code == 302
    # Now other_admin is the last one and may not demote themselves.
    own = Membership.objects.get(tenant=tenant_a, user=other_admin)
    response = client.post(
        reverse("accounts:member_edit", args=[own.pk]), {"role": Role.TECHNICIAN, "is_active": "on"}
    )
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.role == Role.TENANT_ADMIN


def test_member_list_filters_sorts_and_exports(admin_a, tenant_a, make_member, client):
    for _ in range(3):
        make_member(tenant_a, Role.TECHNICIAN)
    client.force_login(admin_a)
    response = client.get(
        reverse("accounts:members"), {"role": Role.TECHNICIAN, "sort": "-user.email"}
    )
    emails = [m.user.email for m in response.context["rows"]]
    assert len(emails) == 3 and emails == sorted(emails, reverse=True)
    csv = client.get(reverse("accounts:members"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().count("\n") == 5  # header + 4 members


def test_member_list_runs_a_constant_number_of_queries(
    admin_a, tenant_a, make_member, client, django_assert_max_num_queries
):
    client.force_login(admin_a)
    client.get(reverse("accounts:members"))  # warm up
    for _ in range(30):
        make_member(tenant_a, Role.TECHNICIAN)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("accounts:members")).status_code == 200
