"""The one model of the shared UI layer: one-use tokens of create forms."""

from django.db import models

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
