"""The technician's phone pages: "My orders", the order as the technician works it (address,
contact, objects, tasks and checklists, one-tap stage steps), recording lines, photos and the
customer's sign-off with the work receipt.

A technician sees and changes only orders assigned to them: every page looks the order up with
the signed-in user as its technician, so anyone else's order (or another tenant's) is a 404 like
a missing one. The photo and receipt files are also open to the office (VIEW_ORDERS), always
through a view that checks the tenant; they have no public address.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tenancy.roles import Capability
from web.lookups import get_or_404
from web.permissions import capability_required, request_can, tenant_required
from web.photos import photo_response, private_response
from web.submissions import create_once, create_once_url, submission_complete

from . import selectors
from .capabilities import VIEW_ORDERS
from .models import LineStatus, OrderStage, ServiceOrder
from .services import lines as line_services
from .services.photos import order_photo_add
from .services.signoff import SIGN_OFF_STATES, order_sign_off, receipt_filename
from .services.stages import OrderTransitionRefused, order_stage_move
from .technician_forms import (
    ExpenseLineForm,
    FeeLineForm,
    HourLineForm,
    ItemLineForm,
    PhotoForm,
    SignOffForm,
    StageStepForm,
    item_option_text,
)

WORK_ORDERS = Capability.WORK_ORDERS


def technician_order_view(view):
    """A page of one order assigned to the signed-in technician: the view gets the order.
    Looked up before the capability is checked, so an order that is not theirs (or not this
    tenant's) is a 404 whoever asks."""

    @tenant_required
    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        order = get_or_404(
            selectors.technician_order_get, tenant=request.tenant, pk=pk, technician=request.user
        )
        if not request_can(request, WORK_ORDERS):
            raise PermissionDenied
        return view(request, order, *args, **kwargs)

    wrapper.required_capability = WORK_ORDERS
    return wrapper


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _order_url(order: ServiceOrder, anchor: str = "") -> str:
    url = reverse("service_orders:technician_order", args=[order.pk])
    return f"{url}#{anchor}" if anchor else url


# --- My orders -----------------------------------------------------------------------------------


@capability_required(WORK_ORDERS)
def my_orders(request):
    orders = selectors.technician_orders(
        tenant=request.tenant, technician=request.user, today=request.tenant.today()
    )
    groups: list[dict] = []
    for order in orders:
        if not groups or groups[-1]["key"] != order.day_group:
            groups.append({"key": order.day_group, "orders": []})
        groups[-1]["orders"].append(order)
    labels = {
        selectors.TODAY: _("Today"),
        selectors.COMING: _("Coming days"),
        selectors.EARLIER: _("Earlier, still open"),
        selectors.UNDATED: _("Without a date"),
    }
    for group in groups:
        group["label"] = labels[group["key"]]
    return render(
        request,
        "service_orders/technician/my_orders.html",
        {
            "groups": groups,
            "today": request.tenant.today(),
            "limited": len(orders) >= selectors.TECHNICIAN_ORDERS_LIMIT,
        },
    )


# --- The technician's order page -----------------------------------------------------------------


def _checklist(task) -> list[str]:
    return [step.strip() for step in (task.checklist or "").splitlines() if step.strip()]


def _order_page(request, order: ServiceOrder, *, status: int = 200, **extra):
    tenant = request.tenant
    lines = selectors.order_lines(tenant=tenant, order=order)
    objects = {
        line.service_object_id: line.service_object for line in lines if line.service_object_id
    }
    tasks = {line.task_id: line.task for line in lines if line.task_id}
    notes = selectors.order_task_notes(tenant=tenant, order=order)
    timer = next(
        (
            line
            for line in lines
            if line.technician_id == request.user.pk
            and line.started_at
            and not line.ended_at
            and line.status == LineStatus.CREATED
        ),
        None,
    )
    sign_off = selectors.order_sign_off_get(tenant=tenant, order=order)
    refusal_of_lines = line_services.lines_change_refusal(tenant=tenant, order=order)
    context = {
        "order": order,
        "lines": [line for line in lines if line.status != LineStatus.CANCELLED],
        "objects": list(objects.values()),
        "tasks": [
            {
                "task": task,
                "steps": _checklist(task),
                "agreement_note": getattr(notes.get(task_id), "internal_note", ""),
            }
            for task_id, task in tasks.items()
        ],
        "timer": timer,
        "photos": selectors.order_photos(tenant=tenant, order=order),
        "photo_form": extra.pop("photo_form", None) or PhotoForm(),
        "sign_off": sign_off,
        "can_record": not refusal_of_lines,
        "lines_locked": refusal_of_lines,
        "can_sign_off": sign_off is None
        and order.signed_off_at is None
        and order.state in SIGN_OFF_STATES,
        "next_stages": selectors.order_next_stages(tenant=tenant, order=order),
        "step_form": None,
        "refusal": "",
        **extra,
    }
    return render(request, "service_orders/technician/order.html", context, status=status)


@technician_order_view
def technician_order(request, order: ServiceOrder):
    return _order_page(request, order)


@technician_order_view
def technician_step(request, order: ServiceOrder):
    """A one-tap stage step (travel, start, hold with a reason, complete): once per tap, a
    lost race (someone moved the order first) answers 409 with the order as it is now."""
    if refused := _post_only(request):
        return refused
    form = StageStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the next steps."))
        return redirect(_order_url(order))

    def move() -> str:
        moved = order_stage_move(
            tenant=request.tenant,
            order_id=order.pk,
            to_stage_id=form.cleaned_data["to_stage"],
            by=request.user,
            reason_code_id=form.cleaned_data["reason_code"],
            reason_text=form.cleaned_data["reason_text"],
        )
        messages.success(
            request,
            _("Order %(number)s: %(stage)s.") % {"number": moved.number, "stage": moved.stage},
        )
        return _order_url(moved)

    try:
        url = create_once_url(request, form, move)
    except OrderStage.DoesNotExist as exc:
        raise Http404 from exc
    except OrderTransitionRefused as exc:
        current = get_or_404(
            selectors.technician_order_get,
            tenant=request.tenant,
            pk=order.pk,
            technician=request.user,
        )
        return _order_page(request, current, status=409, refusal=exc.message or "")
    if url:
        return redirect(url)
    return _order_page(request, order, step_form=form)


# --- Lines ---------------------------------------------------------------------------------------


def _hour_line(request, order, form):
    started_at, ended_at = form.moments()
    return line_services.line_add_hours(
        tenant=request.tenant,
        by=request.user,
        order_id=order.pk,
        hours=form.cleaned_data["hours"],
        started_at=started_at,
        ended_at=ended_at,
        task=form.cleaned_data["task"],
        service_object=form.cleaned_data["service_object"],
        description=form.cleaned_data["description"],
        assigned_to=request.user,
    )


def _item_line(request, order, form):
    return line_services.line_add_item(
        tenant=request.tenant,
        by=request.user,
        order_id=order.pk,
        item=form.cleaned_data["item"],
        quantity=form.cleaned_data["quantity"],
        serial_number=form.cleaned_data["serial_number"],
        service_object=form.cleaned_data["service_object"],
        assigned_to=request.user,
    )


def _expense_line(request, order, form):
    return line_services.line_add_expense(
        tenant=request.tenant,
        by=request.user,
        order_id=order.pk,
        description=form.cleaned_data["description"],
        quantity=form.cleaned_data["quantity"],
        unit_cost=form.cleaned_data["unit_cost"],
        assigned_to=request.user,
    )


def _fee_line(request, order, form):
    return line_services.line_add_fee(
        tenant=request.tenant,
        by=request.user,
        order_id=order.pk,
        description=form.cleaned_data["description"],
        quantity=form.cleaned_data["quantity"],
        unit_price=form.cleaned_data["unit_price"],
        assigned_to=request.user,
    )


LINE_KINDS = {
    "hour": (HourLineForm, _hour_line),
    "item": (ItemLineForm, _item_line),
    "expense": (ExpenseLineForm, _expense_line),
    "fee": (FeeLineForm, _fee_line),
}


def _line_heading(kind: str) -> str:
    return {
        "hour": _("Record hours"),
        "item": _("Add an item"),
        "expense": _("Add an expense"),
        "fee": _("Add a fee"),
    }[kind]


@technician_order_view
def technician_line_add(request, order: ServiceOrder, kind: str):
    if kind not in LINE_KINDS:
        raise Http404
    form_class, record = LINE_KINDS[kind]
    options = {"tenant": request.tenant, "order": order}
    if kind == "item":
        options["search"] = request.GET.get("q", "")
    if request.method == "POST":
        form = form_class(request.POST, **options)
    else:
        form = form_class(initial={"work_date": request.tenant.today()}, **options)
    refusal = line_services.lines_change_refusal(tenant=request.tenant, order=order)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            line = record(request, order, form)
            messages.success(
                request,
                _("%(kind)s line recorded: %(line)s")
                % {"kind": line.get_kind_display(), "line": line_services.line_label(line)},
            )
            return _order_url(order, "lines")

        try:
            url = create_once_url(request, form, create)
        except ServiceOrder.DoesNotExist as exc:  # reassigned meanwhile
            raise Http404 from exc
        if url:
            return redirect(url)
    return render(
        request,
        "service_orders/technician/line_form.html",
        {
            "order": order,
            "form": form,
            "kind": kind,
            "heading": _line_heading(kind),
            "refusal": refusal,
            "search": request.GET.get("q", ""),
        },
    )


@technician_order_view
def technician_timer_start(request, order: ServiceOrder):
    if refused := _post_only(request):
        return refused
    form = StageStepForm()  # only to carry a refusal's message

    def start():
        return line_services.line_timer_start(
            tenant=request.tenant, by=request.user, order_id=order.pk, assigned_to=request.user
        )

    line, earlier = create_once(request, form, start)
    if line is not None:
        submission_complete(request, _order_url(order, "lines"))
        messages.success(request, _("Timer started."))
    elif earlier is None:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect(earlier or _order_url(order, "lines"))


@technician_order_view
def technician_timer_stop(request, order: ServiceOrder, line_pk: int):
    if refused := _post_only(request):
        return refused
    try:
        line = line_services.line_timer_stop(
            tenant=request.tenant,
            by=request.user,
            order_id=order.pk,
            line_id=line_pk,
            assigned_to=request.user,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_order_url(order, "lines"))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("Timer stopped: %(hours)s h recorded.")
        % {"hours": number_format(line.quantity, decimal_pos=2)},
    )
    return redirect(_order_url(order, "lines"))


@technician_order_view
def technician_line_remove(request, order: ServiceOrder, line_pk: int):
    if refused := _post_only(request):
        return refused
    try:
        line_services.line_remove(
            tenant=request.tenant,
            by=request.user,
            order_id=order.pk,
            line_id=line_pk,
            assigned_to=request.user,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("Line removed."))
    return redirect(_order_url(order, "lines"))


@capability_required(WORK_ORDERS)
def technician_items(request):
    """The item picker's search: the first active items matching ``q``, as JSON."""
    items = selectors.item_choices(tenant=request.tenant, query=request.GET.get("q", ""))
    return JsonResponse(
        {"results": [{"value": str(item.pk), "text": item_option_text(item)} for item in items]}
    )


# --- Photos --------------------------------------------------------------------------------------


@technician_order_view
def technician_photo_add(request, order: ServiceOrder):
    if refused := _post_only(request):
        return refused
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():

        def create() -> str:
            order_photo_add(
                tenant=request.tenant,
                by=request.user,
                order_id=order.pk,
                upload=form.cleaned_data["photo"],
                assigned_to=request.user,
            )
            messages.success(request, _("Photo attached."))
            return _order_url(order, "photos")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _order_page(request, order, photo_form=form)


def _order_for_viewer(request, pk: int) -> ServiceOrder:
    """The order for whoever may see its photos and receipt: the office by capability, a
    technician when it is assigned to them; 404 for anyone else's or another tenant's."""
    if request_can(request, VIEW_ORDERS):
        return get_or_404(selectors.order_get, tenant=request.tenant, pk=pk)
    if request_can(request, WORK_ORDERS):
        return get_or_404(
            selectors.technician_order_get, tenant=request.tenant, pk=pk, technician=request.user
        )
    raise PermissionDenied


@tenant_required
def order_photo(request, pk: int, photo_pk: int):
    order = _order_for_viewer(request, pk)
    photo = get_or_404(selectors.order_photo_get, tenant=request.tenant, order=order, pk=photo_pk)
    return photo_response(photo)


order_photo.required_capability = (VIEW_ORDERS, WORK_ORDERS)  # either one


# --- Sign-off and the work receipt ---------------------------------------------------------------


@technician_order_view
def technician_sign_off(request, order: ServiceOrder):
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            sign_off = order_sign_off(
                tenant=request.tenant,
                by=request.user,
                order_id=order.pk,
                signer_name=form.cleaned_data["signer_name"],
                signature=form.cleaned_data["signature"],
                assigned_to=request.user,
            )
            messages.success(
                request,
                _("Signed off by %(name)s. The work receipt is ready.")
                % {"name": sign_off.signer_name},
            )
            return reverse("service_orders:technician_receipt", args=[order.pk])

        try:
            url = create_once_url(request, form, create)
        except ServiceOrder.DoesNotExist as exc:
            raise Http404 from exc
        if url:
            return redirect(url)
    already = selectors.order_sign_off_get(tenant=request.tenant, order=order)
    if already is not None and request.method != "POST":
        return redirect("service_orders:technician_receipt", pk=order.pk)
    lines = [
        line
        for line in selectors.order_lines(tenant=request.tenant, order=order)
        if line.status != LineStatus.CANCELLED
    ]
    return render(
        request,
        "service_orders/technician/sign_off.html",
        {"order": order, "form": form, "lines": lines},
    )


@technician_order_view
def technician_receipt(request, order: ServiceOrder):
    """What the customer signed, and the PDF to open or hand over."""
    sign_off = selectors.order_sign_off_get(tenant=request.tenant, order=order)
    if sign_off is None:
        raise Http404
    lines = [
        line
        for line in selectors.order_lines(tenant=request.tenant, order=order)
        if line.status != LineStatus.CANCELLED
    ]
    return render(
        request,
        "service_orders/technician/receipt.html",
        {"order": order, "sign_off": sign_off, "lines": lines},
    )


@tenant_required
def order_receipt_pdf(request, pk: int):
    order = _order_for_viewer(request, pk)
    sign_off = get_or_404(selectors.order_receipt_get, tenant=request.tenant, order=order)
    response = HttpResponse(bytes(sign_off.receipt_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt_filename(order)}"'
    return private_response(response)


order_receipt_pdf.required_capability = (VIEW_ORDERS, WORK_ORDERS)  # either one
