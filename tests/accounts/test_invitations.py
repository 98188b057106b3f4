"""People join a tenant by accepting an invitation sent to their address: the admin never sets a
password, no membership exists before acceptance, the admin cannot tell whether a login exists,
and the link works once, for that address only, until it expires or is replaced or revoked."""

import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from tenancy.models import AuditEvent, Membership, User
from tenancy.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Strong-pass-42"


def _invite(client, email, role=Role.TECHNICIAN, **extra):
    return client.post(reverse("accounts:invite"), {"email": email, "role": role, **extra})


def _link_from_last_mail() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/invitation/\S+/", body).group(0)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _open_invitations(tenant):
    return Invitation.objects.for_tenant(tenant).filter(
        accepted_at__isnull=True, revoked_at__isnull=True, declined_at__isnull=True
    )


def _accept_new(client, path, first_name="Nina", password=NEW_PASSWORD):
    return client.post(
        path,
        {
            "first_name": first_name,
            "last_name": "New",
            "password1": password,
            "password2": password,
        },
    )


def test_a_new_person_sets_their_own_name_and_password(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, "Nina.New@Example.test")
    assert response.status_code == 302
    assert not User.objects.filter(email="nina.new@example.test").exists()
    assert mail.outbox[-1].to == ["nina.new@example.test"]
    invitation = Invitation.objects.for_tenant(tenant_a).get()
    assert (invitation.email, invitation.role) == ("nina.new@example.test", Role.TECHNICIAN)
    link = _link_from_last_mail()
    assert link.split("/")[-2] not in invitation.secret_hash  # stored hashed, not as sent

    client.logout()
    page = client.get(_path(link))
    assert page.status_code == 200 and "nina.new@example.test" in page.content.decode()
    response = _accept_new(client, _path(link))
    assert response.status_code == 302
    user = User.objects.get(email="nina.new@example.test")
    assert user.first_name == "Nina" and user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(tenant=tenant_a, user=user).role == Role.TECHNICIAN
    # Signed in, in the tenant of the invitation.
    assert client.get(reverse("home")).context["current_tenant"] == tenant_a
    assert AuditEvent.objects.filter(tenant=tenant_a, action="invitation.accept").count() == 1
    # The address is verified by the link: allauth lets them set up two-factor sign-in.
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(user=user).verified


def test_no_membership_exists_before_acceptance(admin_a, tenant_a, manager_b, client):
    client.force_login(admin_a)
    _invite(client, manager_b.email, Role.DISPATCHER)
    assert not Membership.objects.filter(tenant=tenant_a, user=manager_b).exists()
    assert _open_invitations(tenant_a).count() == 1


def test_the_answer_to_the_admin_never_tells_whether_a_login_exists(
    admin_a, manager_b, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    answers, mails = [], []
    for email in (manager_b.email, "nobody-yet@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = _invite(client, email)
        shown = [str(m) for m in get_messages(response.wsgi_request)][-1:]
        answers.append((response.status_code, [m.replace(email, "EMAIL") for m in shown]))
        mails.append(mail.outbox[-1].body.split("http")[0].replace(email, "EMAIL"))
    assert answers[0] == answers[1]
    assert mails[0] == mails[1]


def test_a_person_with_a_login_signs_in_and_accepts(
    admin_a, tenant_a, manager_b, tenant_b, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, manager_b.email, Role.DISPATCHER)
    path = _path(_link_from_last_mail())
    client.logout()
    # Signed out: asked to sign in (nothing to set: the existing password stays theirs).
    page = client.get(path)
    assert page.status_code == 200
    assert f"{reverse('login')}?next=" in page.content.decode()
    assert _accept_new(client, path).status_code == 200
    assert not Membership.objects.filter(tenant=tenant_a, user=manager_b).exists()
    manager_b.refresh_from_db()
    assert manager_b.check_password(PASSWORD)

    client.force_login(manager_b)
    assert client.get(path).status_code == 200
    response = client.post(path, {"answer": "accept"})
    assert response.status_code == 302
    membership = Membership.objects.get(tenant=tenant_a, user=manager_b)
    assert membership.role == Role.DISPATCHER and membership.is_active
    # They keep their first tenant and now work in the new one.
    assert Membership.objects.filter(tenant=tenant_b, user=manager_b, is_active=True).exists()
    assert client.get(reverse("home")).context["current_tenant"] == tenant_a


def test_a_declined_invitation_creates_nothing_and_the_link_dies(
    admin_a, tenant_a, manager_b, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, manager_b.email)
    path = _path(_link_from_last_mail())
    client.force_login(manager_b)
    assert client.post(path, {"answer": "decline"}).status_code == 302
    assert not Membership.objects.filter(tenant=tenant_a, user=manager_b).exists()
    assert client.post(path, {"answer": "accept"}).status_code == 410
    assert not Membership.objects.filter(tenant=tenant_a, user=manager_b).exists()


def test_an_invitation_for_x_is_refused_to_a_signed_in_y(
    admin_a, tenant_a, manager_b, client, django_capture_on_commit_callbacks, make_member, tenant_b
):
    """The pull-in of issue 7: someone else holding the link cannot take the seat."""
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, manager_b.email, Role.TENANT_ADMIN)
    path = _path(_link_from_last_mail())
    intruder = make_member(tenant_b, Role.TECHNICIAN)
    client.force_login(intruder)
    assert client.get(path).status_code == 403
    response = client.post(path, {"answer": "accept"})
    assert response.status_code == 403
    assert not Membership.objects.filter(tenant=tenant_a, user=intruder).exists()
    assert not Membership.objects.filter(tenant=tenant_a, user=manager_b).exists()
    # Still open for the right person.
    assert _open_invitations(tenant_a).count() == 1


def test_an_expired_link_is_refused(admin_a, tenant_a, client, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "late@example.test")
    path = _path(_link_from_last_mail())
    client.logout()
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        assert client.get(path).status_code == 410
        assert _accept_new(client, path).status_code == 410
    assert not User.objects.filter(email="late@example.test").exists()


def test_a_used_link_does_not_work_twice(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "once@example.test")
    path = _path(_link_from_last_mail())
    client.logout()
    assert _accept_new(client, path).status_code == 302
    client.logout()
    again = _accept_new(client, path, first_name="Mallory", password="another-Strong-pass-9")
    assert again.status_code == 410
    user = User.objects.get(email="once@example.test")
    assert user.first_name == "Nina" and user.check_password(NEW_PASSWORD)


def test_a_double_submitted_accept_creates_one_membership(
    admin_a, tenant_a, manager_b, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, manager_b.email)
    path = _path(_link_from_last_mail())
    client.force_login(manager_b)
    first = client.post(path, {"answer": "accept"})
    second = client.post(path, {"answer": "accept"})
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("home")
    assert Membership.objects.filter(tenant=tenant_a, user=manager_b).count() == 1
    assert AuditEvent.objects.filter(tenant=tenant_a, action="invitation.accept").count() == 1


def test_resend_kills_the_old_link(admin_a, tenant_a, client, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "again@example.test")
    old_path = _path(_link_from_last_mail())
    invitation = _open_invitations(tenant_a).get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_resend", args=[invitation.pk]))
    assert response.status_code == 302
    new_path = _path(_link_from_last_mail())
    assert new_path != old_path and len(mail.outbox) == 2
    client.logout()
    assert client.get(old_path).status_code == 410
    assert client.get(new_path).status_code == 200


def test_a_revoked_link_is_refused(admin_a, tenant_a, client, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "revoked@example.test")
    path = _path(_link_from_last_mail())
    invitation = _open_invitations(tenant_a).get()
    assert (
        client.post(reverse("accounts:invitation_revoke", args=[invitation.pk])).status_code == 302
    )
    client.logout()
    assert client.get(path).status_code == 410
    assert _accept_new(client, path).status_code == 410
    assert not User.objects.filter(email="revoked@example.test").exists()


def test_a_tampered_link_is_refused(admin_a, tenant_a, client, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "tamper@example.test")
    path = _path(_link_from_last_mail())
    client.logout()
    assert client.get(path[:-6] + "xxxxx/").status_code == 410
    # The same invitation id under another tenant's id finds nothing.
    parts = path.split("/")
    parts[2] = str(int(parts[2]) + 1000)
    assert client.get("/".join(parts)).status_code == 410


def test_pending_invitations_are_listed_with_resend_and_revoke(
    admin_a, tenant_a, client, django_assert_max_num_queries
):
    client.force_login(admin_a)
    for n in range(3):
        _invite(client, f"pending{n}@example.test")
    client.get(reverse("accounts:members"))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("accounts:members")).content.decode()
    for n in range(3):
        assert f"pending{n}@example.test" in page
    for invitation in _open_invitations(tenant_a):
        assert reverse("accounts:invitation_resend", args=[invitation.pk]) in page
        assert reverse("accounts:invitation_revoke", args=[invitation.pk]) in page


def test_another_tenants_invitation_cannot_be_resent_or_revoked(admin_a, admin_b, tenant_b, client):
    client.force_login(admin_b)
    _invite(client, "theirs@example.test")
    invitation = _open_invitations(tenant_b).get()
    client.force_login(admin_a)
    for name in ("accounts:invitation_resend", "accounts:invitation_revoke"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert _open_invitations(tenant_b).get().revoked_at is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": Role.TECHNICIAN}, "email", "valid email"),
        ({"email": "x@example.test", "role": "wizard"}, "role", "valid choice"),
    ],
)
def test_bad_invitation_input_is_refused_beside_the_field(admin_a, client, data, field, message):
    client.force_login(admin_a)
    response = client.post(reverse("accounts:invite"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'data-field="{field}"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_address_with_an_open_invitation_or_a_membership_is_refused(
    admin_a, tenant_a, technician_a, client
):
    client.force_login(admin_a)
    _invite(client, "twice@example.test")
    second = _invite(client, "twice@example.test")
    assert "open invitation" in " ".join(second.context["form"].errors["email"])
    member = _invite(client, technician_a.email)
    assert "already a member" in " ".join(member.context["form"].errors["email"])
    assert _open_invitations(tenant_a).count() == 1


def test_a_double_submitted_invitation_sends_one(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    token = {"submission_token": "5d0c5a4e9b1f4c2a8e7d6f5a4b3c2d1e"}
    with django_capture_on_commit_callbacks(execute=True):
        first = _invite(client, "double@example.test", **token)
        second = _invite(client, "double@example.test", **token)
    assert first.status_code == second.status_code == 302
    assert _open_invitations(tenant_a).count() == 1
    assert len(mail.outbox) == 1


def test_bad_password_on_the_invitation_page_saves_nothing(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "weak@example.test")
    path = _path(_link_from_last_mail())
    client.logout()
    short = _accept_new(client, path, password="123")
    assert short.status_code == 200
    assert "too short" in " ".join(short.context["form"].errors["password1"])
    differ = client.post(
        path, {"first_name": "W", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert "differ" in " ".join(differ.context["form"].errors["password2"])
    assert not User.objects.filter(email="weak@example.test").exists()
    assert _open_invitations(tenant_a).count() == 1
