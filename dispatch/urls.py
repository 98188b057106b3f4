from django.urls import path

from . import setup_views, technician_views, views

app_name = "dispatch"

urlpatterns = [
    path("", views.board, name="board"),
    path("changes/", views.changes, name="changes"),
    path("assign/", views.assign, name="assign"),
    path("undo/", views.undo, name="undo"),
    path("visits/<int:pk>/move/", views.move, name="move"),
    path("visits/<int:pk>/unassign/", views.unassign, name="unassign"),
    path("visits/<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("teams/", setup_views.team_list, name="team_list"),
    path("teams/add/", setup_views.team_create, name="team_create"),
    path("teams/<int:pk>/", setup_views.team_edit, name="team_edit"),
    path("teams/<int:pk>/delete/", setup_views.team_delete, name="team_delete"),
    path("technicians/", setup_views.profile_list, name="profile_list"),
    path("technicians/add/", setup_views.profile_create, name="profile_create"),
    path("technicians/<int:pk>/", setup_views.profile_edit, name="profile_edit"),
    path("absences/", setup_views.absence_list, name="absence_list"),
    path("absences/add/", setup_views.absence_create, name="absence_create"),
    path("absences/<int:pk>/", setup_views.absence_edit, name="absence_edit"),
    path("absences/<int:pk>/delete/", setup_views.absence_delete, name="absence_delete"),
    path("my-day/", technician_views.my_day, name="my_day"),
    path("my-week/", technician_views.my_week, name="my_week"),
    path("my-day/visits/<int:pk>/step/", technician_views.my_step, name="my_step"),
    path("my-calendar/", technician_views.my_calendar, name="my_calendar"),
    path("my-calendar/reset/", technician_views.my_calendar_reset, name="my_calendar_reset"),
    path("feed/<int:tenant>/<str:token>.ics", technician_views.feed, name="feed"),
]
