"""In-app notifications with their e-mail: the bell in the header and the person's list.

Any app notifies through ``notify``: it writes each recipient's notification in the recipient's
language (their preference, else the tenant's default) and in the tenant's time zone, and sends
the same text by e-mail once the transaction commits. A notification's ``key`` is unique per
recipient, so notifying the same thing twice (a retried job) makes no second notification and
sends no second mail. See docs/decisions/0021-notifications-in-web.md.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from tenancy.models import Tenant, User

from .models import Notification

# (title, body) of a notification, called with the recipient's language and the tenant's zone
# active.
Message = Callable[[], tuple[str, str]]


def recipient_language(tenant: Tenant, user: User) -> str:
    return user.language or tenant.default_language or settings.LANGUAGE_CODE


def notify(
    *, tenant: Tenant, recipients: Iterable[User], key: str, url: str, message: Message
) -> list[Notification]:
    """Notify each of ``recipients`` once for ``key``; returns the notifications made now (a
    recipient already notified for ``key`` is skipped)."""
    made = []
    for user in {user.pk: user for user in recipients}.values():
        with translation.override(recipient_language(tenant, user)), timezone.override(tenant.zone):
            title, body = message()
        notification = Notification(
            tenant=tenant, recipient=user, key=key, title=title[:200], body=body, url=url
        )
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            continue  # notified before: nothing new to say
        made.append(notification)
        if user.email:
            transaction.on_commit(_mailer(title, body, user.email), robust=True)
    return made


def notify_many(
    *, tenant: Tenant, items: Iterable[tuple[Iterable[User], str, str, Message]]
) -> dict[str, int]:
    """``notify`` for many keys at once — (recipients, key, url, message) each — in one INSERT
    (``ON CONFLICT DO NOTHING`` on the once-per-recipient key). Returns how many people each
    key notified now; their e-mails go out once the transaction commits."""
    rows: list[tuple[int, str, str, str, str]] = []
    mails: dict[tuple[int, str], tuple[str, str, str]] = {}
    for recipients, key, url, message in items:
        for user in {user.pk: user for user in recipients}.values():
            with (
                translation.override(recipient_language(tenant, user)),
                timezone.override(tenant.zone),
            ):
                title, body = message()
            rows.append((user.pk, key, title[:200], body, url))
            if user.email:
                mails[(user.pk, key)] = (title, body, user.email)
    if not rows:
        return {}
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (tenant_id, recipient_id, key, title, body, url, created_at)
            SELECT %s, r, k, t, b, u, %s
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                 AS new(r, k, t, b, u)
            ON CONFLICT (tenant_id, recipient_id, key) DO NOTHING
            RETURNING recipient_id, key
            """,
            [tenant.pk, timezone.now(), *(list(column) for column in zip(*rows, strict=True))],
        )
        made = cursor.fetchall()
    counts: dict[str, int] = {}
    for recipient_id, key in made:
        counts[key] = counts.get(key, 0) + 1
        if (recipient_id, key) in mails:
            transaction.on_commit(_mailer(*mails[(recipient_id, key)]), robust=True)
    return counts


def _mailer(subject: str, body: str, address: str) -> Callable[[], None]:
    return lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def unread_count(*, tenant: Tenant, user: User) -> int:
    return Notification.objects.for_tenant(tenant).filter(recipient=user, read_at=None).count()


def notifications_for(*, tenant: Tenant, user: User):
    return Notification.objects.for_tenant(tenant).filter(recipient=user)


def notification_get(*, tenant: Tenant, user: User, pk: int) -> Notification:
    """One of ``user``'s notifications; another person's or tenant's is ``DoesNotExist``."""
    return notifications_for(tenant=tenant, user=user).get(pk=pk)


@transaction.atomic
def mark_read(*, tenant: Tenant, user: User, notification: Notification) -> None:
    notifications_for(tenant=tenant, user=user).filter(pk=notification.pk, read_at=None).update(
        read_at=timezone.now()
    )


@transaction.atomic
def mark_all_read(*, tenant: Tenant, user: User) -> int:
    return (
        notifications_for(tenant=tenant, user=user)
        .filter(read_at=None)
        .update(read_at=timezone.now())
    )
