"""Subscription pages: groups, the price list, subscriptions and what changes their fees,
indexation with its preview, the billing run (button, progress, history) and the
deferred-revenue report. Thin: parse, call a selector or a service, render."""

import csv
import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.confirm import (
    Confirmation,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import SearchForm, attach_errors
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from . import selectors
from .capabilities import MANAGE_SUBSCRIPTIONS, RUN_BILLING, VIEW_SUBSCRIPTIONS
from .forms import (
    BillingForm,
    CancelForm,
    GroupForm,
    IndexForm,
    OneOffForm,
    PriceForm,
    ReductionForm,
    SubscriptionFilterForm,
    SubscriptionForm,
)
from .models import RunStatus, SubscriptionState
from .services import accruals, billing
from .services import subscriptions as services


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# --- Groups -------------------------------------------------------------------------------------

GROUP_COLUMNS = [
    Column("code", gettext_lazy("Code"), "code", role=FACT, nowrap=True),
    Column(
        "name",
        gettext_lazy("Subscription group name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("subscriptions:group_edit"),
    ),
    Column("get_period_display", gettext_lazy("Invoicing period"), "period", role=FACT),
    Column("get_timing_display", gettext_lazy("Invoiced"), "timing", role=FACT),
    Column(
        "accrue",
        gettext_lazy("Accrue revenue"),
        "accrue",
        breakpoint="md",
    ),
]


@capability_required(MANAGE_SUBSCRIPTIONS)
def group_list(request):
    search = request.GET.get("q", "").strip()
    return list_response(
        request,
        selectors.group_list(tenant=request.tenant, search=search),
        template="subscriptions/group_list.html",
        columns=GROUP_COLUMNS,
        default_sort="code",
        csv_filename="subscription-groups",
        context={"filters": SearchForm(request.GET)},
    )


def _group_page(request, form, group=None):
    return render(request, "subscriptions/group_form.html", {"form": form, "group": group})


@capability_required(MANAGE_SUBSCRIPTIONS)
def group_create(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            group = services.group_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(
                request, _("Subscription group %(code)s saved.") % {"code": group.code}
            )
            return reverse("subscriptions:group_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _group_page(request, form)


@capability_required(MANAGE_SUBSCRIPTIONS)
def group_edit(request, pk: int):
    group = get_or_404(selectors.group_get, tenant=request.tenant, pk=pk)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                tenant=request.tenant, by=request.user, group_id=group.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Subscription group %(code)s saved.") % {"code": group.code}
            )
            return redirect("subscriptions:group_list")
    return _group_page(request, form, group)


# --- Price list ---------------------------------------------------------------------------------

PRICE_COLUMNS = [
    Column("scope", gettext_lazy("Applies to"), None, role=TITLE, truncate=True),
    Column("get_period_display", gettext_lazy("Invoicing period"), "period", role=FACT),
    Column("currency", gettext_lazy("Currency"), "currency", role=FACT, nowrap=True),
    Column("valid_from", gettext_lazy("Valid from"), "valid_from", role=FACT, nowrap=True),
    Column("price", gettext_lazy("Price per period"), "price", numeric=True, role=FACT),
    Column(
        "delete",
        gettext_lazy("Delete"),
        role=ACTION,
        link=link_to("subscriptions:price_delete"),
        export=False,
    ),
]


@capability_required(MANAGE_SUBSCRIPTIONS)
def price_list(request):
    return list_response(
        request,
        selectors.price_list(tenant=request.tenant),
        template="subscriptions/price_list.html",
        columns=PRICE_COLUMNS,
        default_sort="-valid_from",
        csv_filename="price-list",
    )


@capability_required(MANAGE_SUBSCRIPTIONS)
def price_create(request):
    form = PriceForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.price_create(tenant=request.tenant, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Price saved."))
            return reverse("subscriptions:price_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "subscriptions/price_form.html", {"form": form})


@capability_required(MANAGE_SUBSCRIPTIONS)
def price_delete(request, pk: int):
    row = get_or_404(selectors.price_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    if not form.is_valid():
        return confirmation_response(
            request,
            Confirmation(
                title=_("Delete the price %(price)s?") % {"price": row},
                consequence=_(
                    "Fees billed already keep their price; later periods take the next row "
                    "that applies."
                ),
                button=_("Delete"),
                cancel_url=reverse("subscriptions:price_list"),
                form=form,
            ),
        )
    services.price_delete(tenant=request.tenant, by=request.user, row_id=row.pk)
    messages.success(request, _("Price deleted."))
    return confirmed_redirect(request, reverse("subscriptions:price_list"))


# --- Subscriptions ------------------------------------------------------------------------------

SUBSCRIPTION_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("subscriptions:subscription_detail"),
    ),
    Column(
        "customer",
        gettext_lazy("Customer"),
        "customer__name",
        role=FACT,
        truncate=True,
        value=lambda s: s.customer.name,
    ),
    Column(
        "description", gettext_lazy("Description"), "description", truncate=True, breakpoint="md"
    ),
    Column(
        "group",
        gettext_lazy("Subscription group"),
        "group__name",
        breakpoint="lg",
        value=lambda s: s.group.name,
    ),
    Column("start_date", gettext_lazy("Start date"), "start_date", nowrap=True, breakpoint="lg"),
    Column("next_due_on", gettext_lazy("Next fee due"), "next_due_on", role=FACT, nowrap=True),
    Column(
        "state",
        gettext_lazy("State"),
        "state",
        role=BADGE,
        value=lambda s: s.get_state_display(),
        template="subscriptions/cells/state.html",
    ),
]


@capability_required(VIEW_SUBSCRIPTIONS)
def subscription_list(request):
    filters = SubscriptionFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    return list_response(
        request,
        selectors.subscription_list(tenant=request.tenant, filters=data),
        template="subscriptions/subscription_list.html",
        columns=SUBSCRIPTION_COLUMNS,
        default_sort="number",
        csv_filename="subscriptions",
        context={"filters": filters},
    )


@capability_required(MANAGE_SUBSCRIPTIONS)
def subscription_create(request):
    # From a customer's page: that customer, preselected.
    raw = request.GET.get("customer", "")
    initial = {"customer": int(raw)} if raw.isdigit() else {}
    form = SubscriptionForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            subscription = services.subscription_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(
                request, _("Subscription %(number)s created.") % {"number": subscription.number}
            )
            return reverse("subscriptions:subscription_detail", args=[subscription.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "subscriptions/subscription_form.html", {"form": form})


@capability_required(MANAGE_SUBSCRIPTIONS)
def subscription_edit(request, pk: int):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    form = SubscriptionForm(request.POST or None, instance=subscription, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(
                tenant=request.tenant,
                by=request.user,
                subscription_id=subscription.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Subscription %(number)s saved.") % {"number": subscription.number}
            )
            return redirect(subscription.get_absolute_url())
    return render(
        request,
        "subscriptions/subscription_form.html",
        {"form": form, "subscription": subscription},
    )


def _detail_page(request, pk: int, *, status: int = 200, **extra):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    tenant = request.tenant
    context = {
        "subscription": subscription,
        "fees": selectors.subscription_fees(tenant=tenant, subscription=subscription)[:60],
        "reductions": selectors.subscription_reductions(tenant=tenant, subscription=subscription),
        "one_offs": selectors.subscription_one_offs(tenant=tenant, subscription=subscription),
        "pauses": selectors.subscription_pauses(tenant=tenant, subscription=subscription),
        "reduction_form": extra.pop("reduction_form", None) or ReductionForm(),
        "one_off_form": extra.pop("one_off_form", None) or OneOffForm(),
        "cancel_form": CancelForm(),
        "States": SubscriptionState,
        **extra,
    }
    return render(request, "subscriptions/subscription_detail.html", context, status=status)


@capability_required(VIEW_SUBSCRIPTIONS)
def subscription_detail(request, pk: int):
    return _detail_page(request, pk)


TRANSITIONS = {
    "activate": (
        services.subscription_activate,
        gettext_lazy("Subscription %(number)s activated."),
    ),
    "pause": (services.subscription_pause, gettext_lazy("Subscription %(number)s paused.")),
    "resume": (services.subscription_resume, gettext_lazy("Subscription %(number)s resumed.")),
}


@capability_required(MANAGE_SUBSCRIPTIONS)
def subscription_transition(request, pk: int, transition: str):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    service, done = TRANSITIONS[transition]
    try:
        service(tenant=request.tenant, subscription_id=subscription.pk, by=request.user)
    except services.TransitionRefused as exc:
        return _detail_page(request, pk, status=409, refusal=exc.message)
    messages.success(request, str(done) % {"number": subscription.number})
    return redirect(subscription.get_absolute_url())


@capability_required(MANAGE_SUBSCRIPTIONS)
def subscription_cancel(request, pk: int):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request, CancelForm)
    confirmation = Confirmation(
        title=_("Cancel subscription %(number)s?") % {"number": subscription.number},
        consequence=_(
            "Cancelled at once, nothing more is billed. At the end of the current period, it "
            "is billed through that period and then cancelled."
        ),
        button=_("Cancel subscription"),
        cancel_url=subscription.get_absolute_url(),
        form=form,
    )
    if not form.is_valid():
        return confirmation_response(request, confirmation)
    try:
        services.subscription_cancel(
            tenant=request.tenant,
            subscription_id=subscription.pk,
            by=request.user,
            at_period_end=form.cleaned_data["at_period_end"],
        )
    except services.TransitionRefused as exc:
        if request.htmx:
            return confirmation_refused(request, confirmation, exc.message)
        return _detail_page(request, pk, status=409, refusal=exc.message)
    messages.success(
        request, _("Subscription %(number)s cancelled.") % {"number": subscription.number}
    )
    return confirmed_redirect(request, subscription.get_absolute_url())


@capability_required(MANAGE_SUBSCRIPTIONS)
def reduction_add(request, pk: int):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    form = ReductionForm(request.POST)
    if form.is_valid():
        try:
            services.reduction_add(
                tenant=request.tenant,
                subscription_id=subscription.pk,
                by=request.user,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Reduction added."))
            return redirect(subscription.get_absolute_url())
    return _detail_page(request, pk, status=400, reduction_form=form)


@capability_required(MANAGE_SUBSCRIPTIONS)
def one_off_add(request, pk: int):
    subscription = get_or_404(selectors.subscription_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    form = OneOffForm(request.POST)
    if form.is_valid():
        try:
            services.one_off_add(
                tenant=request.tenant,
                subscription_id=subscription.pk,
                by=request.user,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("One-off fee added."))
            return redirect(subscription.get_absolute_url())
    return _detail_page(request, pk, status=400, one_off_form=form)


# --- Indexation ---------------------------------------------------------------------------------


@capability_required(MANAGE_SUBSCRIPTIONS)
def indexation(request):
    """Choose the subscriptions (group, period) and the change; "Preview" lists each one's
    index and price before and after; "Apply" changes them."""
    form = IndexForm(request.POST or None, tenant=request.tenant)
    context = {"form": form, "preview": None}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = selectors.subscription_list(
            tenant=request.tenant, filters={"group": data.get("group")}
        ).exclude(state__in=[SubscriptionState.ENDED, SubscriptionState.CANCELLED])
        if data.get("period"):
            chosen = chosen.filter(group__period=data["period"])
        chosen = chosen.order_by("number")
        try:
            if request.POST.get("action") == "apply":
                count = services.index_apply(
                    tenant=request.tenant,
                    by=request.user,
                    subscription_ids=[s.pk for s in chosen],
                    mode=data["mode"],
                    value=data["value"],
                )
                messages.success(
                    request, _("Index changed on %(count)s subscriptions.") % {"count": count}
                )
                return redirect("subscriptions:subscription_list")
            context["preview"] = services.index_preview(
                tenant=request.tenant, subscriptions=chosen, mode=data["mode"], value=data["value"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "subscriptions/indexation.html", context, status=status)


# --- Billing ------------------------------------------------------------------------------------


@capability_required(RUN_BILLING)
def billing_page(request):
    form = BillingForm(request.POST or None, initial={"through": request.tenant.today()})
    if request.method == "POST" and form.is_valid():

        def enqueue() -> str:
            run = billing.billing_run_enqueue(
                tenant=request.tenant, by=request.user, through=form.cleaned_data["through"]
            )
            return reverse("subscriptions:run_detail", args=[run.pk])

        if url := create_once_url(request, form, enqueue):
            return redirect(url)
    due = len(billing.due_subscription_ids(tenant=request.tenant, through=request.tenant.today()))
    return render(
        request,
        "subscriptions/billing.html",
        {
            "form": form,
            "due_today": due,
            "recent_runs": selectors.run_list(tenant=request.tenant)[:5],
        },
        status=400 if form.errors else 200,
    )


RUN_COLUMNS = [
    Column(
        "started_at",
        gettext_lazy("When"),
        "started_at",
        role=TITLE,
        nowrap=True,
        link=link_to("subscriptions:run_detail"),
    ),
    Column("get_trigger_display", gettext_lazy("Started by"), "trigger", breakpoint="lg"),
    Column("through", gettext_lazy("Bill through"), "through", role=FACT, nowrap=True),
    Column("fees_created", gettext_lazy("Fees created"), "fees_created", role=FACT, numeric=True),
    Column("fees_skipped", gettext_lazy("Skipped"), "fees_skipped", numeric=True, breakpoint="md"),
    Column(
        "subscriptions_failed",
        gettext_lazy("Failed"),
        "subscriptions_failed",
        role=BADGE,
        numeric=True,
    ),
]


@capability_required(RUN_BILLING)
def run_list(request):
    return list_response(
        request,
        selectors.run_list(tenant=request.tenant),
        template="subscriptions/run_list.html",
        columns=RUN_COLUMNS,
        default_sort="-started_at",
        csv_filename="billing-runs",
    )


@capability_required(RUN_BILLING)
def run_detail(request, pk: int):
    """A run's progress while it waits or bills (the page polls its status partial every two
    seconds, or reloads itself without JavaScript), then its result."""
    run = get_or_404(selectors.run_get, tenant=request.tenant, pk=pk)
    now = timezone.now()
    status = run.status(now)
    polling = status in (RunStatus.QUEUED, RunStatus.RUNNING)
    context = {
        "run": run,
        "status": status,
        "polling": polling,
        "waiting_long": status == RunStatus.QUEUED
        and now - run.started_at > datetime.timedelta(minutes=1),
    }
    if not polling:
        context |= {
            "errors": selectors.run_errors(tenant=request.tenant, run=run),
            "fees": selectors.run_fees(tenant=request.tenant, run=run)[:100],
        }
    template = "subscriptions/run_detail.html"
    if request.htmx:
        template += "#run-status"
    return render(request, template, context)


# --- Deferred revenue ---------------------------------------------------------------------------


def _month_field(request, name: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get(name, "") + "-01")
    except ValueError:
        return default


@capability_required(VIEW_SUBSCRIPTIONS)
def deferred_revenue(request):
    today = request.tenant.today()
    start = _month_field(request, "from", today.replace(day=1, month=1))
    end = _month_field(request, "to", today.replace(day=1, month=12))
    if end < start:
        start, end = end, start
    end = min(end, start.replace(year=start.year + 3))
    rows = accruals.deferred_revenue(tenant=request.tenant, start=start, end=end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="deferred-revenue.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [_("Month"), _("Currency"), _("To recognise"), _("Recognised"), _("Deferred")]
        )
        for row in rows:
            writer.writerow(
                [
                    row.month.strftime("%Y-%m"),
                    row.currency,
                    row.to_recognise,
                    row.recognised,
                    row.deferred,
                ]
            )
        return response
    return render(
        request,
        "subscriptions/deferred_revenue.html",
        {"rows": rows, "start": start, "end": end},
    )
