"""The technician's day and week (their home page on the phone), one-tap stage steps from the
day, and their schedule as an iCal feed at a secret, resettable address."""

import contextlib
import datetime

import icalendar
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from service_orders.models import OrderStage
from service_orders.selectors import next_stages_of
from service_orders.services.stages import OrderTransitionRefused, order_stage_move
from tenancy.context import tenant_scope
from tenancy.models import Tenant
from tenancy.roles import Capability
from web.confirm import Confirmation, confirmation_form, confirmation_response, confirmed_redirect
from web.permissions import capability_required, request_can, tenant_required
from web.submissions import create_once_url

from . import selectors, services
from .forms import StepForm
from .models import TechnicianProfile

WORK_ORDERS = Capability.WORK_ORDERS
FEED_PAST_DAYS = 14
FEED_FUTURE_DAYS = 60


def _day_range(tenant, day: datetime.date, days: int = 1):
    start = datetime.datetime.combine(day, datetime.time(), tenant.zone)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=days), datetime.time(), tenant.zone
    )
    return start, end


def _visits(request, profile, start, end, *, with_steps: bool) -> list:
    tenant = request.tenant
    visits = selectors.technician_appointments(tenant=tenant, profile=profile, start=start, end=end)
    order_ids = {v.order_id for v in visits}
    objects = selectors.orders_objects(tenant=tenant, order_ids=order_ids)
    tasks = selectors.orders_tasks(tenant=tenant, order_ids=order_ids)
    for visit in visits:
        visit.local_start = timezone.localtime(visit.start, tenant.zone)
        visit.local_end = timezone.localtime(visit.end, tenant.zone)
        visit.objects = objects.get(visit.order_id, [])
        visit.tasks = tasks.get(visit.order_id, [])
        visit.is_mine = visit.order.assigned_technician_id == request.user.pk
    if with_steps:
        # The one-tap next steps, read once per stage the day's orders are at (two queries
        # each); a step that needs a reason is taken on the order's page.
        steps: dict[tuple, list] = {}
        for visit in visits:
            key = (visit.order.stage_id, visit.order.state)
            if key not in steps:
                steps[key] = [
                    stage
                    for stage in next_stages_of(
                        tenant=tenant, stage=visit.order.stage, state=visit.order.state
                    )
                    if not stage.requires_reason and not stage.is_back
                ]
            visit.next_stages = steps[key]
    return visits


def _profile_or_none(request):
    return selectors.profile_for_user(tenant=request.tenant, user=request.user)


@capability_required(WORK_ORDERS)
def my_day(request):
    tenant = request.tenant
    profile = _profile_or_none(request)
    day = tenant.today()
    raw = request.GET.get("date", "")
    if raw:
        with contextlib.suppress(ValueError):
            day = datetime.date.fromisoformat(raw)
    visits = []
    if profile is not None:
        start, end = _day_range(tenant, day)
        visits = _visits(request, profile, start, end, with_steps=True)
    return render(
        request,
        "dispatch/my_day.html",
        {
            "profile": profile,
            "day": day,
            "is_today": day == tenant.today(),
            "visits": visits,
            "local_now": tenant.now(),
            "prev_day": (day - datetime.timedelta(days=1)).isoformat(),
            "next_day": (day + datetime.timedelta(days=1)).isoformat(),
        },
    )


@capability_required(WORK_ORDERS)
def my_week(request):
    tenant = request.tenant
    profile = _profile_or_none(request)
    today = tenant.today()
    monday = today - datetime.timedelta(days=today.weekday())
    raw = request.GET.get("date", "")
    if raw:
        try:
            chosen = datetime.date.fromisoformat(raw)
            monday = chosen - datetime.timedelta(days=chosen.weekday())
        except ValueError:
            pass
    days = [{"day": monday + datetime.timedelta(days=n), "visits": []} for n in range(7)]
    if profile is not None:
        start, end = _day_range(tenant, monday, 7)
        for visit in _visits(request, profile, start, end, with_steps=False):
            index = (visit.local_start.date() - monday).days
            if 0 <= index < 7:
                days[index]["visits"].append(visit)
    return render(
        request,
        "dispatch/my_week.html",
        {
            "profile": profile,
            "days": days,
            "today": today,
            "prev_week": (monday - datetime.timedelta(days=7)).isoformat(),
            "next_week": (monday + datetime.timedelta(days=7)).isoformat(),
        },
    )


@tenant_required
def my_step(request, pk: int):
    """A one-tap stage step of a visit's order, from the day: once per tap; a lost race (the
    order moved on meanwhile) answers 409 with the day as it is now. The visit is looked up
    before the capability is checked: anyone else's visit is a 404 whoever asks."""
    tenant = request.tenant
    profile = _profile_or_none(request)
    if profile is None:
        raise Http404
    try:
        visit = selectors.appointment_get(tenant=tenant, pk=pk)
    except selectors.Appointment.DoesNotExist as exc:
        raise Http404 from exc
    if visit.technician_id != profile.pk or visit.status != "dispatched":
        raise Http404
    if not request_can(request, WORK_ORDERS):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the next steps."))
        return redirect("dispatch:my_day")
    back = f"{reverse('dispatch:my_day')}#visit-{visit.pk}"

    def move() -> str:
        moved = order_stage_move(
            tenant=tenant,
            order_id=visit.order_id,
            to_stage_id=form.cleaned_data["to_stage"],
            by=request.user,
        )
        messages.success(
            request,
            _("Order %(number)s: %(stage)s.") % {"number": moved.number, "stage": moved.stage},
        )
        return back

    try:
        url = create_once_url(request, form, move)
    except OrderStage.DoesNotExist as exc:
        raise Http404 from exc
    except OrderTransitionRefused as exc:
        start, end = _day_range(tenant, tenant.today())
        return render(
            request,
            "dispatch/my_day.html",
            {
                "profile": profile,
                "day": tenant.today(),
                "is_today": True,
                "visits": _visits(request, profile, start, end, with_steps=True),
                "local_now": tenant.now(),
                "refusal": exc.message,
                "prev_day": (tenant.today() - datetime.timedelta(days=1)).isoformat(),
                "next_day": (tenant.today() + datetime.timedelta(days=1)).isoformat(),
            },
            status=409,
        )
    if url:
        return redirect(url)
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect(back)


my_step.required_capability = WORK_ORDERS


# --- The calendar feed -------------------------------------------------------------------------


def feed_url(request, profile: TechnicianProfile) -> str:
    return request.build_absolute_uri(
        reverse("dispatch:feed", args=[profile.tenant_id, profile.feed_token])
    )


@capability_required(WORK_ORDERS)
def my_calendar(request):
    profile = _profile_or_none(request)
    return render(
        request,
        "dispatch/my_calendar.html",
        {"profile": profile, "feed_url": feed_url(request, profile) if profile else ""},
    )


@capability_required(WORK_ORDERS)
def my_calendar_reset(request):
    profile = _profile_or_none(request)
    if profile is None:
        raise Http404
    form = confirmation_form(request)
    if not form.is_valid():
        return confirmation_response(
            request,
            Confirmation(
                title=_("Replace your calendar link?"),
                consequence=_(
                    "The current link stops working at once: calendars subscribed to it must "
                    "subscribe to the new one."
                ),
                button=_("Replace the link"),
                cancel_url=reverse("dispatch:my_calendar"),
                form=form,
            ),
        )
    services.profile_feed_reset(tenant=request.tenant, by=request.user, profile_id=profile.pk)
    messages.success(request, _("Your calendar has a new link; the old one no longer works."))
    return confirmed_redirect(request, reverse("dispatch:my_calendar"))


def feed(request, tenant: int, token: str):
    """The technician's dispatched visits, two weeks back to two months ahead, as iCal. No
    sign-in: the secret in the address is the key; a wrong or replaced one is a 404."""
    found = Tenant.objects.filter(pk=tenant, is_active=True).first()
    if found is None or len(token) < 20:
        raise Http404
    with tenant_scope(found):
        try:
            profile = selectors.profile_by_feed_token(tenant=found, token=token)
        except TechnicianProfile.DoesNotExist as exc:
            raise Http404 from exc
        now = timezone.now()
        visits = selectors.technician_appointments(
            tenant=found,
            profile=profile,
            start=now - datetime.timedelta(days=FEED_PAST_DAYS),
            end=now + datetime.timedelta(days=FEED_FUTURE_DAYS),
        )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Fieldline//Dispatch//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{found.name} · {profile}")
    host = request.get_host()
    for visit in visits:
        order = visit.order
        event = icalendar.Event()
        event.add("uid", f"appointment-{visit.pk}@{host}")
        event.add("dtstamp", visit.changed_at)
        event.add("dtstart", visit.start)
        event.add("dtend", visit.end)
        event.add("summary", f"{order.number} · {order.customer.name}")
        event.add("description", order.description)
        if order.service_address:
            event.add("location", order.service_address)
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
