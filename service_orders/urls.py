from django.urls import path

from . import technician_views as tech
from . import views

app_name = "service_orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("for-agreement/", views.agreement_orders, name="agreement_orders"),
    path("for-customer/", views.customer_orders, name="customer_orders"),
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
    path("my/<int:pk>/sign-off/", tech.technician_sign_off, name="technician_sign_off"),
    path("my/<int:pk>/receipt/", tech.technician_receipt, name="technician_receipt"),
    path("<int:pk>/photos/<int:photo_pk>/", tech.order_photo, name="order_photo"),
    path("<int:pk>/receipt.pdf", tech.order_receipt_pdf, name="order_receipt_pdf"),
]
