"""Master data pages: customers, items, service objects, tasks and agreement groups."""

from django.urls import path

from .views import agreement_groups, catalog, customer_groups, customers, pickers

app_name = "customers"

urlpatterns = [
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/add/", customers.customer_create, name="customer_create"),
    path("customers/search/", pickers.customer_search, name="customer_search"),
    path("objects/search/", pickers.service_object_search, name="object_search"),
    path("items/search/", pickers.item_search, name="item_search"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/delete/", customers.customer_delete, name="customer_delete"),
    path("customers/<int:pk>/sites/add/", customers.site_add, name="site_add"),
    path("customers/<int:pk>/sites/<int:site_pk>/", customers.site_edit, name="site_edit"),
    path(
        "customers/<int:pk>/sites/<int:site_pk>/delete/",
        customers.site_delete,
        name="site_delete",
    ),
    path(
        "customers/<int:pk>/sites/<int:site_pk>/restore/",
        customers.site_restore,
        name="site_restore",
    ),
    path("customers/<int:pk>/contacts/add/", customers.contact_add, name="contact_add"),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/",
        customers.contact_edit,
        name="contact_edit",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/delete/",
        customers.contact_delete,
        name="contact_delete",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/restore/",
        customers.contact_restore,
        name="contact_restore",
    ),
    path("items/", catalog.item_list, name="item_list"),
    path("items/add/", catalog.item_create, name="item_create"),
    path("items/<int:pk>/", catalog.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", catalog.item_edit, name="item_edit"),
    path("items/<int:pk>/delete/", catalog.item_delete, name="item_delete"),
    path("objects/groups/", catalog.group_list, name="object_group_list"),
    path("objects/groups/add/", catalog.group_create, name="object_group_create"),
    path("objects/groups/<int:pk>/edit/", catalog.group_edit, name="object_group_edit"),
    path("objects/", catalog.object_list, name="object_list"),
    path("objects/add/", catalog.object_create, name="object_create"),
    path("objects/<int:pk>/", catalog.object_detail, name="object_detail"),
    path("objects/<int:pk>/edit/", catalog.object_edit, name="object_edit"),
    path("tasks/", catalog.task_list, name="task_list"),
    path("tasks/add/", catalog.task_create, name="task_create"),
    path("tasks/<int:pk>/", catalog.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", catalog.task_edit, name="task_edit"),
    path("customers/groups/", customer_groups.group_list, name="customer_group_list"),
    path("customers/groups/new/", customer_groups.group_create, name="customer_group_create"),
    path(
        "customers/groups/<int:pk>/edit/",
        customer_groups.group_edit,
        name="customer_group_edit",
    ),
    path("agreements/groups/", agreement_groups.group_list, name="agreement_group_list"),
    path("agreements/groups/new/", agreement_groups.group_create, name="agreement_group_create"),
    path(
        "agreements/groups/<int:pk>/edit/",
        agreement_groups.group_edit,
        name="agreement_group_edit",
    ),
]
