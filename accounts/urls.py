from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.member_list, name="members"),
    path("users/add/", views.member_add, name="member_add"),
    path("users/<int:pk>/", views.member_edit, name="member_edit"),
    path("tenant/", views.tenant_settings, name="settings"),
    path("numbers/", views.number_sequences, name="numbers"),
    path("activity/", views.audit_list, name="audit"),
]
