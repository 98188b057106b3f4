"""The dispatch board, its planning actions and the change check.

The board is one page: technicians by team in rows, hours of a day or days of a week in columns,
the queue of unplanned orders beside it, and a planning form for the selected card. Every action
is a plain form POST (the keyboard and no-JavaScript path) that the board's script also sends
when a card is dropped; the answer is the board as it is now: a redirect after a change, the
form with its messages (400), the warnings to confirm (200), or the refusal (409) when someone
else changed the same place first.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tenancy.roles import Role
from web.forms import attach_errors
from web.lookups import get_or_404
from web.permissions import capability_required

from . import selectors, services
from .capabilities import DISPATCH
from .forms import BoardFilterForm, PlanForm

DAY_FIRST_HOUR = 6
DAY_LAST_HOUR = 22  # exclusive
FILTER_KEYS = ("view", "date", "team", "skill", "done")


@dataclass
class Board:
    view: str
    day: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    team_ids: list[int]
    skill: str
    done: bool
    query: str  # the filters as a query string (kept by every link and form)
    teams: list  # every team of the tenant (the filter's choices)

    @property
    def days(self) -> list[datetime.date]:
        count = 1 if self.view == "day" else 7
        return [self.day + datetime.timedelta(days=n) for n in range(count)]


def _board_params(request, data) -> Board:
    tenant = request.tenant
    teams = list(selectors.team_choices(tenant=tenant))
    form = BoardFilterForm(data, teams=teams)
    clean = form.cleaned_data if form.is_valid() else {}
    view = clean.get("view") or "day"
    day = clean.get("date") or tenant.today()
    if view == "week":
        day -= datetime.timedelta(days=day.weekday())
    start = datetime.datetime.combine(day, datetime.time(), tenant.zone)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=1 if view == "day" else 7), datetime.time(), tenant.zone
    )
    query = {"view": view, "date": day.isoformat()}
    if clean.get("team"):
        query["team"] = clean["team"]
    if clean.get("skill"):
        query["skill"] = clean["skill"]
    if clean.get("done"):
        query["done"] = "1"
    return Board(
        view=view,
        day=day,
        start=start,
        end=end,
        team_ids=clean.get("team") or [],
        skill=clean.get("skill", ""),
        done=bool(clean.get("done")),
        query=urlencode(query, doseq=True),
        teams=teams,
    )


def _allowed_teams(request, teams=None):
    """The teams the user plans (None: all); from the board's team list when given."""
    if teams is not None:
        if request.membership.role != Role.DISPATCHER:
            return None
        return [t.pk for t in teams if t.owner_id in (None, request.user.pk)]
    return services.dispatchable_team_ids(
        tenant=request.tenant, user=request.user, role=request.membership.role
    )


def _sla_state(due, status, now: datetime.datetime) -> tuple[str | None, str]:
    """(on_track / at_risk / breached / met / None, the time left as text) of an SLA clock."""
    if status is None:
        return None, ""
    if status == "breached" or (due is not None and due <= now):
        state = "breached"
    elif status == "at_risk":
        state = "at_risk"
    elif status == "met":
        state = "met"
    else:
        state = "on_track"
    if due is None:
        return state, ""
    left = due - now
    minutes = int(abs(left.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return state, text if left.total_seconds() >= 0 else f"−{text}"


def _sla_badge(item, now: datetime.datetime) -> None:
    """Attach ``sla_state`` (on_track / at_risk / breached / None) and ``sla_left`` (text)."""
    item.sla_state, item.sla_left = _sla_state(
        getattr(item, "sla_due", None), getattr(item, "sla_status", None), now
    )


def _badge_labels() -> dict:
    return {
        "breached": _("SLA breached"),
        "at_risk": _("At risk"),
        "on_track": _("On track"),
        "draft": _("draft"),
    }


BADGE_CLASSES = {"breached": "text-bg-danger", "at_risk": "text-bg-warning"}


def _sla_html(state: str | None, left: str, labels: dict) -> str:
    """The SLA badge (as dispatch/_sla_badge.html renders it for the queue); ``labels``
    already escaped."""
    if state not in ("breached", "at_risk", "on_track"):
        return ""
    if left:
        left = f" {left}" if state == "breached" else f" · {left}"
    return (
        f'<span class="badge {BADGE_CLASSES.get(state, "text-bg-success")}" '
        f'data-testid="sla-badge" data-sla="{state}">{labels[state]}{escape(left)}</span>'
    )


def _board_cards(board: "Board", rows, selected_pk, zone, now: datetime.datetime) -> dict:
    """The visits' cards on the board, by (technician id, local day; None in the day view):
    each the HTML of its ``<a>``, in start order.

    Rendered here rather than by a template: a week shows thousands of cards, and a template
    (even an include-free loop) costs more than the rest of the page. Every value is escaped
    once per distinct value (customers, times and labels repeat), the rows are plain tuples."""
    labels = {key: escape(value) for key, value in _badge_labels().items()}
    draft = (
        '<span class="badge text-bg-light border" data-testid="visit-planned">'
        f"{labels['draft']}</span>"
    )
    query = escape(board.query)
    day_view = board.view == "day"
    first = datetime.datetime.combine(board.day, datetime.time(DAY_FIRST_HOUR), zone)
    span = (DAY_LAST_HOUR - DAY_FIRST_HOUR) * 3600
    local: dict = {}  # UTC moment -> (local "HH:MM", local day)
    text: dict = {}  # raw text -> escaped
    cards: dict = {}
    for pk, technician_id, start, end, status, number, priority, customer, due, sla in rows:
        if start not in local:
            moment = start.astimezone(zone)
            local[start] = (moment.strftime("%H:%M"), moment.date())
        if end not in local:
            moment = end.astimezone(zone)
            local[end] = (moment.strftime("%H:%M"), moment.date())
        start_text, day = local[start]
        end_text = local[end][0]
        for value in (number, customer, priority):
            if value not in text:
                text[value] = escape(value)
        number_html, customer_html = text[number], text[customer]
        classes = f"fl-dcard fl-visit fl-prio-{text[priority]}"
        if status == "planned":
            classes += " is-planned"
        if pk == selected_pk:
            classes += " is-selected"
        style = ""
        if day_view:
            left = max(0.0, (start - first).total_seconds() / span)
            right = min(1.0, (end - first).total_seconds() / span)
            left_percent = round(left * 100, 3)
            width_percent = round(max(right - left, 0.02) * 100, 3)
            style = f' style="left: {left_percent:.3f}%; width: {width_percent:.3f}%;"'
        minutes = int((end - start).total_seconds() // 60)
        state, left_text = _sla_state(due, sla, now)
        html = (
            f'<a class="{classes}" href="?{query}&amp;sel=a{pk}" draggable="true" '
            f'data-appointment="{pk}" data-minutes="{minutes}" data-testid="visit" '
            f'data-number="{number_html}"{style} '
            f'title="{number_html} · {customer_html} · {start_text}–{end_text}">'
            '<span class="d-flex justify-content-between gap-1"><strong class="fl-dcard-text" '
            f'title="{start_text} {number_html}">{start_text} {number_html}</strong>'
            f"{draft if status == 'planned' else ''}</span>"
            f'<span class="d-block fl-dcard-text small" title="{customer_html}">{customer_html}'
            f"</span>{_sla_html(state, left_text, labels)}</a>"
        )
        cards.setdefault((technician_id, None if day_view else day), []).append(html)
    return cards


def _week_cells_html(technician_pk: int, days: list, cards: dict) -> str:
    """A technician's row of day cells in the week view, as one string."""
    return mark_safe(  # noqa: S308 - every value escaped in _board_cards / _day_heads
        "".join(
            f'<td class="fl-drop fl-board-daycell" data-label="{label}" '
            f'data-technician="{technician_pk}" data-date="{iso}" data-time="" '
            f'data-testid="slot-{technician_pk}-{iso}">'
            f"{''.join(cards.get((technician_pk, day), ()))}</td>"
            for day, label, iso in days
        )
    )


def _day_heads(board: "Board") -> list[tuple]:
    """(day, its label "D j.n" escaped, its ISO date), formatted once per page."""
    return [(day, escape(date_format(day, "D j.n")), day.isoformat()) for day in board.days]


def _hours(board: Board) -> list[dict]:
    return [
        {"hour": h, "label": f"{h:02d}:00", "start": f"{h:02d}:00"}
        for h in range(DAY_FIRST_HOUR, DAY_LAST_HOUR)
    ]


def _selection(request, tenant, technicians, sel: str):
    """The selected card: ("order", order) or ("appointment", appointment) or (None, None)."""
    if not sel or len(sel) < 2 or not sel[1:].isdigit():
        return None, None
    pk = int(sel[1:])
    try:
        if sel[0] == "o":
            return "order", selectors.order_for_planning(tenant=tenant, pk=pk)
        if sel[0] == "a":
            return "appointment", selectors.appointment_get(tenant=tenant, pk=pk)
    except (selectors.Appointment.DoesNotExist, selectors.ServiceOrder.DoesNotExist):
        return None, None
    return None, None


def _board_page(request, board: Board, *, status=200, form=None, sel="", **extra):
    tenant = request.tenant
    allowed = _allowed_teams(request, board.teams)
    technicians = selectors.board_technicians(
        tenant=tenant, team_ids=board.team_ids, skill=board.skill, allowed_team_ids=allowed
    )
    appointments = selectors.board_appointments(
        tenant=tenant,
        start=board.start,
        end=board.end,
        technician_ids=[t.pk for t in technicians],
        include_completed=board.done,
    )
    queue = selectors.queue(tenant=tenant)
    now = timezone.now()
    for order in queue:
        _sla_badge(order, now)
    sel = sel or request.GET.get("sel", "")
    kind, selected = _selection(request, tenant, technicians, sel)
    selected_visit = selected.pk if kind == "appointment" else None
    cards = _board_cards(board, appointments, selected_visit, tenant.zone, now)
    days = _day_heads(board)
    no_team = _("No team")
    groups: list[dict] = []
    for technician in technicians:
        team = technician.team.name if technician.team_id else no_team
        if not groups or groups[-1]["team"] != team:
            groups.append({"team": team, "rows": []})
        row = {"technician": technician}
        if board.view == "day":
            row["cards_html"] = mark_safe(  # noqa: S308 - escaped in _board_cards
                "".join(cards.get((technician.pk, None), ()))
            )
        else:
            row["cells_html"] = _week_cells_html(technician.pk, days, cards)
        groups[-1]["rows"].append(row)
    version, undo_change = selectors.board_version_and_undo(tenant=tenant, by=request.user)
    if form is None and selected is not None:
        initial = {"version": version}
        if kind == "order":
            initial.update(order=selected.pk, date=board.day)
        else:
            local = timezone.localtime(selected.start, tenant.zone)
            initial.update(
                appointment=selected.pk,
                technician=selected.technician_id,
                date=local.date(),
                time=local.time().replace(second=0, microsecond=0),
                minutes=selected.minutes,
            )
        form = PlanForm(initial=initial, technicians=technicians)
    elif form is not None:
        form.fields["technician"].choices = [("", "—")] + [(t.pk, str(t)) for t in technicians]
    plan_appointment_id = None
    if form is not None:
        plan_appointment_id = (
            _int(form.data.get("appointment")) if form.is_bound else form.initial.get("appointment")
        )
    step = datetime.timedelta(days=1 if board.view == "day" else 7)
    filters = BoardFilterForm(
        initial={
            "view": board.view,
            "date": board.day,
            "team": board.team_ids,
            "skill": board.skill,
            "done": board.done,
        },
        teams=board.teams,
    )
    context = {
        "board": board,
        "groups": groups,
        "hours": _hours(board),
        "queue": queue,
        "queue_limited": len(queue) >= selectors.QUEUE_LIMIT,
        "version": version,
        "filters": filters,
        "selected_kind": kind,
        "selected": selected,
        "sel": sel,
        "form": form,
        "plan_appointment_id": plan_appointment_id,
        "prev_url": _board_url(board, date=board.day - step),
        "next_url": _board_url(board, date=board.day + step),
        "today_url": _board_url(board, date=request.tenant.today()),
        "day_url": _board_url(board, view="day"),
        "week_url": _board_url(board, view="week"),
        "technician_count": len(technicians),
        "undo_change": undo_change,
        "warnings": [],
        "needs_reason": False,
        "refusal": "",
        **extra,
    }
    return render(request, "dispatch/board.html", context, status=status)


def _board_url(board: Board, **changes) -> str:
    from urllib.parse import parse_qs

    query = parse_qs(board.query)
    for key, value in changes.items():
        query[key] = [value.isoformat() if hasattr(value, "isoformat") else value]
    return f"{reverse('dispatch:board')}?{urlencode(query, doseq=True)}"


@capability_required(DISPATCH)
def board(request):
    return _board_page(request, _board_params(request, request.GET))


@capability_required(DISPATCH)
def changes(request):
    """The cheap poll: has anything changed in the visible range since version N?"""
    try:
        since = int(request.GET.get("since", ""))
        start = datetime.datetime.fromisoformat(request.GET["start"])
        end = datetime.datetime.fromisoformat(request.GET["end"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "since, start and end are required"}, status=400)
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return JsonResponse({"error": "start and end need a time zone"}, status=400)
    check = selectors.changes_since(tenant=request.tenant, since=since, start=start, end=end)
    return JsonResponse({"version": check.version, "changed": check.changed})


def _moment(
    request, form: PlanForm, minutes_default
) -> tuple[datetime.datetime, datetime.datetime]:
    tenant = request.tenant
    data = form.cleaned_data
    minutes = data.get("minutes") or minutes_default()
    if data.get("time") is not None:
        start = datetime.datetime.combine(data["date"], data["time"], tenant.zone)
    else:
        start = services.first_free_start(
            tenant=tenant, technician_id=data["technician"], day=data["date"], minutes=minutes
        )
    return start, start + datetime.timedelta(minutes=minutes)


def _shown(request) -> dict:
    """The board's own filters from a planning POST (its day travels as ``shown``: ``date``
    is the planned day)."""
    data = {key: request.POST.getlist(key) for key in ("view", "team", "skill", "done")}
    data["date"] = request.POST.getlist("shown")
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query


def _plan(request, action: str, appointment_pk: int | None = None):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenant = request.tenant
    board = _board_params(request, _shown(request))
    allowed = _allowed_teams(request, board.teams)
    technicians = selectors.board_technicians(tenant=tenant, allowed_team_ids=allowed)
    form = PlanForm(request.POST, technicians=technicians)
    data = {}
    if action in ("assign", "move"):
        if appointment_pk is not None:
            form.data = form.data.copy()
            form.data["appointment"] = str(appointment_pk)
        valid = form.is_valid()
        data = form.cleaned_data if valid else {}
    else:
        valid = True
    sel = request.POST.get("sel", "")
    if not valid:
        return _board_page(request, board, status=400, form=form, sel=sel)
    version = _int(request.POST.get("version"))
    common = {"tenant": tenant, "by": request.user, "allowed_team_ids": allowed}
    try:
        if action in ("assign", "move"):
            if data.get("appointment"):
                current = selectors.appointment_get(tenant=tenant, pk=data["appointment"])
                start, end = _moment(request, form, lambda: current.minutes)
                services.appointment_move(
                    **common,
                    appointment_id=data["appointment"],
                    technician_id=data["technician"],
                    start=start,
                    end=end,
                    seen_version=version,
                    confirmed=data.get("confirmed", False),
                    reason=data.get("reason", ""),
                )
                messages.success(request, _("Visit moved."))
            else:
                start, end = _moment(
                    request,
                    form,
                    lambda: selectors.order_default_minutes(tenant=tenant, order_id=data["order"]),
                )
                services.appointment_assign(
                    **common,
                    order_id=data["order"],
                    technician_id=data["technician"],
                    start=start,
                    end=end,
                    seen_version=version,
                    confirmed=data.get("confirmed", False),
                    reason=data.get("reason", ""),
                )
                messages.success(request, _("Order planned."))
        elif action == "unassign":
            services.appointment_unassign(
                **common, appointment_id=appointment_pk, seen_version=version
            )
            messages.success(request, _("Visit removed; the order is back in the queue."))
        elif action == "dispatch":
            services.appointment_dispatch(
                **common, appointment_id=appointment_pk, seen_version=version
            )
            messages.success(request, _("Visit sent to the technician."))
        elif action == "undo":
            services.board_undo(tenant=tenant, by=request.user)
            messages.success(request, _("Your last change was undone."))
    except selectors.Appointment.DoesNotExist:
        return _board_page(
            request,
            board,
            status=409,
            refusal=_("This visit is no longer on the board: someone removed it."),
        )
    except ValidationError as exc:
        attach_errors(form, exc)
        return _board_page(request, board, status=400, form=form, sel=sel)
    except services.NeedsConfirmation as question:
        form = PlanForm(request.POST, technicians=technicians)
        form.is_valid()
        return _board_page(
            request,
            board,
            form=form,
            sel=sel,
            warnings=question.warnings,
            needs_reason=question.needs_reason,
        )
    except services.DispatchRefused as refusal:
        return _board_page(request, board, status=409, refusal=refusal.message)
    return redirect(f"{reverse('dispatch:board')}?{board.query}")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@capability_required(DISPATCH)
def assign(request):
    return _plan(request, "assign")


def _visit_action(action: str):
    """A view on one visit: another tenant's (or a missing) visit is a 404 first."""

    @capability_required(DISPATCH)
    def view(request, pk: int):
        appointment = get_or_404(selectors.appointment_get, tenant=request.tenant, pk=pk)
        return _plan(request, action, appointment.pk)

    view.__name__ = action
    return view


move = _visit_action("move")
unassign = _visit_action("unassign")
dispatch = _visit_action("dispatch")


@capability_required(DISPATCH)
def undo(request):
    return _plan(request, "undo")
