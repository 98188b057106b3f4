from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import Absence, Appointment, BoardChange, BoardVersion, Team, TechnicianProfile


@admin.register(Team)
class TeamAdmin(TenantOwnedAdmin):
    list_display = ("name", "owner")
    search_fields = ("name",)
    list_select_related = ("owner",)


@admin.register(TechnicianProfile)
class TechnicianProfileAdmin(TenantOwnedAdmin):
    list_display = ("user", "team", "home_base", "max_orders_per_day")
    list_filter = ("tenant", "team")
    list_select_related = ("user", "team")
    exclude = ("feed_token",)


@admin.register(Absence)
class AbsenceAdmin(TenantOwnedAdmin):
    list_display = ("technician", "kind", "start_date", "end_date")
    list_filter = ("tenant", "kind")
    date_hierarchy = "start_date"
    list_select_related = ("technician__user",)


@admin.register(Appointment)
class AppointmentAdmin(TenantOwnedAdmin):
    list_display = ("order", "technician", "start", "end", "status")
    list_filter = ("tenant", "status")
    date_hierarchy = "start"
    list_select_related = ("order", "technician__user")


@admin.register(BoardVersion)
class BoardVersionAdmin(TenantOwnedAdmin):
    list_display = ("tenant", "version")


@admin.register(BoardChange)
class BoardChangeAdmin(TenantOwnedAdmin):
    list_display = ("version", "kind", "order", "by", "at", "undone")
    list_filter = ("tenant", "kind")
    list_select_related = ("order", "by")
