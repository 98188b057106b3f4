"""Tenant admins manage members; bad input saves nothing."""

import pytest
from django.urls import reverse

from tenancy.models import AuditEvent, Membership, User
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_admin_creates_a_new_user_who_can_sign_in(admin_a, tenant_a, client):
    client.force_login(admin_a)
    response = client.post(
        reverse("accounts:member_add"),
        {
            "email": "New.Person@Example.test",
            "role": Role.TECHNICIAN,
            "password": "a-Strong-pass-42",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(tenant=tenant_a, user__email="new.person@example.test")
    assert membership.role == Role.TECHNICIAN
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "new.person@example.test", "password": "a-Strong-pass-42"}
    )
    assert signed_in.status_code == 302
    assert AuditEvent.objects.filter(tenant=tenant_a, action="member.add").count() == 1


def test_existing_login_gains_access_without_a_password(admin_a, tenant_a, manager_b, client):
    client.force_login(admin_a)
    response = client.post(
        reverse("accounts:member_add"), {"email": manager_b.email, "role": Role.DISPATCHER}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=manager_b).count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": Role.TECHNICIAN}, "email", "valid email"),
        ({"email": "x@example.test", "role": "wizard"}, "role", "valid choice"),
        ({"email": "x@example.test", "role": Role.TECHNICIAN}, "password", "initial password"),
        (
            {"email": "x@example.test", "role": Role.TECHNICIAN, "password": "123"},
            "password",
            "too short",
        ),
    ],
)
def test_bad_member_input_is_refused_beside_the_field(admin_a, client, data, field, message):
    client.force_login(admin_a)
    before = (User.objects.count(), Membership.objects.count())
    response = client.post(reverse("accounts:member_add"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'data-field="{field}"' in response.content.decode()
    assert (User.objects.count(), Membership.objects.count()) == before


def test_adding_the_same_person_twice_creates_one_membership(admin_a, tenant_a, manager_b, client):
    client.force_login(admin_a)
    data = {"email": manager_b.email, "role": Role.DISPATCHER}
    client.post(reverse("accounts:member_add"), data)
    second = client.post(reverse("accounts:member_add"), data)
    assert "already a member" in second.content.decode()
    assert Membership.objects.filter(tenant=tenant_a, user=manager_b).count() == 1


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


def test_a_double_submit_creates_one_user(admin_a, tenant_a, client):
    client.force_login(admin_a)
    data = {
        "email": "twice@example.test",
        "role": Role.TECHNICIAN,
        "password": "a-Strong-pass-42",
        "submission_token": "5d0c5a4e9b1f4c2a8e7d6f5a4b3c2d1e",
    }
    first = client.post(reverse("accounts:member_add"), data)
    second = client.post(reverse("accounts:member_add"), data)
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Membership.objects.filter(tenant=tenant_a, user__email="twice@example.test").count() == 1
