from django.urls import path

from . import views

app_name = "repairs"

urlpatterns = [
    # One set of pages per code table, the table fixed in the pattern (reverse with kind=…).
    *(
        pattern
        for kind in views.CODE_TABLES
        for pattern in (
            path(f"codes/{kind}/", views.code_list, {"kind": kind}, name="code_list"),
            path(f"codes/{kind}/new/", views.code_create, {"kind": kind}, name="code_create"),
            path(f"codes/{kind}/<int:pk>/", views.code_edit, {"kind": kind}, name="code_edit"),
        )
    ),
    path("codes/", views.code_tables, name="code_tables"),
    path("orders/<int:order_pk>/new/", views.line_create, name="line_create"),
    path("orders/<int:order_pk>/suggestions/", views.suggestions, name="suggestions"),
    path("lines/<int:pk>/", views.line_detail, name="line_detail"),
    path("lines/<int:pk>/stage/", views.line_stage, name="line_stage"),
    path("lines/<int:pk>/resolution/", views.line_resolution, name="line_resolution"),
    path("lines/<int:pk>/photos/", views.line_photo_add, name="line_photo_add"),
    path("lines/<int:pk>/photos/<int:photo_pk>/", views.line_photo, name="line_photo"),
    path("boms/", views.bom_list, name="bom_list"),
    path("boms/new/", views.bom_create, name="bom_create"),
    path("boms/<int:pk>/", views.bom_detail, name="bom_detail"),
    path("boms/<int:pk>/edit/", views.bom_edit, name="bom_edit"),
    path("boms/<int:pk>/lines/", views.bom_line_add, name="bom_line_add"),
    path(
        "boms/<int:pk>/lines/<int:line_pk>/remove/", views.bom_line_remove, name="bom_line_remove"
    ),
    path("boms/<int:pk>/copy/", views.bom_copy, name="bom_copy"),
    path("boms/<int:pk>/compare/", views.bom_compare, name="bom_compare"),
    path("boms/<int:pk>/<slug:step>/", views.bom_step, name="bom_step"),
    path("objects/<int:pk>/parts/", views.service_bom, name="service_bom"),
    path("objects/<int:pk>/parts/create/", views.service_bom_create, name="service_bom_create"),
    path("objects/<int:pk>/parts/change/", views.part_change, name="part_change"),
]
