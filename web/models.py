"""The models of the shared UI layer: one-use tokens of create forms, and data imports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned, tenant_key


class SubmissionToken(TenantOwned):
    """One use of a create form. The unique key makes a double submit (double click, retry,
    two tabs) find the first submission's result instead of creating a second record."""

    token = models.UUIDField()
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "token"], name="web_submission_once"),
        ]

    def __str__(self) -> str:
        return str(self.token)


class ImportBatch(TenantOwned):
    """One data import (web.imports): the file's rows as read, the checked preview of each row,
    and once imported the counts. An upload is checked and shown before anything is saved; the
    "Import" that follows runs once (a second submit finds the batch done)."""

    PENDING, DONE = "pending", "done"

    kind = models.CharField(_("kind of records"), max_length=40)
    file_name = models.CharField(_("file"), max_length=200)
    headers = models.JSONField(default=list)
    records = models.JSONField(default=list)
    preview = models.JSONField(default=list)  # per row: line, key, action, errors
    state = models.CharField(_("state"), max_length=10, default=PENDING)
    valid_only = models.BooleanField(_("valid rows only"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("imported"), null=True, blank=True)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    failed_count = models.PositiveIntegerField(_("with errors"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")
        constraints = [tenant_key()]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"


class Notification(TenantOwned):
    """Something a person of the tenant should know about (an order reached an escalation level,
    …): shown under the bell in the header until read. The text is written in the recipient's
    language when the notification is made, as the e-mail that goes with it (web.notifications).
    ``key`` makes a notification once-only: the same key for the same person is refused by the
    database, so a retried job never notifies twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    key = models.CharField(max_length=120)
    title = models.CharField(_("notification"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "recipient", "key"], name="web_notification_once"
            ),
        ]
        indexes = [
            # The bell's count: a person's unread notifications.
            models.Index(
                fields=["tenant", "recipient"],
                condition=models.Q(read_at__isnull=True),
                name="web_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title
