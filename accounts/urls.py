from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.member_list, name="members"),
    path("users/invite/", views.invite, name="invite"),
    path("users/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("users/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("users/<int:pk>/", views.member_edit, name="member_edit"),
    path("tenant/", views.tenant_settings, name="settings"),
    path("numbers/", views.number_sequences, name="numbers"),
    path("activity/", views.audit_list, name="audit"),
]
