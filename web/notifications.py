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
from django.db import IntegrityError, transaction
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
