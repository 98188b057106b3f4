from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import BusinessCalendar, Holiday, ServiceLevelAgreement


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
