"""Every read of dispatch. Each takes the tenant; the board's reads are bounded by the visible
range and run a fixed number of queries whatever the number of technicians and appointments."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from service_orders.models import (
    OrderClock,
    OrderState,
    ServiceOrder,
    ServiceOrderObject,
    ServiceOrderTask,
)
from service_orders.selectors import PRIORITY_RANK, technician_choices
from tenancy.models import Tenant

from .models import (
    Absence,
    Appointment,
    AppointmentStatus,
    BoardChange,
    BoardVersion,
    Team,
    TechnicianProfile,
)

QUEUE_LIMIT = 100
# Orders the queue offers: open and not started. An order at work already has its people.
QUEUE_STATES = (OrderState.NEW, OrderState.SCHEDULED, OrderState.ON_HOLD)
OPEN_FOR_PLANNING = (
    OrderState.NEW,
    OrderState.SCHEDULED,
    OrderState.IN_PROGRESS,
    OrderState.ON_HOLD,
)
DONE_STATES = (OrderState.COMPLETED, OrderState.POSTED)


# --- Teams, profiles, absences -----------------------------------------------------------------


def team_list(*, tenant: Tenant) -> QuerySet:
    from django.db.models import Count

    return (
        Team.objects.for_tenant(tenant)
        .select_related("owner")
        .annotate(member_count=Count("members"))
        .order_by("name", "id")
    )


def team_get(*, tenant: Tenant, pk: int) -> Team:
    return Team.objects.select_related("owner").get(tenant=tenant, pk=pk)


def team_choices(*, tenant: Tenant) -> QuerySet:
    return Team.objects.for_tenant(tenant).order_by("name", "id")


def profile_list(*, tenant: Tenant) -> QuerySet:
    return TechnicianProfile.objects.for_tenant(tenant).select_related("user", "team", "calendar")


def profile_get(*, tenant: Tenant, pk: int) -> TechnicianProfile:
    return TechnicianProfile.objects.select_related("user", "team", "calendar").get(
        tenant=tenant, pk=pk
    )


def profile_for_user(*, tenant: Tenant, user) -> TechnicianProfile | None:
    return (
        TechnicianProfile.objects.for_tenant(tenant)
        .select_related("user", "calendar")
        .filter(user=user)
        .first()
    )


def profile_by_feed_token(*, tenant: Tenant, token: str) -> TechnicianProfile:
    return TechnicianProfile.objects.select_related("user").get(tenant=tenant, feed_token=token)


def technicians_without_profile(*, tenant: Tenant) -> QuerySet:
    """The tenant's technicians (logins that work orders) who have no profile yet."""
    has = TechnicianProfile.objects.filter(tenant=tenant, user=OuterRef("pk"))
    return technician_choices(tenant=tenant).exclude(Exists(has))


def technician_users(*, tenant: Tenant) -> QuerySet:
    return technician_choices(tenant=tenant)


def absence_list(*, tenant: Tenant) -> QuerySet:
    return Absence.objects.for_tenant(tenant).select_related("technician__user")


def absence_get(*, tenant: Tenant, pk: int) -> Absence:
    return Absence.objects.select_related("technician__user").get(tenant=tenant, pk=pk)


def absences_between(
    *, tenant: Tenant, technician_ids, start: datetime.date, end: datetime.date
) -> list[Absence]:
    """Absences touching [start, end] (dates, inclusive) of these technicians."""
    return list(
        Absence.objects.for_tenant(tenant).filter(
            technician_id__in=list(technician_ids), start_date__lte=end, end_date__gte=start
        )
    )


# --- The board ---------------------------------------------------------------------------------


def _clock(field: str) -> Subquery:
    return Subquery(
        OrderClock.objects.filter(tenant=OuterRef("tenant"), order=OuterRef("pk")).values(field)[:1]
    )


def _appointment_clock(field: str) -> Subquery:
    return Subquery(
        OrderClock.objects.filter(tenant=OuterRef("tenant"), order=OuterRef("order_id")).values(
            field
        )[:1]
    )


def board_technicians(
    *, tenant: Tenant, team_ids=None, skill: str = "", allowed_team_ids=None
) -> list[TechnicianProfile]:
    """Technicians with a profile whose login still works orders, by team then name (one
    query). ``allowed_team_ids``: only these teams (None: every team; a dispatcher's own)."""
    qs = (
        TechnicianProfile.objects.for_tenant(tenant)
        .filter(user__in=technician_choices(tenant=tenant))
        .select_related("user", "team")
    )
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if allowed_team_ids is not None:
        qs = qs.filter(Q(team_id__in=allowed_team_ids) | Q(team__isnull=True))
    if skill:
        qs = qs.filter(skills__contains=[skill.strip().lower()])
    return list(
        qs.order_by(
            F("team__name").asc(nulls_last=True), "user__first_name", "user__last_name", "id"
        )
    )


BOARD_VISIT_FIELDS = (
    "id",
    "technician_id",
    "start",
    "end",
    "status",
    "order__number",
    "order__priority",
    "order__customer__name",
    "sla_due",
    "sla_status",
)


def board_appointments(
    *,
    tenant: Tenant,
    start: datetime.datetime,
    end: datetime.datetime,
    technician_ids,
    include_completed: bool = False,
) -> list[tuple]:
    """The appointments of these technicians that touch [start, end), as plain rows in the
    order of ``BOARD_VISIT_FIELDS`` (the visit, its order's number and priority, the customer's
    name and the SLA clock's due time and status), in one query. Rows, not model instances: a
    week shows thousands and the board only prints them."""
    qs = (
        Appointment.objects.for_tenant(tenant)
        .filter(technician_id__in=list(technician_ids), start__lt=end, end__gt=start)
        .exclude(order__state=OrderState.CANCELLED)
        .annotate(sla_due=_appointment_clock("resolution_due"))
        .annotate(sla_status=_appointment_clock("status"))
        .order_by("start", "id")
    )
    if not include_completed:
        qs = qs.exclude(order__state__in=DONE_STATES)
    return list(qs.values_list(*BOARD_VISIT_FIELDS))


def queue(*, tenant: Tenant, limit: int = QUEUE_LIMIT) -> list[ServiceOrder]:
    """Open orders without an appointment, ranked by SLA time left (the clock's resolution due:
    the soonest first, paused clocks and orders without an SLA after), then priority, then
    preferred date (one query)."""
    planned = Appointment.objects.filter(tenant=OuterRef("tenant"), order=OuterRef("pk"))
    return list(
        ServiceOrder.objects.for_tenant(tenant)
        .filter(state__in=QUEUE_STATES)
        .exclude(Exists(planned))
        .select_related("customer", "site", "stage")
        .annotate(sla_due=_clock("resolution_due"), sla_status=_clock("status"))
        .annotate(priority_rank=PRIORITY_RANK)
        .order_by(
            F("sla_due").asc(nulls_last=True),
            "priority_rank",
            F("preferred_date").asc(nulls_last=True),
            "number",
        )[:limit]
    )


def board_version(*, tenant: Tenant) -> int:
    found = BoardVersion.objects.for_tenant(tenant).values_list("version", flat=True).first()
    return found or 0


def board_version_and_undo(*, tenant: Tenant, by) -> tuple[int, int | None]:
    """The board's version and the id of ``by``'s last change that undo would take back (None
    without one), in one query."""
    last = (
        BoardChange.objects.filter(tenant=OuterRef("tenant"), by=by, undone=False)
        .exclude(kind="undo")
        .order_by("-version")
        .values("pk")[:1]
    )
    found = (
        BoardVersion.objects.for_tenant(tenant)
        .annotate(last_mine=Subquery(last))
        .values_list("version", "last_mine")
        .first()
    )
    return found if found else (0, None)


@dataclass(frozen=True)
class ChangeCheck:
    version: int
    changed: bool


def changes_since(
    *, tenant: Tenant, since: int, start: datetime.datetime, end: datetime.datetime
) -> ChangeCheck:
    """Has the board changed in [start, end) since version ``since``? One query on the
    tenant's version row when nothing changed at all, a second one (indexed) otherwise."""
    version = board_version(tenant=tenant)
    if version <= since:
        return ChangeCheck(version, False)
    changed = (
        BoardChange.objects.for_tenant(tenant)
        .filter(version__gt=since, touched_start__lt=end, touched_end__gt=start)
        .exists()
    )
    return ChangeCheck(version, changed)


def appointment_get(*, tenant: Tenant, pk: int) -> Appointment:
    return Appointment.objects.select_related(
        "order", "order__customer", "order__site", "technician__user"
    ).get(tenant=tenant, pk=pk)


def order_for_planning(*, tenant: Tenant, pk: int) -> ServiceOrder:
    return ServiceOrder.objects.select_related("customer", "site", "stage").get(
        tenant=tenant, pk=pk
    )


def order_appointments(*, tenant: Tenant, order_id: int) -> list[Appointment]:
    return list(
        Appointment.objects.for_tenant(tenant)
        .filter(order_id=order_id)
        .select_related("technician__user")
        .order_by("start", "id")
    )


def order_required_skills(*, tenant: Tenant, order_id: int) -> set[str]:
    """The skills the order's service tasks require (lower case)."""
    return {
        skill.strip().lower()
        for skill in ServiceOrderTask.objects.for_tenant(tenant)
        .filter(order_id=order_id)
        .exclude(task__required_skill="")
        .values_list("task__required_skill", flat=True)
    }


def order_default_minutes(*, tenant: Tenant, order_id: int) -> int:
    """How long a visit of the order takes by default: its tasks' durations (at least half an
    hour), one hour without tasks."""
    total = (
        ServiceOrderTask.objects.for_tenant(tenant)
        .filter(order_id=order_id)
        .aggregate(total=Sum("task__default_duration_minutes"))["total"]
    )
    return max(int(total or 60), 30)


def last_undoable_change(*, tenant: Tenant, by) -> BoardChange | None:
    return (
        BoardChange.objects.for_tenant(tenant)
        .filter(by=by, undone=False)
        .exclude(kind="undo")
        .order_by("-version")
        .first()
    )


# --- The technician's day ----------------------------------------------------------------------


def technician_appointments(
    *, tenant: Tenant, profile: TechnicianProfile, start: datetime.datetime, end: datetime.datetime
) -> list[Appointment]:
    """The technician's dispatched appointments touching [start, end), with what the day view
    shows (order, customer, site, stage, contact, SLA due), by start (one query)."""
    return list(
        Appointment.objects.for_tenant(tenant)
        .filter(
            technician=profile,
            status=AppointmentStatus.DISPATCHED,
            start__lt=end,
            end__gt=start,
        )
        .exclude(order__state=OrderState.CANCELLED)
        .select_related("order", "order__customer", "order__site", "order__stage", "order__contact")
        .annotate(sla_due=_appointment_clock("resolution_due"))
        .order_by("start", "id")
    )


def orders_objects(*, tenant: Tenant, order_ids) -> dict[int, list]:
    result: dict[int, list] = {}
    for link in (
        ServiceOrderObject.objects.for_tenant(tenant)
        .filter(order_id__in=list(order_ids))
        .select_related("service_object")
        .order_by("order_id", "id")
    ):
        result.setdefault(link.order_id, []).append(link.service_object)
    return result


def orders_tasks(*, tenant: Tenant, order_ids) -> dict[int, list]:
    result: dict[int, list] = {}
    for link in (
        ServiceOrderTask.objects.for_tenant(tenant)
        .filter(order_id__in=list(order_ids))
        .select_related("task")
        .order_by("order_id", "id")
    ):
        result.setdefault(link.order_id, []).append(link.task)
    return result


def now() -> datetime.datetime:
    return timezone.now()
