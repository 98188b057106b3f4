"""Service order pages, the agreement/customer order partials and the generation pages."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from agreements.capabilities import MANAGE_AGREEMENTS
from tenancy.context import joins_as_written
from web.confirm import (
    Confirmation,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.lists import BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.submissions import create_once_url

from . import list_cells, selectors
from .capabilities import CHANGE_ORDERS, DISPATCH, GENERATE_ORDERS, VIEW_ORDERS
from .forms import GenerationForm, OrderFilterForm
from .models import ClockStatus, Origin, RunStatus, ServiceOrder
from .services.generation import PlannedOrder, generation_plan, generation_run_enqueue
from .services.orders import OrderTransitionRefused, order_cancel
from .workflow_forms import BulkActionForm, OrderCancelForm
from .workflow_views import workflow_context

# --- Orders ---------------------------------------------------------------------------------


def _window(order: ServiceOrder) -> str:
    if not (order.window_start or order.window_end):
        return ""
    start = order.window_start.isoformat() if order.window_start else ""
    end = order.window_end.isoformat() if order.window_end else ""
    return f"{start} – {end}"


def _window_shown(order: ServiceOrder) -> str:
    if not (order.window_start or order.window_end):
        return ""
    return " – ".join(
        formats.date_format(day, "SHORT_DATE_FORMAT") if day else "…"
        for day in (order.window_start, order.window_end)
    )


ORDER_COLUMNS = [
    Column(
        "select",
        gettext_lazy("Select"),
        template="service_orders/cells/select.html",
        html=list_cells.select_cell,
        capability=CHANGE_ORDERS,
        export=False,
        hide_label=True,
    ),
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("service_orders:order_detail"),
    ),
    Column(
        "customer",
        gettext_lazy("Customer"),
        "customer__name",
        lambda o: o.customer.name,
        role=FACT,
        truncate=True,
        link=link_to("customers:customer_detail", "customer_id"),
    ),
    Column(
        "agreement",
        gettext_lazy("Agreement"),
        "agreement__number",
        lambda o: o.agreement.number if o.agreement_id else "",
        nowrap=True,
        breakpoint="lg",
        display=lambda o: o.agreement.number if o.agreement_id else "",
        link=link_to("agreements:agreement_detail", "agreement_id"),
    ),
    Column(
        "description",
        gettext_lazy("Description"),
        "description",
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column(
        "preferred_date", gettext_lazy("Preferred date"), "preferred_date", role=FACT, nowrap=True
    ),
    Column(
        "window",
        gettext_lazy("Window"),
        "window_start",
        _window,
        breakpoint="xl",
        display=_window_shown,
    ),
    Column(
        "get_state_display",
        gettext_lazy("State"),
        "state",
        role=BADGE,
        template="service_orders/cells/state.html",
        html=list_cells.state_cell,
    ),
    Column("get_priority_display", gettext_lazy("Priority"), "priority_rank", breakpoint="lg"),
    Column(
        "calendar_conflict",
        gettext_lazy("Calendar conflict"),
        "calendar_conflict",
        lambda o: _("Closed day") if o.calendar_conflict else "",
        role=BADGE,
        template="service_orders/cells/conflict.html",
        html=list_cells.conflict_cell,
        breakpoint="md",
    ),
    Column(
        "stage",
        gettext_lazy("Stage"),
        "stage__position",
        lambda o: o.stage.name if o.stage_id else "",
        role=FACT,
        breakpoint="md",
        # the stage, and under it who the order is assigned to
        template="service_orders/cells/stage.html",
        html=list_cells.stage_cell,
    ),
    Column(
        "sla",
        gettext_lazy("SLA"),
        "sla_due",
        lambda o: ClockStatus(o.sla_status).label if o.sla_status else "",
        role=BADGE,
        nowrap=True,
        template="service_orders/cells/sla.html",
        html=list_cells.sla_cell,
    ),
]


@capability_required(VIEW_ORDERS)
def order_list(request):
    filters = OrderFilterForm(request.GET, tenant=request.tenant)
    qs = selectors.order_list(tenant=request.tenant, **filters.filters())
    return list_response(
        request,
        qs,
        template="service_orders/order_list.html",
        columns=ORDER_COLUMNS,
        default_sort="-number",
        csv_filename="service-orders",
        context={
            "filters": filters,
            "bulk_form": BulkActionForm(
                tenant=request.tenant, stages=filters.stages, technicians=filters.technicians
            ),
        },
    )


def _may_cancel(request) -> bool:
    return request_can(request, DISPATCH) or request_can(request, MANAGE_AGREEMENTS)


def _order_or_404(request, pk: int) -> ServiceOrder:
    return get_or_404(selectors.order_get, tenant=request.tenant, pk=pk)


def _may_post_order(request, order: ServiceOrder, lines) -> bool:
    """Show "Post to invoice": the person may post, the stage allows it, lines are left."""
    from invoicing.capabilities import POST_ORDERS

    from .models import LineStatus
    from .posting_views import may_post

    return (
        request_can(request, POST_ORDERS)
        and order.stage_id is not None
        and order.stage.can_post
        and any(line.status == LineStatus.CREATED for line in lines)
        and may_post(request)
    )


def _render_order(
    request, order: ServiceOrder, *, status: int = 200, refusal: str = "", **workflow_forms
):
    lines = selectors.order_lines(tenant=request.tenant, order=order)
    context = {
        **workflow_context(request, order, lines),
        **workflow_forms,
        "order": order,
        "lines": lines,
        "total": sum((line.amount for line in lines), Decimal("0.00")),
        "conflict_moved": order.calendar_conflict
        and selectors.order_day_is_open(tenant=request.tenant, order=order),
        "task_notes": list(selectors.order_task_notes(tenant=request.tenant, order=order).values()),
        "can_cancel": _may_cancel(request) and can_proceed(order.cancel),
        "can_post": _may_post_order(request, order, lines),
        "refusal": refusal,
        "sla_summary": selectors.order_sla_summary(tenant=request.tenant, order_ids=[order.pk]).get(
            order.pk
        ),
        # The request it was made from (one query, only for orders of that origin).
        "web_request": selectors.order_web_request(tenant=request.tenant, order=order)
        if order.origin == Origin.WEB_REQUEST
        else None,
    }
    return render(request, "service_orders/order_detail.html", context, status=status)


@capability_required(VIEW_ORDERS)
@joins_as_written
def order_detail(request, pk: int):
    return _render_order(request, _order_or_404(request, pk))


@capability_required(VIEW_ORDERS)
def order_cancel_view(request, pk: int):
    """Asks first, with a reason (web.confirm); cancels on the confirmation's POST."""
    order = _order_or_404(request, pk)  # another tenant's order: 404 whatever the method
    if not _may_cancel(request):
        raise PermissionDenied
    reasons = selectors.cancel_reasons(tenant=request.tenant, order=order)
    form = confirmation_form(request, OrderCancelForm, reasons=reasons)
    detail_url = reverse("service_orders:order_detail", args=[order.pk])
    confirmation = Confirmation(
        title=_("Cancel service order %(number)s?") % {"number": order.number},
        consequence=_(
            "The visit for %(customer)s will not take place and the order can no longer be "
            "worked on. A manager can revoke the cancellation from the order's page."
        )
        % {"customer": order.customer.name},
        button=_("Cancel order"),
        cancel_url=detail_url,
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        order = order_cancel(
            tenant=request.tenant,
            by=request.user,
            order_id=order.pk,
            reason=form.cleaned_data["reason"],
            reason_code_id=getattr(form.cleaned_data.get("reason_code"), "pk", None),
        )
    except ValidationError as exc:  # the cancelled stage needs a reason the form lacks
        attach_errors(form, exc)
        return confirmation_response(request, confirmation, status=400)
    except OrderTransitionRefused as exc:
        refusal = exc.message or _(
            "This order is %(state)s now and can no longer be cancelled."
        ) % {"state": exc.order.get_state_display().lower()}
        if request.htmx:
            return confirmation_refused(request, confirmation, refusal)
        return _render_order(request, _order_or_404(request, pk), status=409, refusal=refusal)
    messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
    return confirmed_redirect(request, detail_url)


# --- Partials for agreement and customer pages ---------------------------------------------


def _id_param(request, name: str) -> int:
    try:
        return int(request.GET.get(name, ""))
    except ValueError as exc:
        raise Http404 from exc


def _related_orders(request, *, heading: str, filter_key: str, record):
    orders, total = selectors.recent_orders(tenant=request.tenant, **{filter_key: record})
    full_list = reverse("service_orders:order_list") + "?" + urlencode({filter_key: record.pk})
    template = "service_orders/related_orders.html"
    if request.htmx:
        template += "#orders"
    context = {
        "heading": heading,
        "record": record,
        "orders": orders,
        "total": total,
        "full_list_url": full_list,
    }
    return render(request, template, context)


@capability_required(VIEW_ORDERS)
def agreement_orders(request):
    agreement = get_or_404(
        selectors.agreement_get, tenant=request.tenant, pk=_id_param(request, "agreement")
    )
    return _related_orders(
        request,
        heading=_("Orders of agreement %(number)s") % {"number": agreement.number},
        filter_key="agreement",
        record=agreement,
    )


@capability_required(VIEW_ORDERS)
def customer_orders(request):
    customer = get_or_404(
        selectors.customer_get, tenant=request.tenant, pk=_id_param(request, "customer")
    )
    return _related_orders(
        request,
        heading=_("Orders of %(customer)s") % {"customer": customer.name},
        filter_key="customer",
        record=customer,
    )


# --- Generating orders from agreements -----------------------------------------------------


# The preview counts every planned order but shows only this many (a tenant-wide month can
# plan thousands).
PREVIEW_SHOWN = 100


def _generation_defaults(request, horizon_days: int) -> dict:
    today = request.tenant.today()
    initial = {"period_start": today, "period_end": today + datetime.timedelta(days=horizon_days)}
    agreement = request.GET.get("agreement", "")
    if agreement.isdigit():
        initial["agreement"] = int(agreement)
    return initial


@capability_required(GENERATE_ORDERS)
def generation(request):
    """From/To and an optional agreement; "Preview" shows the plan, "Generate" hands it to a
    background worker and goes to the run's page."""
    horizon_days = selectors.order_generation_settings(tenant=request.tenant).horizon_days
    if request.method == "POST":
        form = GenerationForm(request.POST, tenant=request.tenant)
    else:
        initial = _generation_defaults(request, horizon_days)
        form = GenerationForm(initial=initial, tenant=request.tenant)
    context = {"form": form, "plan": None, "horizon_days": horizon_days}
    if request.method == "POST" and form.is_valid():
        agreement = form.cleaned_data["agreement"]
        period = {
            "tenant": request.tenant,
            "period_start": form.cleaned_data["period_start"],
            "period_end": form.cleaned_data["period_end"],
            "agreement_ids": [agreement.pk] if agreement else None,
            "filters": form.filters(),
        }
        if request.POST.get("action") == "generate":
            done = _generate(request, form, period)
            if done is not None:
                return done
        else:
            context.update(_preview(form, period))
    return render(request, "service_orders/generation.html", context)


def _generate(request, form: GenerationForm, period: dict):
    """Record the run and queue it, once per submitted form (a repeated submit goes to the
    first one's run); the redirect to the run's page, or None when the service refused the
    input (its message is then on the form)."""

    def enqueue() -> str:
        run = generation_run_enqueue(by=request.user, **period)
        return reverse("service_orders:generation_run_detail", kwargs={"pk": run.pk})

    url = create_once_url(request, form, enqueue)
    return redirect(url) if url else None


def _preview(form: GenerationForm, period: dict) -> dict:
    try:
        plan = generation_plan(**period)
    except ValidationError as exc:
        attach_errors(form, exc)
        return {}
    return {
        "plan": plan,
        "summary": _plan_summary(plan),
        "plan_shown": plan[:PREVIEW_SHOWN],
        "plan_hidden": max(len(plan) - PREVIEW_SHOWN, 0),
    }


def _plan_summary(plan: list[PlannedOrder]) -> dict:
    to_write = [planned for planned in plan if not planned.exists]
    return {
        "orders": sum(1 for planned in to_write if planned.existing_order_id is None),
        "lines": sum(len(planned.missing_lines) for planned in to_write),
        "existing": len(plan) - len(to_write),
        "conflicts": sum(1 for planned in to_write if planned.calendar_conflict),
    }


RUN_COLUMNS = [
    Column(
        "started_at",
        gettext_lazy("When"),
        "started_at",
        role=TITLE,
        nowrap=True,
        link=link_to("service_orders:generation_run_detail"),
    ),
    Column("get_trigger_display", gettext_lazy("Started by"), "trigger", breakpoint="lg"),
    Column(
        "requested_by",
        gettext_lazy("Who"),
        "requested_by__email",
        truncate=True,
        breakpoint="lg",
        display=lambda r: r.requested_by.email if r.requested_by_id else "",
    ),
    Column("period_start", gettext_lazy("From"), "period_start", role=FACT, nowrap=True),
    Column("period_end", gettext_lazy("To"), "period_end", role=FACT, nowrap=True),
    Column(
        "orders_created", gettext_lazy("Orders created"), "orders_created", role=FACT, numeric=True
    ),
    Column(
        "lines_created",
        gettext_lazy("Lines created"),
        "lines_created",
        numeric=True,
        breakpoint="md",
    ),
    Column(
        "occurrences_skipped",
        gettext_lazy("Already generated"),
        "occurrences_skipped",
        numeric=True,
        breakpoint="xl",
    ),
    Column(
        "agreements_failed",
        gettext_lazy("Agreements failed"),
        "agreements_failed",
        role=BADGE,
        numeric=True,
        template="service_orders/cells/failed.html",
    ),
]


@capability_required(GENERATE_ORDERS)
def generation_runs(request):
    return list_response(
        request,
        selectors.generation_run_list(tenant=request.tenant),
        template="service_orders/generation_runs.html",
        columns=RUN_COLUMNS,
        default_sort="-started_at",
        csv_filename="generation-runs",
    )


RUN_ORDERS_SHOWN = 50
# A run no worker has picked up after this long: the page says the workers may be down.
WORKER_WAIT_WARNING = datetime.timedelta(minutes=1)


@capability_required(GENERATE_ORDERS)
def generation_run_detail(request, pk: int):
    """A run's progress while it waits for a worker or generates (the page polls its status
    partial every two seconds, or reloads itself without JavaScript), then its result: the
    counters, the errors and the orders it created."""
    run = get_or_404(selectors.generation_run_get, tenant=request.tenant, pk=pk)
    now = timezone.now()
    status = run.status(now)
    polling = status in (RunStatus.QUEUED, RunStatus.RUNNING)
    context = {
        "run": run,
        "status": status,
        "polling": polling,
        "waiting_long": status == RunStatus.QUEUED and now - run.started_at > WORKER_WAIT_WARNING,
    }
    if not polling:
        orders = selectors.generation_run_orders(tenant=request.tenant, run=run)
        query = {
            "origin": Origin.AGREEMENT,
            "date_from": run.period_start.isoformat(),
            "date_to": run.period_end.isoformat(),
        }
        context |= {
            "errors": selectors.generation_run_errors(tenant=request.tenant, run=run),
            "notices": selectors.generation_run_notices(tenant=request.tenant, run=run),
            "orders": orders[:RUN_ORDERS_SHOWN],
            "orders_shown": RUN_ORDERS_SHOWN,
            "order_count": orders.count(),
            "orders_url": reverse("service_orders:order_list") + "?" + urlencode(query),
        }
    template = "service_orders/generation_run_detail.html"
    if request.htmx:
        template += "#run-status"
    return render(request, template, context)


ERROR_COLUMNS = [
    Column(
        "created_at",
        gettext_lazy("When"),
        "created_at",
        role=TITLE,
        nowrap=True,
        link=link_to("service_orders:generation_run_detail", "run_id"),
    ),
    Column(
        "agreement",
        gettext_lazy("Agreement"),
        "agreement__number",
        lambda e: e.agreement.number,
        role=FACT,
        nowrap=True,
        link=link_to("agreements:agreement_detail", "agreement_id"),
    ),
    Column(
        "customer",
        gettext_lazy("Customer"),
        "agreement__customer__name",
        lambda e: e.agreement.customer.name if e.agreement.customer_id else "",
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column("period_start", gettext_lazy("From"), "period_start", nowrap=True, breakpoint="lg"),
    Column("period_end", gettext_lazy("To"), "period_end", nowrap=True, breakpoint="lg"),
    Column("message", gettext_lazy("Message"), role=FACT, truncate=True),
]


@capability_required(GENERATE_ORDERS)
def generation_errors(request):
    return list_response(
        request,
        selectors.generation_error_open_list(tenant=request.tenant),
        template="service_orders/generation_errors.html",
        columns=ERROR_COLUMNS,
        default_sort="-created_at",
        csv_filename="generation-errors",
    )
