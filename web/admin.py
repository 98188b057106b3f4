from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import ImportBatch, Notification, SubmissionToken


@admin.register(SubmissionToken)
class SubmissionTokenAdmin(TenantOwnedAdmin):
    list_display = ("token", "result_url", "created_at")
    readonly_fields = ("token", "result_url")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(TenantOwnedAdmin):
    """Data imports, for support: what was uploaded, by whom, and what it did."""

    list_display = ("file_name", "kind", "state", "created_by", "created_at", "created_count")
    list_filter = ("tenant", "kind", "state")
    readonly_fields = (
        "kind",
        "file_name",
        "state",
        "valid_only",
        "created_by",
        "finished_at",
        "created_count",
        "updated_count",
        "failed_count",
        "preview",
    )
    exclude = ("headers", "records")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(TenantOwnedAdmin):
    """What people were told in the app (and by mail): for support, never written by hand."""

    list_display = ("recipient", "title", "created_at", "read_at")
    list_filter = ("tenant",)
    search_fields = ("title", "recipient__email")
    list_select_related = ("tenant", "recipient")
    raw_id_fields = ("recipient",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
