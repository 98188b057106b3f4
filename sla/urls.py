from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("levels/", views.sla_list, name="sla_list"),
    path("levels/add/", views.sla_create, name="sla_create"),
    path("levels/<int:pk>/", views.sla_edit, name="sla_edit"),
    path("levels/<int:pk>/targets/", views.sla_targets, name="sla_targets"),
    path("levels/<int:pk>/escalations/", views.level_add, name="level_add"),
    path(
        "levels/<int:pk>/escalations/<int:level_pk>/delete/",
        views.level_delete,
        name="level_delete",
    ),
    path("settings/", views.sla_settings, name="settings"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/add/", views.calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:pk>/holidays/", views.holiday_add, name="holiday_add"),
    path("calendars/<int:pk>/holidays/import/", views.holiday_import, name="holiday_import"),
    path("calendars/<int:pk>/windows/", views.window_add, name="window_add"),
    path(
        "calendars/<int:pk>/windows/<int:window_pk>/delete/",
        views.window_delete,
        name="window_delete",
    ),
    path("calendars/<int:pk>/exceptions/", views.exception_add, name="exception_add"),
    path(
        "calendars/<int:pk>/exceptions/<int:exception_pk>/delete/",
        views.exception_delete,
        name="exception_delete",
    ),
    path(
        "calendars/<int:pk>/holidays/<int:holiday_pk>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
]
