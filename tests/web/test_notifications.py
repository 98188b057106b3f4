"""Notifications: made once per person and key, in the recipient's language with the same text
by e-mail on commit; the bell counts a person's unread ones; the list marks them read."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext as _

from tenancy.roles import Role
from tests.factories import NotificationFactory
from web import notifications
from web.models import Notification


def _message():
    return _("My account"), _("Sign out")  # strings every catalogue has


@pytest.mark.django_db(transaction=True)
def test_notify_once_per_key_in_the_recipients_language_with_a_mail_on_commit(
    tenant_a, make_member
):
    polish = make_member(tenant_a, Role.DISPATCHER)
    polish.language = "pl"
    polish.save()
    french = make_member(tenant_a, Role.SERVICE_MANAGER)
    french.language = "fr"
    french.save()

    made = notifications.notify(
        tenant=tenant_a, recipients=[polish, french, polish], key="k1", url="/x/", message=_message
    )
    again = notifications.notify(
        tenant=tenant_a, recipients=[polish, french], key="k1", url="/x/", message=_message
    )

    assert len(made) == 2
    assert again == []
    titles = dict(
        Notification.objects.filter(tenant=tenant_a).values_list("recipient__email", "title")
    )
    assert titles[polish.email] != titles[french.email]  # each in their own language
    assert titles[polish.email] != "My account"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([polish.email, french.email])
    assert {m.subject for m in mail.outbox} == set(titles.values())


def test_no_mail_when_the_transaction_rolls_back(
    tenant_a, make_member, django_capture_on_commit_callbacks
):
    person = make_member(tenant_a, Role.DISPATCHER)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.notify(
            tenant=tenant_a, recipients=[person], key="k", url="", message=_message
        )
    assert len(callbacks) == 1  # the mail waits for the commit
    assert mail.outbox == []


def test_bell_counts_own_unread_notifications_only(tenant_a, tenant_b, make_member, client_for):
    person = make_member(tenant_a, Role.DISPATCHER)
    other = make_member(tenant_a, Role.DISPATCHER)
    NotificationFactory.create_batch(3, tenant=tenant_a, recipient=person)
    NotificationFactory(tenant=tenant_a, recipient=person, read_at="2026-01-01T00:00Z")
    NotificationFactory(tenant=tenant_a, recipient=other)
    NotificationFactory(tenant=tenant_b, recipient=person)

    client = client_for(person)
    page = client.get(reverse("home")).content.decode()
    assert reverse("notification_badge") in page  # the header asks for the count

    response = client.get(reverse("notification_badge"))

    assert response.status_code == 200
    bell = response.content.decode().split('data-testid="notification-count">', 1)[1]
    assert bell.startswith("3<")


def test_list_marks_one_and_all_read(
    tenant_a, make_member, client_for, django_assert_max_num_queries
):
    person = make_member(tenant_a, Role.TECHNICIAN)
    first, second, third = NotificationFactory.create_batch(3, tenant=tenant_a, recipient=person)
    client = client_for(person)

    response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    assert first.title in response.content.decode()

    response = client.post(reverse("notification_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None

    client.post(reverse("notification_read_all"))
    assert not Notification.objects.filter(tenant=tenant_a, read_at=None).exists()


def test_list_runs_a_constant_number_of_queries(
    tenant_a, make_member, client_for, django_assert_max_num_queries
):
    person = make_member(tenant_a, Role.TECHNICIAN)
    client = client_for(person)
    NotificationFactory(tenant=tenant_a, recipient=person)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("notification_list"))
    NotificationFactory.create_batch(20, tenant=tenant_a, recipient=person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notification_list"))


def test_another_persons_notification_is_not_found(tenant_a, make_member, client_for):
    person = make_member(tenant_a, Role.DISPATCHER)
    theirs = NotificationFactory(tenant=tenant_a, recipient=make_member(tenant_a, Role.DISPATCHER))
    response = client_for(person).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
