"""Repair pages: the code tables (managers), repair lines on an order (technician on the phone,
office), BOM versions (managers) and the service BOM of an object with its history.

Who may open a repair line follows who may open its order: the office and the dispatcher any
order of the tenant, a technician the orders assigned to them; anything else is a 404 like a
missing record.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import selectors as customer_selectors
from service_orders import selectors as order_selectors
from service_orders.capabilities import VIEW_ORDERS
from tenancy.roles import Capability
from web.confirm import Confirmation, confirmation_form, confirmation_response, confirmed_redirect
from web.forms import attach_errors
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required, request_can, tenant_required
from web.photos import photo_response
from web.submissions import create_once_url

from . import selectors, services
from .capabilities import (
    CHANGE_SERVICE_BOMS,
    MANAGE_BOMS,
    MANAGE_REPAIR_CODES,
    RECORD_REPAIRS,
    VIEW_SERVICE_BOMS,
)
from .forms import (
    ApplyResolutionForm,
    AsOfForm,
    BomFilterForm,
    BomLineForm,
    BomVersionForm,
    CodeFilterForm,
    CompareForm,
    PartChangeForm,
    PhotoForm,
    RepairLineForm,
    StageMoveForm,
    code_form_class,
)
from .models import (
    BomAction,
    BomState,
    Condition,
    DiagnosisArea,
    DiagnosisCode,
    RepairStage,
    Resolution,
    SymptomArea,
    SymptomCode,
)

WORK_ORDERS = Capability.WORK_ORDERS


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# --- Code tables ---------------------------------------------------------------------------------

CODE_TABLES = {
    "conditions": (Condition, gettext_lazy("Conditions")),
    "symptom-areas": (SymptomArea, gettext_lazy("Symptom areas")),
    "symptom-codes": (SymptomCode, gettext_lazy("Symptom codes")),
    "diagnosis-areas": (DiagnosisArea, gettext_lazy("Diagnosis areas")),
    "diagnosis-codes": (DiagnosisCode, gettext_lazy("Diagnosis codes")),
    "resolutions": (Resolution, gettext_lazy("Resolutions")),
    "stages": (RepairStage, gettext_lazy("Repair stages")),
}


def _table(kind: str):
    if kind not in CODE_TABLES:
        raise Http404
    return CODE_TABLES[kind]


@capability_required(MANAGE_REPAIR_CODES)
def code_tables(request):
    counts = selectors.code_table_counts(tenant=request.tenant)
    tables = [
        {"kind": kind, "label": label, "count": counts[kind]}
        for kind, (_model, label) in CODE_TABLES.items()
    ]
    return render(request, "repairs/codes/tables.html", {"tables": tables})


def _code_columns(kind: str, model) -> list[Column]:
    columns = []
    if model in (SymptomCode, DiagnosisCode):
        columns.append(
            Column(
                "area", gettext_lazy("Area"), "area__name", value=lambda r: r.area.name, role=FACT
            )
        )
    columns += [
        Column("code", gettext_lazy("Code"), "code", role=FACT, nowrap=True),
        Column("name", gettext_lazy("Code name"), "name", role=TITLE, truncate=True),
        Column("position", gettext_lazy("Position"), "position", numeric=True, breakpoint="md"),
    ]
    if model is RepairStage:
        columns.append(
            Column(
                "is_finished",
                gettext_lazy("Finished"),
                "is_finished",
                role=BADGE,
                template="repairs/cells/yes.html",
            )
        )
    columns += [
        Column(
            "is_active",
            gettext_lazy("Active"),
            "is_active",
            role=BADGE,
            template="repairs/cells/yes.html",
        ),
        Column(
            "edit",
            gettext_lazy("Edit"),
            role=ACTION,
            link=lambda row: reverse("repairs:code_edit", kwargs={"kind": kind, "pk": row.pk}),
            export=False,
        ),
    ]
    return columns


@capability_required(MANAGE_REPAIR_CODES)
def code_list(request, kind: str):
    model, label = _table(kind)
    filters = CodeFilterForm(request.GET)
    search = filters.cleaned_data.get("q", "") if filters.is_valid() else ""
    qs = selectors.code_list(tenant=request.tenant, model=model, search=search)
    return list_response(
        request,
        qs,
        template="repairs/codes/code_list.html",
        columns=_code_columns(kind, model),
        default_sort="position",
        csv_filename=kind,
        context={"filters": filters, "kind": kind, "label": label},
    )


def _code_form(request, kind: str, pk: int | None):
    model, label = _table(kind)
    row = None
    if pk is not None:
        row = get_or_404(selectors.code_get, tenant=request.tenant, model=model, pk=pk)
    form = code_form_class(model)(request.POST or None, instance=row, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            saved = services.code_save(
                tenant=request.tenant,
                by=request.user,
                model=model,
                pk=pk,
                data=form.cleaned_data,
            )
            messages.success(request, _("%(code)s saved.") % {"code": saved})
            return reverse("repairs:code_list", kwargs={"kind": kind})

        if pk is None:
            if url := create_once_url(request, form, save):
                return redirect(url)
        else:
            try:
                return redirect(save())
            except ValidationError as exc:
                attach_errors(form, exc)
    return render(
        request,
        "repairs/codes/code_form.html",
        {"form": form, "row": row, "kind": kind, "label": label},
    )


@capability_required(MANAGE_REPAIR_CODES)
def code_create(request, kind: str):
    return _code_form(request, kind, None)


@capability_required(MANAGE_REPAIR_CODES)
def code_edit(request, kind: str, pk: int):
    return _code_form(request, kind, pk)


# --- Repair lines --------------------------------------------------------------------------------


def _order_for(request, pk: int):
    """(order, assigned_to): the office by capability, a technician their own orders."""
    if request_can(request, VIEW_ORDERS):
        return get_or_404(order_selectors.order_get, tenant=request.tenant, pk=pk), None
    if request_can(request, WORK_ORDERS):
        order = get_or_404(
            order_selectors.technician_order_get,
            tenant=request.tenant,
            pk=pk,
            technician=request.user,
        )
        return order, request.user
    raise Http404


def _line_for(request, pk: int):
    line = get_or_404(selectors.repair_line_get, tenant=request.tenant, pk=pk)
    order, assigned_to = _order_for(request, line.order_id)
    return line, order, assigned_to


def order_url(request, order) -> str:
    if request_can(request, VIEW_ORDERS):
        return reverse("service_orders:order_detail", args=[order.pk])
    return reverse("service_orders:technician_order", args=[order.pk]) + "#repairs"


@capability_required(RECORD_REPAIRS)
def line_create(request, order_pk: int):
    order, assigned_to = _order_for(request, order_pk)
    objects = selectors.order_objects(tenant=request.tenant, order=order)
    initial = {}
    if request.GET.get("object", "").isdigit():
        initial["service_object"] = request.GET["object"]
    form = RepairLineForm(
        request.POST or None, initial=initial, tenant=request.tenant, objects=objects
    )
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            line = services.repair_line_create(
                tenant=request.tenant,
                by=request.user,
                order_id=order.pk,
                service_object=form.cleaned_data["service_object"],
                data=form.cleaned_data,
                assigned_to=assigned_to,
            )
            messages.success(request, _("Repair line “%(title)s” added.") % {"title": line.title})
            return reverse("repairs:line_detail", args=[line.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(
        request,
        "repairs/lines/line_form.html",
        {
            "form": form,
            "order": order,
            "order_url": order_url(request, order),
            "line": None,
            "suggest_url": reverse("repairs:suggestions", args=[order.pk]),
        },
    )


def _line_page(request, line, order, *, status=200, **extra):
    tenant = request.tenant
    context = {
        "line": line,
        "order": order,
        "order_url": order_url(request, order),
        "stages": selectors.stages(tenant=tenant),
        "photos": selectors.line_photos(tenant=tenant, line=line),
        "photo_form": extra.pop("photo_form", None) or PhotoForm(),
        "form": extra.pop("form", None)
        or (None if line.is_closed else RepairLineForm(instance=line, tenant=tenant)),
        "suggestions": selectors.suggestions(
            tenant=tenant, item_id=line.item_id, symptom_code_id=line.symptom_code_id
        ),
        "can_change_parts": request_can(request, CHANGE_SERVICE_BOMS),
        "refusal": "",
        **extra,
    }
    return render(request, "repairs/lines/line_detail.html", context, status=status)


@capability_required(RECORD_REPAIRS)
def line_detail(request, pk: int):
    line, order, assigned_to = _line_for(request, pk)
    if request.method == "POST":
        form = RepairLineForm(request.POST, instance=line, tenant=request.tenant)
        if form.is_valid():
            try:
                services.repair_line_update(
                    tenant=request.tenant,
                    by=request.user,
                    line_id=line.pk,
                    data=form.cleaned_data,
                    assigned_to=assigned_to,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            except services.StateConflict as exc:
                line = selectors.repair_line_get(tenant=request.tenant, pk=pk)
                return _line_page(request, line, order, status=409, refusal=exc.message)
            else:
                messages.success(request, _("Repair line saved."))
                return redirect("repairs:line_detail", pk=line.pk)
        return _line_page(request, line, order, form=form)
    return _line_page(request, line, order)


@capability_required(RECORD_REPAIRS)
def line_stage(request, pk: int):
    line, order, assigned_to = _line_for(request, pk)
    if refused := _post_only(request):
        return refused
    form = StageMoveForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _line_page(request, line, order, status=400, refusal=_("Choose a repair stage."))
    try:
        moved = services.repair_line_move(
            tenant=request.tenant,
            by=request.user,
            line_id=line.pk,
            stage=form.cleaned_data["stage"],
            assigned_to=assigned_to,
        )
    except services.StateConflict as exc:
        line = selectors.repair_line_get(tenant=request.tenant, pk=pk)
        return _line_page(request, line, order, status=409, refusal=exc.message)
    except ValidationError as exc:
        return _line_page(request, line, order, status=400, refusal=" ".join(exc.messages))
    if moved.finished_at:
        messages.success(request, _("Repair line finished and closed."))
    else:
        messages.success(
            request, _("Repair line moved to %(stage)s.") % {"stage": moved.stage.name}
        )
    return redirect("repairs:line_detail", pk=line.pk)


@capability_required(RECORD_REPAIRS)
def line_resolution(request, pk: int):
    """One tap on a suggested resolution applies it."""
    line, order, assigned_to = _line_for(request, pk)
    if refused := _post_only(request):
        return refused
    form = ApplyResolutionForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _line_page(request, line, order, status=400, refusal=_("Choose a resolution."))
    try:
        services.repair_line_update(
            tenant=request.tenant,
            by=request.user,
            line_id=line.pk,
            data={"resolution": form.cleaned_data["resolution"]},
            assigned_to=assigned_to,
        )
    except services.StateConflict as exc:
        line = selectors.repair_line_get(tenant=request.tenant, pk=pk)
        return _line_page(request, line, order, status=409, refusal=exc.message)
    except ValidationError as exc:
        return _line_page(request, line, order, status=400, refusal=" ".join(exc.messages))
    messages.success(
        request,
        _("Resolution “%(resolution)s” applied.")
        % {"resolution": form.cleaned_data["resolution"].name},
    )
    return redirect("repairs:line_detail", pk=line.pk)


@capability_required(RECORD_REPAIRS)
def suggestions(request, order_pk: int):
    """The suggestions for the symptom picked in the new-line form (an htmx fragment)."""
    order, _assigned = _order_for(request, order_pk)
    objects = {
        str(obj.pk): obj for obj in selectors.order_objects(tenant=request.tenant, order=order)
    }
    obj = objects.get(request.GET.get("service_object", ""))
    code = request.GET.get("symptom_code", "")
    stats = selectors.suggestions(
        tenant=request.tenant,
        item_id=obj.item_id if obj else None,
        symptom_code_id=int(code) if code.isdigit() else None,
    )
    return render(request, "repairs/lines/_suggestions.html", {"suggestions": stats, "form": True})


@capability_required(RECORD_REPAIRS)
def line_photo_add(request, pk: int):
    line, order, assigned_to = _line_for(request, pk)
    if refused := _post_only(request):
        return refused
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():

        def create() -> str:
            services.repair_photo_add(
                tenant=request.tenant,
                by=request.user,
                line_id=line.pk,
                upload=form.cleaned_data["photo"],
                assigned_to=assigned_to,
            )
            messages.success(request, _("Photo attached."))
            return reverse("repairs:line_detail", args=[line.pk]) + "#photos"

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _line_page(request, line, order, photo_form=form, status=400)


@tenant_required
def line_photo(request, pk: int, photo_pk: int):
    if not request_can(request, RECORD_REPAIRS):
        raise PermissionDenied
    line, _order, _assigned = _line_for(request, pk)
    photo = get_or_404(selectors.line_photo_get, tenant=request.tenant, line=line, pk=photo_pk)
    return photo_response(photo)


line_photo.required_capability = RECORD_REPAIRS


# --- BOM versions --------------------------------------------------------------------------------

BOM_COLUMNS = [
    Column(
        "item",
        gettext_lazy("Item"),
        "item__number",
        value=lambda v: str(v.item),
        role=TITLE,
        truncate=True,
        link=link_to("repairs:bom_detail"),
    ),
    Column("number", gettext_lazy("Version"), "number", role=FACT, numeric=True),
    Column(
        "state",
        gettext_lazy("State"),
        "state",
        value=lambda v: v.get_state_display(),
        role=BADGE,
    ),
    Column("valid_from", gettext_lazy("Valid from"), "valid_from", role=FACT, nowrap=True),
    Column("valid_to", gettext_lazy("Valid to"), "valid_to", role=FACT, nowrap=True),
    Column("line_count", gettext_lazy("Parts"), "line_count", numeric=True, breakpoint="md"),
    Column("note", gettext_lazy("Note"), truncate=True, breakpoint="lg"),
]


@capability_required(MANAGE_BOMS)
def bom_list(request):
    filters = BomFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.bom_version_list(
        tenant=request.tenant, search=data.get("q", ""), state=data.get("state", "")
    )
    return list_response(
        request,
        qs,
        template="repairs/boms/bom_list.html",
        columns=BOM_COLUMNS,
        default_sort="item",
        csv_filename="bom-versions",
        context={"filters": filters},
    )


@capability_required(MANAGE_BOMS)
def bom_create(request):
    form = BomVersionForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            version = services.bom_version_create(
                tenant=request.tenant,
                by=request.user,
                item=form.cleaned_data["item"],
                data=form.cleaned_data,
            )
            messages.success(request, _("BOM %(version)s created.") % {"version": version})
            return reverse("repairs:bom_detail", args=[version.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "repairs/boms/bom_form.html", {"form": form, "version": None})


def _bom_page(request, version, *, status=200, **extra):
    tenant = request.tenant
    context = {
        "version": version,
        "lines": selectors.bom_lines(tenant=tenant, version=version),
        "versions": selectors.item_versions(tenant=tenant, item_id=version.item_id),
        "line_form": extra.pop("line_form", None) or BomLineForm(tenant=tenant),
        "compare_form": CompareForm(tenant=tenant, version=version),
        "refusal": "",
        "states": BomState,
        **extra,
    }
    return render(request, "repairs/boms/bom_detail.html", context, status=status)


@capability_required(MANAGE_BOMS)
def bom_detail(request, pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    return _bom_page(request, version)


@capability_required(MANAGE_BOMS)
def bom_edit(request, pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    form = BomVersionForm(
        request.POST or None, instance=version, tenant=request.tenant, with_item=False
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.bom_version_update(
                tenant=request.tenant,
                by=request.user,
                version_id=version.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.StateConflict as exc:
            version = selectors.bom_version_get(tenant=request.tenant, pk=pk)
            return _bom_page(request, version, status=409, refusal=exc.message)
        else:
            messages.success(request, _("BOM version saved."))
            return redirect("repairs:bom_detail", pk=version.pk)
    return render(request, "repairs/boms/bom_form.html", {"form": form, "version": version})


@capability_required(MANAGE_BOMS)
def bom_line_add(request, pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    form = BomLineForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.bom_line_add(
                tenant=request.tenant,
                by=request.user,
                version_id=version.pk,
                item=form.cleaned_data["item"],
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except services.StateConflict as exc:
            version = selectors.bom_version_get(tenant=request.tenant, pk=pk)
            return _bom_page(request, version, status=409, refusal=exc.message)
        else:
            messages.success(request, _("Part added."))
            return redirect("repairs:bom_detail", pk=version.pk)
    return _bom_page(request, version, line_form=form, status=400)


@capability_required(MANAGE_BOMS)
def bom_line_remove(request, pk: int, line_pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    try:
        services.bom_line_remove(
            tenant=request.tenant, by=request.user, version_id=version.pk, line_id=line_pk
        )
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    except services.StateConflict as exc:
        version = selectors.bom_version_get(tenant=request.tenant, pk=pk)
        return _bom_page(request, version, status=409, refusal=exc.message)
    messages.success(request, _("Part removed from the draft."))
    return redirect("repairs:bom_detail", pk=version.pk)


BOM_STEPS = {
    "approve": (
        services.bom_version_approve,
        gettext_lazy("Approve %(version)s?"),
        gettext_lazy("An approved version never changes again; a change will be a new version."),
        gettext_lazy("Approve"),
        gettext_lazy("%(version)s approved."),
    ),
    "activate": (
        services.bom_version_activate,
        gettext_lazy("Activate %(version)s?"),
        gettext_lazy(
            "It applies from its valid-from date; an active version that started earlier ends "
            "the day before."
        ),
        gettext_lazy("Activate"),
        gettext_lazy("%(version)s is active."),
    ),
    "retire": (
        services.bom_version_retire,
        gettext_lazy("Retire %(version)s?"),
        gettext_lazy("The version is no longer used for new service BOMs. This cannot be undone."),
        gettext_lazy("Retire"),
        gettext_lazy("%(version)s retired."),
    ),
}


@capability_required(MANAGE_BOMS)
def bom_step(request, pk: int, step: str):
    if step not in BOM_STEPS:
        raise Http404
    action, title, consequence, button, done = BOM_STEPS[step]
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    url = reverse("repairs:bom_detail", args=[version.pk])
    form = confirmation_form(request)
    confirmation = Confirmation(
        title=str(title) % {"version": version},
        consequence=str(consequence),
        button=str(button),
        cancel_url=url,
        form=form,
        danger=step == "retire",
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        action(tenant=request.tenant, by=request.user, version_id=version.pk)
    except services.StateConflict as exc:
        version = selectors.bom_version_get(tenant=request.tenant, pk=pk)
        return _bom_page(request, version, status=409, refusal=exc.message)
    except ValidationError as exc:
        return _bom_page(request, version, status=400, refusal=" ".join(exc.messages))
    messages.success(request, str(done) % {"version": version})
    return confirmed_redirect(request, url)


@capability_required(MANAGE_BOMS)
def bom_copy(request, pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    form = Form(request.POST)  # carries only the submission token

    def create() -> str:
        copy = services.bom_version_copy(
            tenant=request.tenant, by=request.user, version_id=version.pk
        )
        messages.success(request, _("Draft %(version)s made from the copy.") % {"version": copy})
        return reverse("repairs:bom_detail", args=[copy.pk])

    if url := create_once_url(request, form, create):
        return redirect(url)
    return _bom_page(request, version, status=400, refusal=" ".join(form.non_field_errors()))


@capability_required(MANAGE_BOMS)
def bom_compare(request, pk: int):
    version = get_or_404(selectors.bom_version_get, tenant=request.tenant, pk=pk)
    form = CompareForm(request.GET or None, tenant=request.tenant, version=version)
    rows, other = [], None
    if form.is_valid():
        other = form.cleaned_data["other"]
        left, right = sorted((version, other), key=lambda v: v.number)
        rows = selectors.bom_compare(tenant=request.tenant, left=left, right=right)
    else:
        left, right = version, None
    return render(
        request,
        "repairs/boms/bom_compare.html",
        {"version": version, "form": form, "rows": rows, "left": left, "right": right},
    )


# --- Service BOMs --------------------------------------------------------------------------------


def _object_for(request, pk: int):
    return get_or_404(customer_selectors.service_object_get, tenant=request.tenant, pk=pk)


def _order_param(request):
    """The order the parts page was opened from (a repair), checked like the order page."""
    value = request.GET.get("order") or request.POST.get("order") or ""
    if not value.isdigit():
        return None, None
    return _order_for(request, int(value))


@capability_required(VIEW_SERVICE_BOMS)
def service_bom(request, pk: int):
    obj = _object_for(request, pk)
    tenant = request.tenant
    order, _assigned = _order_param(request)
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    at = selectors.end_of_day(tenant, as_of) if as_of else None
    current = selectors.service_bom_as_of(tenant=tenant, obj=obj, at=tenant.now())
    return render(
        request,
        "repairs/service_bom.html",
        {
            "obj": obj,
            "order": order,
            "as_of_form": form,
            "as_of": as_of,
            "structure": selectors.service_bom_as_of(tenant=tenant, obj=obj, at=at)
            if at
            else current,
            "current": current,
            "history": selectors.service_bom_history(tenant=tenant, obj=obj),
            "repairs": selectors.object_repair_lines(tenant=tenant, obj=obj),
            "can_change_now": request_can(request, CHANGE_SERVICE_BOMS)
            and (order is not None or request_can(request, MANAGE_BOMS))
            and not as_of,
            "can_create": request_can(request, MANAGE_BOMS) and not current,
        },
    )


@capability_required(MANAGE_BOMS)
def service_bom_create(request, pk: int):
    obj = _object_for(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        lines = services.service_bom_create(
            tenant=request.tenant, by=request.user, object_id=obj.pk
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Service BOM made with %(count)s parts.") % {"count": len(lines)}
        )
    return redirect("repairs:service_bom", pk=obj.pk)


@capability_required(CHANGE_SERVICE_BOMS)
def part_change(request, pk: int):
    obj = _object_for(request, pk)
    tenant = request.tenant
    order, assigned_to = _order_param(request)
    if order is None and not request_can(request, MANAGE_BOMS):
        raise Http404  # a technician changes parts only from an order of theirs
    current = selectors.service_bom_as_of(tenant=tenant, obj=obj, at=tenant.now())
    initial = {"action": request.GET.get("action", BomAction.REPLACE)}
    if request.GET.get("line", "").isdigit():
        initial["line"] = request.GET["line"]
    form = PartChangeForm(
        request.POST or None,
        initial=initial,
        tenant=tenant,
        current=current,
        with_order=order is not None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            change = services.PartChange(
                action=data["action"],
                line_id=int(data["line"]) if data.get("line") else None,
                item=data.get("item"),
                quantity=data.get("quantity"),
                serial_number=data.get("serial_number", ""),
                parent_slot=int(data["parent_slot"]) if data.get("parent_slot") else None,
            )

            def create() -> str:
                services.service_bom_change(
                    tenant=tenant,
                    by=request.user,
                    object_id=obj.pk,
                    change=change,
                    order_id=order.pk if order else None,
                    add_order_line=bool(data.get("add_order_line")),
                    assigned_to=assigned_to,
                )
                messages.success(request, _("Parts of %(object)s changed.") % {"object": obj})
                url = reverse("repairs:service_bom", args=[obj.pk])
                return f"{url}?order={order.pk}" if order else url

            try:
                if url := create_once_url(request, form, create):
                    return redirect(url)
            except services.StateConflict as exc:
                form.add_error(None, exc.message)
                current = selectors.service_bom_as_of(tenant=tenant, obj=obj, at=tenant.now())
                status = 409
        if status == 200:
            status = 400
    return render(
        request,
        "repairs/part_change.html",
        {"obj": obj, "order": order, "form": form, "current": current},
        status=status,
    )
