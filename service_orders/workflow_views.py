"""The order workflow pages of dispatchers and managers: create an order by hand, move it to a
stage, revoke a cancellation, delete, assign, cancel/revoke/move lines, bulk actions on the list.

Every change is one service call; a change that no longer applies (someone else moved the order
first, the stage forbids it) answers 409 with the order page as it is now and why; bad input
answers 400 with the message beside its field."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from web.forms import attach_errors
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.submissions import create_once_url

from . import selectors
from .capabilities import CHANGE_ORDERS
from .models import OrderClock, OrderStage, OrderState, ServiceOrder, ServiceOrderLine
from .services import line_changes, lines, orders, sla_clock, stages
from .services.stages import OrderTransitionRefused
from .workflow_forms import (
    AssignForm,
    BulkActionForm,
    ClockActionForm,
    LineCancelForm,
    LinesFromAgreementForm,
    LinesMoveForm,
    OrderCreateForm,
    StageMoveForm,
)


def workflow_context(request, order: ServiceOrder, lines) -> dict:
    """What the order page adds for the workflow: its stage, the next-stage buttons, progress,
    the timeline, and the forms of the actions this user may take (a fixed number of queries)."""
    tenant = request.tenant
    may_change = request_can(request, CHANGE_ORDERS)
    stage = selectors.order_current_stage(tenant=tenant, order=order)
    next_stages = (
        selectors.order_next_stages(tenant=tenant, order=order, reasons="required")
        if may_change
        else []
    )
    is_open = order.state in (
        OrderState.NEW,
        OrderState.SCHEDULED,
        OrderState.IN_PROGRESS,
        OrderState.ON_HOLD,
    )
    lines_changeable = may_change and is_open and (stage is None or stage.can_modify)
    # The "move lines" form is shown only for an order with lines (_line_changes.html).
    move_targets = (
        selectors.move_targets(tenant=tenant, order=order) if lines_changeable and lines else []
    )
    progress = selectors.progress_of(line.status for line in lines)
    return {
        "stage": stage,
        "next_stages": next_stages,
        "may_change": may_change,
        "progress": progress,
        "progress_label": selectors.progress_label(progress),
        "timeline": selectors.order_timeline(tenant=tenant, order=order),
        "can_revoke_cancel": may_change and order.state == OrderState.CANCELLED,
        "can_delete": may_change and stage is not None and stage.can_delete,
        "lines_changeable": lines_changeable,
        "move_targets": move_targets,
        "clock_actions": may_change,
        "clock_form": ClockActionForm() if may_change else None,
        "assign_form": AssignForm(
            initial={"technician": order.assigned_technician_id}, tenant=tenant
        )
        if may_change and is_open
        else None,
    }


def _order(request, pk: int) -> ServiceOrder:
    return get_or_404(selectors.order_get, tenant=request.tenant, pk=pk)


def _order_page(request, pk: int, *, status: int, refusal: str = "", **extra):
    from .views import _render_order  # the order page itself lives with the other order views

    return _render_order(request, _order(request, pk), status=status, refusal=refusal, **extra)


def _refused(request, pk: int, exc: OrderTransitionRefused):
    message = exc.message or _("This order has changed in the meantime: see it as it is now.")
    return _order_page(request, pk, status=409, refusal=message)


@capability_required(CHANGE_ORDERS)
def order_create(request):
    tenant = request.tenant
    required = selectors.order_generation_settings(tenant=tenant).agreement_required
    initial = {}
    if customer := request.GET.get("customer", ""):
        initial["customer"] = customer if customer.isdigit() else None
    form = OrderCreateForm(
        request.POST or None, initial=initial, tenant=tenant, agreement_required=required
    )
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            order = orders.order_create(tenant=tenant, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Order %(number)s created.") % {"number": order.number})
            return reverse("service_orders:order_detail", args=[order.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "service_orders/order_form.html",
        {"form": form, "agreement_required": required},
        status=status,
    )


@capability_required(CHANGE_ORDERS)
def order_stage_move(request, pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    stage_id = request.POST.get("stage", "")
    to_stage = (
        OrderStage.objects.for_tenant(request.tenant)
        .filter(pk=int(stage_id) if stage_id.isdigit() else 0)
        .prefetch_related("reasons")
        .first()
    )
    if to_stage is None:
        return _order_page(
            request, pk, status=409, refusal=_("Choose one of the order's next stages.")
        )
    form = StageMoveForm(request.POST, stage=to_stage)
    form.is_valid()
    reason = form.cleaned_data.get("reason_code")
    try:
        stages.order_stage_move(
            tenant=request.tenant,
            order_id=order.pk,
            to_stage_id=to_stage.pk,
            by=request.user,
            reason_code_id=reason.pk if reason else None,
            reason_text=form.cleaned_data.get("reason_text", ""),
            late_reason=form.cleaned_data.get("late_reason", ""),
        )
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _order_page(request, pk, status=400, move_form=form, move_stage=to_stage)
    messages.success(
        request,
        _("Order %(number)s is at %(stage)s now.") % {"number": order.number, "stage": to_stage},
    )
    return redirect("service_orders:order_detail", pk=order.pk)


@capability_required(CHANGE_ORDERS)
def order_clock(request, pk: int):
    """Stop, start or cancel the order's SLA clock by hand, with a reason."""
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ClockActionForm(request.POST)
    if not form.is_valid():
        return _order_page(request, pk, status=400, clock_form=form)
    try:
        sla_clock.clock_manual(
            tenant=request.tenant,
            order_id=order.pk,
            by=request.user,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except OrderClock.DoesNotExist:
        raise Http404 from None
    except sla_clock.ClockActionRefused as exc:
        return _order_page(request, pk, status=409, refusal=exc.message)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _order_page(request, pk, status=400, clock_form=form)
    messages.success(
        request, _("The SLA clock of order %(number)s is updated.") % {"number": order.number}
    )
    return redirect("service_orders:order_detail", pk=pk)


@capability_required(CHANGE_ORDERS)
def order_revoke_cancel(request, pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        order = orders.order_revoke_cancel(tenant=request.tenant, by=request.user, order_id=pk)
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    messages.success(
        request,
        _("Order %(number)s is open again, at %(stage)s.")
        % {"number": order.number, "stage": order.stage},
    )
    return redirect("service_orders:order_detail", pk=pk)


@capability_required(CHANGE_ORDERS)
def order_delete(request, pk: int):
    _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        number = orders.order_delete(tenant=request.tenant, by=request.user, order_id=pk)
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("Order %(number)s deleted.") % {"number": number})
    return redirect("service_orders:order_list")


@capability_required(CHANGE_ORDERS)
def order_assign(request, pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AssignForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _order_page(request, pk, status=400, assign_form=form)
    try:
        order = orders.order_assign(
            tenant=request.tenant,
            by=request.user,
            order_id=pk,
            technician=form.cleaned_data["technician"],
        )
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _order_page(request, pk, status=400, assign_form=form)
    messages.success(request, _("Order %(number)s assigned.") % {"number": order.number})
    return redirect("service_orders:order_detail", pk=pk)


def _line(request, order: ServiceOrder, line_pk: int) -> ServiceOrderLine:
    return get_or_404(
        ServiceOrderLine.objects.for_tenant(request.tenant).filter(order=order).get, pk=line_pk
    )


@capability_required(CHANGE_ORDERS)
def line_cancel(request, pk: int, line_pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    line = _line(request, order, line_pk)
    form = LineCancelForm(request.POST)
    form.is_valid()
    try:
        line_changes.line_cancel(
            tenant=request.tenant,
            by=request.user,
            order_id=pk,
            line_id=line.pk,
            reason=form.cleaned_data.get("reason", ""),
        )
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _order_page(request, pk, status=400, line_cancel_form=form, line_cancel_pk=line.pk)
    messages.success(request, _("Line cancelled."))
    return redirect("service_orders:order_detail", pk=pk)


@capability_required(CHANGE_ORDERS)
def line_revoke_cancel(request, pk: int, line_pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    line = _line(request, order, line_pk)
    try:
        line_changes.line_revoke_cancel(
            tenant=request.tenant, by=request.user, order_id=pk, line_id=line.pk
        )
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("Line brought back."))
    return redirect("service_orders:order_detail", pk=pk)


@capability_required(CHANGE_ORDERS)
def lines_move(request, pk: int):
    order = _order(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    lines = selectors.order_lines(tenant=request.tenant, order=order)
    form = LinesMoveForm(request.POST, tenant=request.tenant, order=order, lines=lines)
    to_order_id = request.POST.get("to_order", "")
    if form.is_valid():
        target_id = form.cleaned_data["to_order"].pk
    elif to_order_id.isdigit() and "lines" not in form.errors:
        # Not one of the offered orders: let the service say why (another agreement, closed).
        target_id = int(to_order_id)
        form.errors.pop("to_order", None)
    else:
        return _order_page(request, pk, status=400, move_form_lines=form)
    try:
        target = line_changes.lines_move(
            tenant=request.tenant,
            by=request.user,
            order_id=pk,
            line_ids=form.cleaned_data.get("lines") or [],
            to_order_id=target_id,
        )
    except OrderTransitionRefused as exc:
        return _refused(request, pk, exc)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _order_page(request, pk, status=400, move_form_lines=form)
    messages.success(request, _("Lines moved to order %(number)s.") % {"number": target.number})
    return redirect("service_orders:order_detail", pk=pk)


@capability_required(CHANGE_ORDERS)
def order_bulk(request):
    """Move the selected orders to a stage, or assign them: each order in its own transaction;
    the page reports which were changed and which were refused, and why."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = BulkActionForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return render(request, "service_orders/bulk_result.html", {"form": form}, status=400)
    ids = form.cleaned_data["orders"]
    found = {
        o.pk: o
        for o in ServiceOrder.objects.for_tenant(request.tenant)
        .filter(pk__in=ids)
        .only("pk", "number")
    }
    done, refused = [], []
    for order_id in ids:
        order = found.get(order_id)
        if order is None:
            continue  # not this tenant's: as if it did not exist
        try:
            _bulk_one(request, form, order_id)
        except OrderTransitionRefused as exc:
            refused.append((order, exc.message or _("Not possible at its stage.")))
        except ValidationError as exc:
            refused.append((order, " ".join(exc.messages)))
        else:
            done.append(order)
    return render(
        request,
        "service_orders/bulk_result.html",
        {"form": form, "done": done, "refused": refused},
    )


def _bulk_one(request, form: BulkActionForm, order_id: int) -> None:
    data = form.cleaned_data
    if data["action"] == BulkActionForm.ADVANCE:
        stages.order_stage_move(
            tenant=request.tenant,
            order_id=order_id,
            to_stage_id=data["stage"].pk,
            by=request.user,
            reason_text=data.get("reason_text", ""),
        )
    else:
        orders.order_assign(
            tenant=request.tenant,
            by=request.user,
            order_id=order_id,
            technician=data.get("technician"),
        )


@capability_required(CHANGE_ORDERS)
def lines_from_agreement(request, pk: int):
    """ "Add from agreement": choose lines of the order's agreement and copy them onto the order
    (one-off work), priced by the agreement's rate card."""
    order = _order(request, pk)
    if not order.agreement_id:
        return redirect("service_orders:order_detail", pk=pk)
    choices = selectors.agreement_lines_to_draw(tenant=request.tenant, order=order)
    context = {
        "order": order,
        "choices": choices,
        "refusal": lines.lines_change_refusal(tenant=request.tenant, order=order),
        "error": "",
    }
    status = 200
    if request.method == "POST" and not context["refusal"]:
        form = LinesFromAgreementForm(request.POST)
        form.is_valid()

        def create() -> str:
            created = lines.lines_add_from_agreement(
                tenant=request.tenant,
                by=request.user,
                order_id=order.pk,
                agreement_line_ids=form.cleaned_data.get("lines") or [],
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d line added from the agreement.",
                    "%(count)d lines added from the agreement.",
                    len(created),
                )
                % {"count": len(created)},
            )
            return reverse("service_orders:order_detail", args=[order.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
        context["error"] = " ".join(
            message for errors in form.errors.values() for message in errors
        )
        status = 400
    return render(request, "service_orders/lines_from_agreement.html", context, status=status)
