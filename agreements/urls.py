from django.urls import include, path

app_name = "agreements"

urlpatterns = [
    path("", include("agreements.urls_master_data")),
    path("", include("agreements.urls_agreements")),
]
