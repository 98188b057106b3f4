from django.urls import path

from . import upkeep_views as upkeep
from . import views

app_name = "agreements"

_TRANSITIONS = ("activate", "suspend", "resume", "expire", "cancel")

urlpatterns = [
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/search/", views.agreement_search, name="agreement_search"),
    path(
        "agreements/from-template/",
        views.agreement_from_template,
        name="agreement_from_template",
    ),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    *(
        path(
            f"agreements/<int:pk>/{transition}/",
            views.agreement_transition,
            {"transition": transition},
            name=f"agreement_{transition}",
        )
        for transition in _TRANSITIONS
    ),
    path(
        "agreements/<int:pk>/mark-template/",
        views.agreement_mark_template,
        name="agreement_mark_template",
    ),
    path("agreements/<int:pk>/renew/", views.agreement_renew, name="agreement_renew"),
    path(
        "agreements/<int:pk>/objects/add/",
        views.agreement_object_add,
        name="agreement_object_add",
    ),
    path(
        "agreements/<int:pk>/objects/<int:link_pk>/remove/",
        views.agreement_object_remove,
        name="agreement_object_remove",
    ),
    path("agreements/<int:pk>/tasks/add/", views.agreement_task_add, name="agreement_task_add"),
    path(
        "agreements/<int:pk>/tasks/<int:link_pk>/remove/",
        views.agreement_task_remove,
        name="agreement_task_remove",
    ),
    path("agreements/<int:pk>/lines/new/", views.line_create, name="line_create"),
    path("agreements/lines/<int:pk>/edit/", views.line_edit, name="line_edit"),
    path("agreements/lines/<int:pk>/delete/", views.line_delete, name="line_delete"),
    path("agreements/lines/restore/", views.line_restore, name="line_restore"),
    path("agreements/lines/<int:pk>/stop/", views.line_stop, name="line_stop"),
    path("agreements/lines/<int:pk>/unstop/", views.line_unstop, name="line_unstop"),
    path("agreements/<int:pk>/objects/bulk/", upkeep.agreement_objects_bulk, name="objects_bulk"),
    path("agreements/<int:pk>/lines/copy/", upkeep.agreement_lines_copy, name="lines_copy"),
    path("agreements/<int:pk>/lines/bulk/", upkeep.agreement_lines_bulk, name="lines_bulk"),
    path("agreements/<int:pk>/rates/new/", upkeep.agreement_rate_create, name="rate_create"),
    path("agreements/rate-cards/", upkeep.rate_card_list, name="rate_cards"),
    path("agreements/groups/<int:pk>/rates/", upkeep.group_rates, name="group_rates"),
    path(
        "agreements/groups/<int:pk>/rates/new/",
        upkeep.group_rate_create,
        name="group_rate_create",
    ),
    path("agreements/rates/<int:pk>/edit/", upkeep.rate_edit, name="rate_edit"),
    path("agreements/rates/<int:pk>/delete/", upkeep.rate_delete, name="rate_delete"),
    path(
        "agreements/template-groups/",
        views.template_group_list,
        name="template_group_list",
    ),
    path(
        "agreements/template-groups/new/",
        views.template_group_create,
        name="template_group_create",
    ),
    path(
        "agreements/template-groups/<int:pk>/edit/",
        views.template_group_edit,
        name="template_group_edit",
    ),
]
