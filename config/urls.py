from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from home import views as home_views
from web import views as web_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("sign-in/", account_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("no-tenant/", account_views.no_tenant, name="no_tenant"),
    path("tenant/switch/", account_views.switch_tenant, name="switch_tenant"),
    path("language/", web_views.set_language, name="set_language"),
    path("settings/", include("accounts.urls")),
    path("sla/", include("sla.urls")),
    path("", include("customers.urls")),
    path("", include("agreements.urls")),
    path("orders/", include("service_orders.urls")),
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
