from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("levels/", views.sla_list, name="sla_list"),
    path("levels/add/", views.sla_create, name="sla_create"),
    path("levels/<int:pk>/", views.sla_edit, name="sla_edit"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/add/", views.calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:pk>/holidays/", views.holiday_add, name="holiday_add"),
    path(
        "calendars/<int:pk>/holidays/<int:holiday_pk>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
]
