"""Isolation cases for the notification pages (see tests/isolation.py): a notification is one
person's, so the crawl makes the person (OWNER_ROLES) and another tenant's notification of that
very person is still a 404."""

from tenancy.roles import Role
from tests.factories import NotificationFactory


def _notification(tenant, user=None) -> dict:
    return {"pk": NotificationFactory(tenant=tenant, recipient=user).pk}


CASES = {"notification_read": _notification}
OWNER_ROLES = {"notification_read": Role.TENANT_ADMIN}
