"""The customer contact's portal (service_orders.portal_views), under /portal/."""

from django.urls import path

from . import portal_views as views

app_name = "portal"

urlpatterns = [
    path("new/", views.request_create, name="request_create"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/photos/<int:photo_pk>/", views.request_photo, name="request_photo"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
]
