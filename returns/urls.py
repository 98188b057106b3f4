from django.urls import path

from . import views

app_name = "returns"

urlpatterns = [
    path("returns/", views.return_list, name="return_list"),
    path("returns/new/", views.return_create, name="return_create"),
    path("returns/reasons/", views.reason_list, name="reason_list"),
    path("returns/reasons/new/", views.reason_create, name="reason_create"),
    path("returns/reasons/<int:pk>/", views.reason_edit, name="reason_edit"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/edit/", views.return_edit, name="return_edit"),
    path("returns/<int:pk>/pdf/", views.return_pdf, name="return_pdf"),
    path("returns/<int:pk>/open/", views.return_open, name="return_open"),
    path("returns/<int:pk>/cancel/", views.return_cancel, name="return_cancel"),
    path("returns/<int:pk>/close/", views.return_close, name="return_close"),
    path("returns/<int:pk>/lines/", views.line_add, name="line_add"),
    path("returns/<int:pk>/lines/<int:line_pk>/remove/", views.line_remove, name="line_remove"),
    path(
        "returns/<int:pk>/lines/<int:line_pk>/arrival/",
        views.arrival_register,
        name="arrival_register",
    ),
    path(
        "returns/<int:pk>/lines/<int:line_pk>/disposition/",
        views.disposition_set,
        name="disposition_set",
    ),
]
