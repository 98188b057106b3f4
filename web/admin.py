from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import SubmissionToken


@admin.register(SubmissionToken)
class SubmissionTokenAdmin(TenantOwnedAdmin):
    list_display = ("token", "result_url", "created_at")
    readonly_fields = ("token", "result_url")

    def has_add_permission(self, request) -> bool:
        return False
