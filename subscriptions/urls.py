"""Subscription pages (under /subscriptions/)."""

from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="subscription_list"),
    path("new/", views.subscription_create, name="subscription_create"),
    path("<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="subscription_edit"),
    path("<int:pk>/cancel/", views.subscription_cancel, name="subscription_cancel"),
    *[
        path(
            f"<int:pk>/{transition}/",
            views.subscription_transition,
            {"transition": transition},
            name=f"subscription_{transition}",
        )
        for transition in views.TRANSITIONS
    ],
    path("<int:pk>/reductions/add/", views.reduction_add, name="reduction_add"),
    path("<int:pk>/one-off/add/", views.one_off_add, name="one_off_add"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("prices/", views.price_list, name="price_list"),
    path("prices/new/", views.price_create, name="price_create"),
    path("prices/<int:pk>/delete/", views.price_delete, name="price_delete"),
    path("indexation/", views.indexation, name="indexation"),
    path("billing/", views.billing_page, name="billing"),
    path("billing/runs/", views.run_list, name="run_list"),
    path("billing/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("deferred-revenue/", views.deferred_revenue, name="deferred_revenue"),
]
