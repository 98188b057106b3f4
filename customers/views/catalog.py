"""Items, object groups, service objects and service tasks: lists, forms and detail pages."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.confirm import (
    Confirmation,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import SearchForm
from web.lists import ACTION, BADGE, FACT, TITLE, Column, ImportExport, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from .. import selectors, services
from ..capabilities import MANAGE_MASTER_DATA, VIEW_MASTER_DATA
from ..forms import (
    ItemForm,
    ObjectGroupForm,
    ServiceObjectFilterForm,
    ServiceObjectForm,
    ServiceTaskForm,
    StatusFilterForm,
)
from ..models import Item, ServiceObject, ServiceObjectGroup, ServiceTask
from .coverage import save_with_coverage_check

VIEW = VIEW_MASTER_DATA
MANAGE = MANAGE_MASTER_DATA
ITEM_OBJECTS_SHOWN = 50


def _create_view(request, form, *, create, detail_url, message, template, context):
    """The create flow every catalogue form shares: validate, create once per submission token,
    go to the new record's page with a message naming it."""
    if request.method == "POST" and form.is_valid():

        def create_record() -> str:
            record = create(tenant=request.tenant, by=request.user, data=form.cleaned_data)
            messages.success(request, message % {"record": record})
            return detail_url(record)

        if url := create_once_url(request, form, create_record):
            return redirect(url)
    return render(request, template, {"form": form, **context})


def _edit_view(request, form, *, update, detail_url, template, context, coverage_fields=()):
    """``coverage_fields``: fields whose change may cancel planned visits; the page lists what
    it cancels before saving (``save_with_coverage_check``)."""
    context = {"form": form, **context}
    if request.method == "POST" and form.is_valid():
        record, extra = save_with_coverage_check(
            request, form, lambda data: update(data=data), fields=coverage_fields
        )
        if record is not None:
            messages.success(request, _("Changes saved."))
            return redirect(detail_url(record))
        context.update(extra)
    return render(request, template, context)


# --- Items ---------------------------------------------------------------------------------------

ITEM_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=FACT,
        nowrap=True,
        link=link_to("customers:item_detail"),
    ),
    Column(
        "name",
        gettext_lazy("Item name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("customers:item_detail"),
    ),
    Column("unit", gettext_lazy("Unit"), "unit", role=FACT, breakpoint="md"),
    Column(
        "is_serial_tracked", gettext_lazy("Serial-tracked"), "is_serial_tracked", breakpoint="lg"
    ),
    Column(
        "cost_price",
        gettext_lazy("Cost price"),
        "cost_price",
        numeric=True,
        nowrap=True,
        breakpoint="md",
    ),
    Column(
        "sales_price",
        gettext_lazy("Sales price"),
        "sales_price",
        role=FACT,
        numeric=True,
        nowrap=True,
    ),
    Column(
        "is_active",
        gettext_lazy("Active"),
        "is_active",
        role=BADGE,
        template="web/cells/active.html",
    ),
]


def _item_url(item: Item) -> str:
    return reverse("customers:item_detail", args=[item.pk])


@capability_required(VIEW)
def item_list(request):
    filters = StatusFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.item_list(
        tenant=request.tenant, search=data.get("q", ""), status=data.get("status", "")
    )
    return list_response(
        request,
        qs,
        template="customers/catalog/item_list.html",
        columns=ITEM_COLUMNS,
        default_sort="number",
        csv_filename="items",
        imports=[ImportExport("items")],
        context={"filters": filters},
    )


@capability_required(MANAGE)
def item_create(request):
    return _create_view(
        request,
        ItemForm(request.POST or None),
        create=services.item_create,
        detail_url=_item_url,
        message=_("Item %(record)s created."),
        template="customers/catalog/item_form.html",
        context={"item": None},
    )


@capability_required(VIEW)
def item_detail(request, pk: int):
    item = get_or_404(selectors.item_get, tenant=request.tenant, pk=pk)
    objects = selectors.item_objects(tenant=request.tenant, item=item)
    return render(
        request,
        "customers/catalog/item_detail.html",
        {"item": item, "objects": objects[:ITEM_OBJECTS_SHOWN], "shown": ITEM_OBJECTS_SHOWN},
    )


@capability_required(MANAGE)
def item_edit(request, pk: int):
    item = get_or_404(selectors.item_get, tenant=request.tenant, pk=pk)
    return _edit_view(
        request,
        ItemForm(request.POST or None, instance=item),
        update=lambda data: services.item_update(
            tenant=request.tenant, by=request.user, item_id=item.pk, data=data
        ),
        detail_url=_item_url,
        template="customers/catalog/item_form.html",
        context={"item": item},
    )


@capability_required(MANAGE)
def item_delete(request, pk: int):
    """Delete an item that nothing uses. One that is used says where, above the confirmation,
    already when asked (without the Delete button) and again, answered 409, when a line or
    object came to use it in between."""
    item = get_or_404(selectors.item_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=_("Delete item %(item)s?") % {"item": item},
        consequence=_(
            "This cannot be undone. An item that service objects, BOMs or lines use cannot "
            "be deleted; deactivate it instead."
        ),
        button=_("Delete"),
        cancel_url=_item_url(item),
        form=form,
    )
    if not form.is_valid():
        used = services.item_usage(tenant=request.tenant, item=item)
        return confirmation_response(request, replace(confirmation, refusal=" ".join(used)))
    try:
        services.item_delete(tenant=request.tenant, by=request.user, item_id=item.pk)
    except ValidationError as exc:
        return confirmation_refused(request, confirmation, " ".join(exc.messages))
    messages.success(request, _("Item %(item)s deleted.") % {"item": item})
    return confirmed_redirect(request, reverse("customers:item_list"))


# --- Object groups -------------------------------------------------------------------------------


def _group_objects_url(group: ServiceObjectGroup) -> str:
    return f"{reverse('customers:object_list')}?group={group.pk}"


GROUP_COLUMNS = [
    Column("code", gettext_lazy("Code"), "code", role=FACT, nowrap=True),
    Column("name", gettext_lazy("Group name"), "name", role=TITLE, truncate=True),
    Column(
        "object_count",
        gettext_lazy("Objects"),
        "object_count",
        role=FACT,
        numeric=True,
        link=_group_objects_url,
    ),
    Column(
        "edit",
        gettext_lazy("Edit"),
        role=ACTION,
        link=link_to("customers:object_group_edit"),
        capability=MANAGE,
        export=False,
    ),
]


def _groups_url(group: ServiceObjectGroup) -> str:
    return reverse("customers:object_group_list")


@capability_required(VIEW)
def group_list(request):
    search = request.GET.get("q", "").strip()
    return list_response(
        request,
        selectors.object_group_list(tenant=request.tenant, search=search),
        template="customers/catalog/group_list.html",
        columns=GROUP_COLUMNS,
        default_sort="code",
        csv_filename="object-groups",
        context={"search": search, "filters": SearchForm(request.GET, label=_("Code or name"))},
    )


@capability_required(MANAGE)
def group_create(request):
    return _create_view(
        request,
        ObjectGroupForm(request.POST or None),
        create=services.object_group_create,
        detail_url=_groups_url,
        message=_("Object group %(record)s created."),
        template="customers/catalog/group_form.html",
        context={"group": None},
    )


@capability_required(MANAGE)
def group_edit(request, pk: int):
    group = get_or_404(selectors.object_group_get, tenant=request.tenant, pk=pk)
    return _edit_view(
        request,
        ObjectGroupForm(request.POST or None, instance=group),
        update=lambda data: services.object_group_update(
            tenant=request.tenant, by=request.user, group_id=group.pk, data=data
        ),
        detail_url=_groups_url,
        template="customers/catalog/group_form.html",
        context={"group": group},
    )


# --- Service objects -----------------------------------------------------------------------------

OBJECT_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=FACT,
        nowrap=True,
        link=link_to("customers:object_detail"),
    ),
    Column(
        "name",
        gettext_lazy("Object name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("customers:object_detail"),
    ),
    Column(
        "customer.name",
        gettext_lazy("Customer"),
        "customer__name",
        role=FACT,
        truncate=True,
        link=link_to("customers:customer_detail", "customer_id"),
    ),
    Column("item.number", gettext_lazy("Item"), "item__number", nowrap=True, breakpoint="xl"),
    Column(
        "serial_number",
        gettext_lazy("Serial number"),
        "serial_number",
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column("group.name", gettext_lazy("Group"), "group__name", truncate=True, breakpoint="lg"),
    Column(
        "parent.number",
        gettext_lazy("Part of"),
        "parent__number",
        nowrap=True,
        breakpoint="lg",
        link=link_to("customers:object_detail", "parent_id"),
    ),
    Column(
        "warranty_end", gettext_lazy("Warranty until"), "warranty_end", nowrap=True, breakpoint="lg"
    ),
    Column(
        "is_active",
        gettext_lazy("Status"),
        role=BADGE,
        template="web/cells/active.html",
        breakpoint="md",
        export=False,
    ),
]


def _object_url(obj: ServiceObject) -> str:
    return reverse("customers:object_detail", args=[obj.pk])


@capability_required(VIEW)
def object_list(request):
    filters = ServiceObjectFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.service_object_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        customer=data.get("customer"),
        group=data.get("group"),
        item=data.get("item"),
        status=data.get("status", ""),
    )
    return list_response(
        request,
        qs,
        template="customers/catalog/object_list.html",
        columns=OBJECT_COLUMNS,
        default_sort="number",
        csv_filename="service-objects",
        imports=[ImportExport("objects")],
        context={"filters": filters},
    )


@capability_required(MANAGE)
def object_create(request):
    if request.method == "POST":
        form = ServiceObjectForm(request.POST, tenant=request.tenant)
    else:
        form = ServiceObjectForm(
            tenant=request.tenant, initial={"customer": request.GET.get("customer")}
        )
    return _create_view(
        request,
        form,
        create=services.service_object_create,
        detail_url=_object_url,
        message=_("Service object %(record)s created."),
        template="customers/catalog/object_form.html",
        context={"obj": None},
    )


@capability_required(VIEW)
def object_detail(request, pk: int):
    obj = get_or_404(selectors.service_object_get, tenant=request.tenant, pk=pk)
    ancestors, subtree = selectors.object_family(tenant=request.tenant, obj=obj)
    context = {"obj": obj, "ancestors": ancestors, "subtree": subtree}
    return render(request, "customers/catalog/object_detail.html", context)


@capability_required(MANAGE)
def object_edit(request, pk: int):
    obj = get_or_404(selectors.service_object_get, tenant=request.tenant, pk=pk)
    if request.method == "GET" and request.htmx and "customer" in request.GET:
        initial = {"customer": request.GET.get("customer")}
        form = ServiceObjectForm(instance=obj, tenant=request.tenant, initial=initial)
    else:
        form = ServiceObjectForm(request.POST or None, instance=obj, tenant=request.tenant)
    return _edit_view(
        request,
        form,
        update=lambda data: services.service_object_update(
            tenant=request.tenant, by=request.user, object_id=obj.pk, data=data
        ),
        detail_url=_object_url,
        template="customers/catalog/object_form.html",
        context={"obj": obj},
        coverage_fields=("is_active",),
    )


# --- Service tasks -------------------------------------------------------------------------------

TASK_COLUMNS = [
    Column(
        "code",
        gettext_lazy("Code"),
        "code",
        role=FACT,
        nowrap=True,
        link=link_to("customers:task_detail"),
    ),
    Column(
        "name",
        gettext_lazy("Task name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("customers:task_detail"),
    ),
    Column(
        "default_duration_minutes",
        gettext_lazy("Duration (min)"),
        "default_duration_minutes",
        role=FACT,
        numeric=True,
    ),
    Column(
        "required_skill",
        gettext_lazy("Required skill"),
        "required_skill",
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column(
        "is_active",
        gettext_lazy("Active"),
        "is_active",
        role=BADGE,
        template="web/cells/active.html",
    ),
]


def _task_url(task: ServiceTask) -> str:
    return reverse("customers:task_detail", args=[task.pk])


@capability_required(VIEW)
def task_list(request):
    filters = StatusFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.task_list(
        tenant=request.tenant, search=data.get("q", ""), status=data.get("status", "")
    )
    return list_response(
        request,
        qs,
        template="customers/catalog/task_list.html",
        columns=TASK_COLUMNS,
        default_sort="code",
        csv_filename="service-tasks",
        context={"filters": filters},
    )


@capability_required(MANAGE)
def task_create(request):
    return _create_view(
        request,
        ServiceTaskForm(request.POST or None),
        create=services.task_create,
        detail_url=_task_url,
        message=_("Service task %(record)s created."),
        template="customers/catalog/task_form.html",
        context={"task": None},
    )


@capability_required(VIEW)
def task_detail(request, pk: int):
    task = get_or_404(selectors.task_get, tenant=request.tenant, pk=pk)
    return render(request, "customers/catalog/task_detail.html", {"task": task})


@capability_required(MANAGE)
def task_edit(request, pk: int):
    task = get_or_404(selectors.task_get, tenant=request.tenant, pk=pk)
    return _edit_view(
        request,
        ServiceTaskForm(request.POST or None, instance=task),
        update=lambda data: services.task_update(
            tenant=request.tenant, by=request.user, task_id=task.pk, data=data
        ),
        detail_url=_task_url,
        template="customers/catalog/task_form.html",
        context={"task": task},
    )
