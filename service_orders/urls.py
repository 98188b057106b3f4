from django.urls import path

from . import compliance_views, posting_views, request_views, stage_views, views
from . import technician_views as tech
from . import workflow_views as wf

app_name = "service_orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("sla-compliance/", compliance_views.compliance_report, name="sla_compliance"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("for-agreement/", views.agreement_orders, name="agreement_orders"),
    path("posting/", posting_views.posting, name="posting"),
    path("<int:pk>/post/", posting_views.order_post_view, name="order_post"),
    path("for-customer/", views.customer_orders, name="customer_orders"),
    # The workflow (workflow_views) and the stage tree's configuration (stage_views).
    path("new/", wf.order_create, name="order_create"),
    path("bulk/", wf.order_bulk, name="order_bulk"),
    path("<int:pk>/stage/", wf.order_stage_move, name="order_stage_move"),
    path("<int:pk>/reopen/", wf.order_revoke_cancel, name="order_revoke_cancel"),
    path("<int:pk>/sla-clock/", wf.order_clock, name="order_clock"),
    path("<int:pk>/delete/", wf.order_delete, name="order_delete"),
    path("<int:pk>/assign/", wf.order_assign, name="order_assign"),
    path("<int:pk>/lines/move/", wf.lines_move, name="lines_move"),
    path(
        "<int:pk>/lines/from-agreement/",
        wf.lines_from_agreement,
        name="lines_from_agreement",
    ),
    path("<int:pk>/lines/<int:line_pk>/cancel/", wf.line_cancel, name="line_cancel"),
    path(
        "<int:pk>/lines/<int:line_pk>/revoke-cancel/",
        wf.line_revoke_cancel,
        name="line_revoke_cancel",
    ),
    # Web requests (request_views): the office's list and decisions.
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/<int:pk>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:pk>/accept/", request_views.request_accept, name="request_accept"),
    path("requests/<int:pk>/reject/", request_views.request_reject, name="request_reject"),
    path(
        "requests/<int:pk>/photos/<int:photo_pk>/",
        request_views.request_photo,
        name="request_photo",
    ),
    path("stages/", stage_views.stage_tree, name="stage_tree"),
    path("stages/new/", stage_views.stage_create, name="stage_create"),
    path("stages/<int:pk>/", stage_views.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/delete/", stage_views.stage_delete, name="stage_delete"),
    path("stages/<int:pk>/reasons/new/", stage_views.reason_create, name="reason_create"),
    path("stages/reasons/<int:pk>/", stage_views.reason_edit, name="reason_edit"),
    path("stages/reasons/<int:pk>/delete/", stage_views.reason_delete, name="reason_delete"),
    path("generate/", views.generation, name="generation"),
    path("generate/runs/", views.generation_runs, name="generation_runs"),
    path("generate/runs/<int:pk>/", views.generation_run_detail, name="generation_run_detail"),
    path("generate/errors/", views.generation_errors, name="generation_errors"),
    # The technician's phone pages (technician_views) and the files behind them.
    path("my/", tech.my_orders, name="my_orders"),
    path("my/items/", tech.technician_items, name="technician_items"),
    path("my/<int:pk>/", tech.technician_order, name="technician_order"),
    path("my/<int:pk>/step/", tech.technician_step, name="technician_step"),
    path("my/<int:pk>/lines/<str:kind>/", tech.technician_line_add, name="technician_line_add"),
    path("my/<int:pk>/timer/", tech.technician_timer_start, name="technician_timer_start"),
    path(
        "my/<int:pk>/timer/<int:line_pk>/stop/",
        tech.technician_timer_stop,
        name="technician_timer_stop",
    ),
    path(
        "my/<int:pk>/lines/<int:line_pk>/remove/",
        tech.technician_line_remove,
        name="technician_line_remove",
    ),
    path("my/<int:pk>/photos/", tech.technician_photo_add, name="technician_photo_add"),
    path("my/<int:pk>/request/", request_views.technician_request, name="technician_request"),
    path("my/<int:pk>/sign-off/", tech.technician_sign_off, name="technician_sign_off"),
    path("my/<int:pk>/receipt/", tech.technician_receipt, name="technician_receipt"),
    path("<int:pk>/photos/<int:photo_pk>/", tech.order_photo, name="order_photo"),
    path("<int:pk>/receipt.pdf", tech.order_receipt_pdf, name="order_receipt_pdf"),
]
