from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tenancy import views as tenancy_views

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("sign-in/", tenancy_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("no-tenant/", tenancy_views.no_tenant, name="no_tenant"),
    path("tenant/switch/", tenancy_views.switch_tenant, name="switch_tenant"),
    path("language/", tenancy_views.set_language, name="set_language"),
    path("settings/", include("tenancy.urls")),
    path("sla/", include("sla.urls")),
    path("", include("agreements.urls")),
    path("orders/", include("service_orders.urls")),
    path("healthz", tenancy_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
