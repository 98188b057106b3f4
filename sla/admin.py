from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationLevel,
    Holiday,
    ServiceLevelAgreement,
    SlaSettings,
    SlaTarget,
    WorkingWindow,
)


@admin.register(ServiceLevelAgreement)
class ServiceLevelAgreementAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "is_suspended")
    list_filter = ("tenant", "is_suspended")
    search_fields = ("code", "name")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TenantOwnedAdmin):
    list_display = ("name", "time_zone", "is_default")
    search_fields = ("name",)


@admin.register(Holiday)
class HolidayAdmin(TenantOwnedAdmin):
    list_display = ("date", "name", "calendar")
    list_filter = ("tenant", "calendar")
    date_hierarchy = "date"
    search_fields = ("name",)
    list_select_related = ("calendar",)


# The working-time data of calendars and SLAs: platform admins can inspect and correct a
# tenant's set-up here.
@admin.register(WorkingWindow)
class WorkingWindowAdmin(TenantOwnedAdmin):
    list_display = ("calendar", "weekday", "start_time", "end_time")
    list_filter = ("tenant", "weekday")
    list_select_related = ("calendar",)


@admin.register(CalendarException)
class CalendarExceptionAdmin(TenantOwnedAdmin):
    list_display = ("date", "name", "calendar", "start_time", "end_time")
    list_filter = ("tenant", "calendar")
    date_hierarchy = "date"
    list_select_related = ("calendar",)


@admin.register(SlaTarget)
class SlaTargetAdmin(TenantOwnedAdmin):
    list_display = ("sla", "priority", "response_minutes", "resolution_minutes")
    list_filter = ("tenant", "priority")
    list_select_related = ("sla",)


@admin.register(EscalationLevel)
class EscalationLevelAdmin(TenantOwnedAdmin):
    list_display = ("sla", "percent", "role", "user")
    list_filter = ("tenant",)
    list_select_related = ("sla", "user")
    raw_id_fields = ("user",)


@admin.register(SlaSettings)
class SlaSettingsAdmin(TenantOwnedAdmin):
    list_display = ("tenant", "default_sla", "clock_on_generated", "require_late_reason")
    list_select_related = ("default_sla",)
