from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_upload, name="upload"),
    path("<int:pk>/", import_views.import_batch, name="batch"),
    path("<int:pk>/import/", import_views.import_run, name="run"),
]
