from allauth.account import views as allauth_views
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as account_views
from home import views as home_views
from web import views as web_views

urlpatterns = [
    path("", home_views.home, name="home"),
    # Sign-in and sign-out are allauth's (rate limits, two-factor step): docs/decisions/0010.
    path("sign-in/", allauth_views.login, name="login"),
    path("sign-out/", allauth_views.logout, name="logout"),
    path(
        "invitation/<int:tenant>/<int:pk>/<str:secret>/",
        account_views.invitation,
        name="invitation",
    ),
    path("account/", account_views.my_account, name="my_account"),
    # No sign-up (logins come from invitations) and no self-service change of the login's
    # address: allauth's pages for those lead back.
    path("account/signup/", RedirectView.as_view(pattern_name="login"), name="account_signup"),
    path("account/email/", RedirectView.as_view(pattern_name="my_account"), name="account_email"),
    # Password reset and change, reauthentication, two-factor (2fa/), sessions (sessions/).
    path("account/", include("allauth.urls")),
    path("no-tenant/", account_views.no_tenant, name="no_tenant"),
    path("tenant/switch/", account_views.switch_tenant, name="switch_tenant"),
    path("language/", web_views.set_language, name="set_language"),
    path("notifications/", web_views.notification_list, name="notification_list"),
    path("notifications/badge/", web_views.notification_badge, name="notification_badge"),
    path("notifications/<int:pk>/read/", web_views.notification_read, name="notification_read"),
    path("notifications/read-all/", web_views.notification_read_all, name="notification_read_all"),
    path("settings/", include("accounts.urls")),
    path("sla/", include("sla.urls")),
    path("", include("customers.urls")),
    path("", include("invoicing.urls")),
    path("", include("agreements.urls")),
    path("subscriptions/", include("subscriptions.urls")),
    path("orders/", include("service_orders.urls")),
    path("portal/", include("service_orders.portal_urls")),
    path("", include("returns.urls")),
    path("repairs/", include("repairs.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("import/", include("web.import_urls")),
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
