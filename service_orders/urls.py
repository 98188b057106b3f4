from django.urls import path

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
]
