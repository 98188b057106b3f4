"""Every write of dispatch.

Planning (``appointment_assign``, ``appointment_move``, ``appointment_unassign``,
``appointment_dispatch``, ``board_undo``) locks the tenant's board version row first: changes of
one tenant's board are serialised, each gets the next version number and a ``BoardChange`` (its
before and after), and a change made on an older view of the same technician or order is refused
(``BoardStale``). The exclusion constraint is the last word on overlaps: a slot taken in
between ends in ``DispatchRefused`` (the view answers 409), never in a double booking.

Warnings (missing skill, absence, closed day or outside working hours, more orders than the
technician's daily maximum) are returned by ``NeedsConfirmation`` until the dispatcher
confirms; a slot outside the order's allowed window also needs a reason.
"""

import datetime
from contextlib import suppress
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from service_orders.models import OrderState, ServiceOrder
from service_orders.selectors import order_next_stages
from service_orders.services.orders import order_assign
from service_orders.services.stages import OrderTransitionRefused, order_stage_move
from sla.selectors import calendar_default, clock_calendar
from tenancy.models import Tenant, User
from tenancy.roles import Role
from tenancy.services import audit_changes, audit_record, audit_snapshot

from . import selectors
from .models import (
    Absence,
    Appointment,
    AppointmentStatus,
    BoardChange,
    BoardVersion,
    ChangeKind,
    Team,
    TechnicianProfile,
    new_feed_token,
)

MAX_APPOINTMENT = datetime.timedelta(hours=24)


class DispatchRefused(Exception):
    """The change does not apply to the board as it is now (the slot was taken, the
    appointment or order changed): the view answers 409 with the board re-rendered."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BoardStale(DispatchRefused):
    pass


@dataclass
class NeedsConfirmation(Exception):  # noqa: N818 - a question, not an error
    """Warnings the dispatcher must confirm; ``needs_reason``: the slot is outside the order's
    allowed window and a reason is required."""

    warnings: list[str] = field(default_factory=list)
    needs_reason: bool = False


# --- The board version and the change log ------------------------------------------------------


def _lock_version(tenant: Tenant) -> BoardVersion:
    BoardVersion.objects.bulk_create([BoardVersion(tenant=tenant)], ignore_conflicts=True)
    return BoardVersion.objects.for_tenant(tenant).select_for_update().get()


def _snapshot(appointment: Appointment | None) -> dict:
    if appointment is None:
        return {}
    return {
        "id": appointment.pk,
        "technician": appointment.technician_id,
        "start": appointment.start.astimezone(datetime.UTC).isoformat(),
        "end": appointment.end.astimezone(datetime.UTC).isoformat(),
        "status": appointment.status,
        "window_reason": appointment.window_reason,
    }


def _record(
    *,
    tenant: Tenant,
    version: BoardVersion,
    kind: str,
    by: User | None,
    order: ServiceOrder,
    appointment_id: int,
    before: dict,
    after: dict,
) -> BoardChange:
    moments = [
        datetime.datetime.fromisoformat(v)
        for snap in (before, after)
        for v in (snap.get("start"), snap.get("end"))
        if v
    ]
    version.version += 1
    version.save(update_fields=["version"])
    return BoardChange.objects.create(
        tenant=tenant,
        version=version.version,
        kind=kind,
        appointment_id_value=appointment_id,
        order=order,
        touched_start=min(moments),
        touched_end=max(moments),
        before=before,
        after=after,
        by=by,
    )


def _check_fresh(
    tenant: Tenant, seen_version: int | None, *, order_id: int, technician_ids, appointment_id=None
) -> None:
    """Refuse a change made on a view older than a change of the same order, technician or
    appointment (None: the caller has no view to compare, e.g. a service call)."""
    if seen_version is None:
        return
    touching = Q(order_id=order_id)
    for technician_id in technician_ids:
        touching |= Q(before__technician=technician_id) | Q(after__technician=technician_id)
    if appointment_id is not None:
        touching |= Q(appointment_id_value=appointment_id)
    if (
        BoardChange.objects.for_tenant(tenant)
        .filter(version__gt=seen_version)
        .filter(touching)
        .exists()
    ):
        raise BoardStale(
            _(
                "Someone changed this part of the board after you loaded it. "
                "The board now shows the current plan: check it and try again."
            )
        )


# --- Who may plan whom -------------------------------------------------------------------------


def dispatchable_team_ids(*, tenant: Tenant, user: User, role: str) -> list[int] | None:
    """The teams ``user`` plans: every team (None) for the office; for a dispatcher the teams
    they own and the teams nobody owns."""
    if role != Role.DISPATCHER:
        return None
    return list(
        Team.objects.for_tenant(tenant)
        .filter(Q(owner=user) | Q(owner__isnull=True))
        .values_list("pk", flat=True)
    )


def _technician(tenant: Tenant, technician_id, allowed_team_ids) -> TechnicianProfile:
    try:
        profile = (
            TechnicianProfile.objects.for_tenant(tenant)
            .select_related("user", "team", "calendar")
            .get(pk=technician_id)
        )
    except (TechnicianProfile.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"technician": _("Choose one of your technicians.")}) from None
    if allowed_team_ids is not None and profile.team_id and profile.team_id not in allowed_team_ids:
        raise ValidationError(
            {
                "technician": _("You do not plan team %(team)s: ask its dispatcher.")
                % {"team": profile.team.name}
            }
        )
    return profile


def _check_times(start, end) -> None:
    if start is None:
        raise ValidationError({"start": _("Give the start.")})
    if end is None:
        raise ValidationError({"end": _("Give the end.")})
    if end == start:
        raise ValidationError({"end": _("The visit has no length: the end equals the start.")})
    if end < start:
        raise ValidationError({"end": _("The end is before the start.")})
    if end - start > MAX_APPOINTMENT:
        raise ValidationError(
            {"end": _("One appointment lasts at most a day: plan one per day for longer jobs.")}
        )


# --- Warnings ----------------------------------------------------------------------------------


def _local(tenant: Tenant, moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, tenant.zone)


def planning_warnings(
    *,
    tenant: Tenant,
    profile: TechnicianProfile,
    order: ServiceOrder,
    start: datetime.datetime,
    end: datetime.datetime,
    ignore_appointment_id: int | None = None,
) -> tuple[list[str], bool]:
    """What the dispatcher should know before placing ``order`` with ``profile`` over
    [start, end): sentences, and whether the slot is outside the order's allowed window."""
    warnings = []
    name = str(profile)
    first_day = _local(tenant, start).date()
    last_day = _local(tenant, end - datetime.timedelta(microseconds=1)).date()

    required = selectors.order_required_skills(tenant=tenant, order_id=order.pk)
    have = {skill.lower() for skill in profile.skills}
    if missing := sorted(required - have):
        warnings.append(
            _("%(name)s lacks the skill this order needs: %(skills)s.")
            % {"name": name, "skills": ", ".join(missing)}
        )

    absences = selectors.absences_between(
        tenant=tenant, technician_ids=[profile.pk], start=first_day, end=last_day
    )
    for absence in absences:
        warnings.append(
            _("%(name)s is away (%(kind)s) from %(start)s to %(end)s.")
            % {
                "name": name,
                "kind": absence.get_kind_display().lower(),
                "start": absence.start_date.isoformat(),
                "end": absence.end_date.isoformat(),
            }
        )

    calendar = profile.calendar or calendar_default(tenant=tenant)
    hours = clock_calendar(tenant=tenant, calendar=calendar)
    day = first_day
    while day <= last_day:
        open_intervals = hours.open_on(day)
        if not open_intervals:
            warnings.append(
                _("%(day)s is a closed day in %(name)s's working calendar.")
                % {"day": day.isoformat(), "name": name}
            )
        else:
            inside = any(a <= start and end <= b for a, b in open_intervals)
            if day == first_day and not inside:
                warnings.append(
                    _("The visit lies outside %(name)s's working hours.") % {"name": name}
                )
        day += datetime.timedelta(days=1)

    day_start = datetime.datetime.combine(first_day, datetime.time(), tenant.zone)
    day_end = day_start + datetime.timedelta(days=1)
    others = (
        Appointment.objects.for_tenant(tenant)
        .filter(technician=profile, start__lt=day_end, end__gt=day_start)
        .exclude(order=order)
    )
    if ignore_appointment_id:
        others = others.exclude(pk=ignore_appointment_id)
    orders_that_day = others.values("order_id").distinct().count() + 1
    if orders_that_day > profile.max_orders_per_day:
        warnings.append(
            _("%(name)s would have %(count)s orders on %(day)s; the maximum is %(max)s.")
            % {
                "name": name,
                "count": orders_that_day,
                "day": first_day.isoformat(),
                "max": profile.max_orders_per_day,
            }
        )

    outside_window = bool(
        (order.window_start and first_day < order.window_start)
        or (order.window_end and last_day > order.window_end)
    )
    return warnings, outside_window


def _confirm(warnings, outside_window, *, confirmed: bool, reason: str) -> None:
    if (warnings and not confirmed) or (outside_window and not reason.strip()):
        raise NeedsConfirmation(warnings=warnings, needs_reason=outside_window)


# --- The order's side: lead technician and stage -----------------------------------------------


def _follow_order(tenant: Tenant, by: User, order: ServiceOrder) -> None:
    """After a change: the order's assigned technician is the technician of its first
    appointment (none without one); an order that is new becomes scheduled (the tenant's next
    stage with that state) once it has an appointment, and a scheduled one goes back to the
    stage for unplanned work when its last appointment is removed (where the tree allows)."""
    first = (
        Appointment.objects.for_tenant(tenant)
        .filter(order=order)
        .select_related("technician__user")
        .order_by("start", "id")
        .first()
    )
    lead = first.technician.user if first else None
    lead_id = lead.pk if lead else None
    if order.assigned_technician_id != lead_id and order.state in selectors.OPEN_FOR_PLANNING:
        order_assign(tenant=tenant, by=by, order_id=order.pk, technician=lead)
    # The order is locked since the start of the change and order_assign touches only its
    # technician: its state and stage as read are current.
    if first is not None and order.state == OrderState.NEW:
        target = next(
            (s for s in order_next_stages(tenant=tenant, order=order) if s.state == "scheduled"),
            None,
        )
        if target is not None:
            # The tree may want more (a reason): then the dispatcher moves the stage by hand.
            with suppress(OrderTransitionRefused, ValidationError), transaction.atomic():
                order_stage_move(tenant=tenant, order_id=order.pk, to_stage_id=target.pk, by=by)
    elif first is None and order.state == OrderState.SCHEDULED:
        # Its last visit is gone: back to the stage for unplanned work (state "new") where the
        # tree allows going back without a reason; otherwise it stays scheduled, without a
        # technician, in the queue, and the dispatcher moves the stage by hand.
        target = next(
            (
                s
                for s in order_next_stages(tenant=tenant, order=order)
                if s.state == OrderState.NEW and not getattr(s, "requires_reason", False)
            ),
            None,
        )
        if target is not None:
            with suppress(OrderTransitionRefused, ValidationError), transaction.atomic():
                order_stage_move(tenant=tenant, order_id=order.pk, to_stage_id=target.pk, by=by)


def _lock_order(tenant: Tenant, order_id) -> ServiceOrder:
    try:
        return (
            ServiceOrder.objects.for_tenant(tenant).select_for_update(of=("self",)).get(pk=order_id)
        )
    except (ServiceOrder.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"order": _("Choose one of the orders.")}) from None


def _check_order_open(order: ServiceOrder) -> None:
    if order.state not in selectors.OPEN_FOR_PLANNING:
        raise DispatchRefused(
            _("Order %(number)s is %(state)s: it can no longer be planned.")
            % {"number": order.number, "state": order.get_state_display().lower()}
        )


def _save(appointment: Appointment) -> None:
    """Save, turning the exclusion constraint's refusal into a clear one."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if "dispatch_appointment_no_overlap" in str(exc):
            raise DispatchRefused(
                _(
                    "%(name)s already has a visit at that time. "
                    "The board now shows the current plan."
                )
                % {"name": appointment.technician}
            ) from None
        raise


def _audit(tenant, by, action, order, appointment, changes=None) -> None:
    audit_record(
        tenant=tenant,
        actor=by,
        action=action,
        target=order,
        params={
            "number": order.number,
            "technician": str(appointment.technician),
            "start": _local(tenant, appointment.start).replace(tzinfo=None).isoformat(),
        },
        changes=changes or {},
    )


# --- Planning ----------------------------------------------------------------------------------


@transaction.atomic
def appointment_assign(
    *,
    tenant: Tenant,
    by: User,
    order_id: int,
    technician_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    seen_version: int | None = None,
    allowed_team_ids=None,
    confirmed: bool = False,
    reason: str = "",
) -> Appointment:
    """Plan a visit of the order: one more appointment (a crew or another day keeps the
    earlier ones)."""
    _check_times(start, end)
    version = _lock_version(tenant)
    order = _lock_order(tenant, order_id)
    profile = _technician(tenant, technician_id, allowed_team_ids)
    _check_fresh(tenant, seen_version, order_id=order.pk, technician_ids=[profile.pk])
    _check_order_open(order)
    warnings, outside = planning_warnings(
        tenant=tenant, profile=profile, order=order, start=start, end=end
    )
    _confirm(warnings, outside, confirmed=confirmed, reason=reason)
    appointment = Appointment(
        tenant=tenant,
        order=order,
        technician=profile,
        start=start,
        end=end,
        window_reason=reason.strip() if outside else "",
    )
    _save(appointment)
    _record(
        tenant=tenant,
        version=version,
        kind=ChangeKind.ASSIGN,
        by=by,
        order=order,
        appointment_id=appointment.pk,
        before={},
        after=_snapshot(appointment),
    )
    _audit(tenant, by, "dispatch.assign", order, appointment)
    _follow_order(tenant, by, order)
    return appointment


def _lock_appointment(tenant: Tenant, appointment_id) -> Appointment:
    try:
        return (
            Appointment.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("technician__user")
            .get(pk=appointment_id)
        )
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise DispatchRefused(
            _("This visit is no longer on the board: someone removed it. The board is current.")
        ) from None


@transaction.atomic
def appointment_move(
    *,
    tenant: Tenant,
    by: User,
    appointment_id: int,
    technician_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    seen_version: int | None = None,
    allowed_team_ids=None,
    confirmed: bool = False,
    reason: str = "",
) -> Appointment:
    """Move, reassign or resize a visit."""
    _check_times(start, end)
    version = _lock_version(tenant)
    appointment = _lock_appointment(tenant, appointment_id)
    order = _lock_order(tenant, appointment.order_id)
    if allowed_team_ids is not None:
        _technician(tenant, appointment.technician_id, allowed_team_ids)
    profile = _technician(tenant, technician_id, allowed_team_ids)
    _check_fresh(
        tenant,
        seen_version,
        order_id=order.pk,
        technician_ids={profile.pk, appointment.technician_id},
        appointment_id=appointment.pk,
    )
    _check_order_open(order)
    warnings, outside = planning_warnings(
        tenant=tenant,
        profile=profile,
        order=order,
        start=start,
        end=end,
        ignore_appointment_id=appointment.pk,
    )
    _confirm(warnings, outside, confirmed=confirmed, reason=reason)
    fields = ("technician", "start", "end")
    before_audit = audit_snapshot(appointment, fields)
    before = _snapshot(appointment)
    appointment.technician = profile
    appointment.start, appointment.end = start, end
    appointment.window_reason = reason.strip() if outside else ""
    _save(appointment)
    _record(
        tenant=tenant,
        version=version,
        kind=ChangeKind.MOVE,
        by=by,
        order=order,
        appointment_id=appointment.pk,
        before=before,
        after=_snapshot(appointment),
    )
    _audit(
        tenant,
        by,
        "dispatch.move",
        order,
        appointment,
        audit_changes(before_audit, audit_snapshot(appointment, fields)),
    )
    _follow_order(tenant, by, order)
    return appointment


@transaction.atomic
def appointment_unassign(
    *,
    tenant: Tenant,
    by: User,
    appointment_id: int,
    seen_version: int | None = None,
    allowed_team_ids=None,
) -> ServiceOrder:
    """Remove a visit; an order left without any goes back to the queue."""
    version = _lock_version(tenant)
    appointment = _lock_appointment(tenant, appointment_id)
    order = _lock_order(tenant, appointment.order_id)
    if allowed_team_ids is not None:
        _technician(tenant, appointment.technician_id, allowed_team_ids)
    _check_fresh(
        tenant,
        seen_version,
        order_id=order.pk,
        technician_ids=[appointment.technician_id],
        appointment_id=appointment.pk,
    )
    before = _snapshot(appointment)
    appointment_pk = appointment.pk
    _audit(tenant, by, "dispatch.unassign", order, appointment)
    appointment.delete()
    _record(
        tenant=tenant,
        version=version,
        kind=ChangeKind.UNASSIGN,
        by=by,
        order=order,
        appointment_id=appointment_pk,
        before=before,
        after={},
    )
    _follow_order(tenant, by, order)
    return order


@transaction.atomic
def appointment_dispatch(
    *,
    tenant: Tenant,
    by: User,
    appointment_id: int,
    seen_version: int | None = None,
    allowed_team_ids=None,
) -> Appointment:
    """Publish a planned visit to the technician (their day, week and calendar feed)."""
    version = _lock_version(tenant)
    appointment = _lock_appointment(tenant, appointment_id)
    order = _lock_order(tenant, appointment.order_id)
    if allowed_team_ids is not None:
        _technician(tenant, appointment.technician_id, allowed_team_ids)
    _check_fresh(
        tenant,
        seen_version,
        order_id=order.pk,
        technician_ids=[appointment.technician_id],
        appointment_id=appointment.pk,
    )
    if appointment.status == AppointmentStatus.DISPATCHED:
        raise DispatchRefused(_("This visit was already sent to the technician."))
    before = _snapshot(appointment)
    appointment.status = AppointmentStatus.DISPATCHED
    appointment.dispatched_at = timezone.now()
    appointment.save(update_fields=["status", "dispatched_at", "changed_at"])
    _record(
        tenant=tenant,
        version=version,
        kind=ChangeKind.DISPATCH,
        by=by,
        order=order,
        appointment_id=appointment.pk,
        before=before,
        after=_snapshot(appointment),
    )
    _audit(tenant, by, "dispatch.dispatch", order, appointment)
    return appointment


@transaction.atomic
def board_undo(*, tenant: Tenant, by: User) -> BoardChange:
    """Take back ``by``'s last change, if the visit is still as that change left it."""
    version = _lock_version(tenant)
    change = selectors.last_undoable_change(tenant=tenant, by=by)
    if change is None:
        raise DispatchRefused(_("There is no change of yours to undo."))
    change = BoardChange.objects.for_tenant(tenant).select_for_update().get(pk=change.pk)
    order = _lock_order(tenant, change.order_id)
    current = (
        Appointment.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("technician__user")
        .filter(pk=change.appointment_id_value)
        .first()
    )
    if _snapshot(current) != change.after:
        raise DispatchRefused(
            _("That visit has changed since your change, so it cannot be undone.")
        )
    before = change.before
    restored = None
    if not before:
        current.delete()
    else:
        restored = current or Appointment(tenant=tenant, order=order, pk=before["id"])
        restored.technician = TechnicianProfile.objects.for_tenant(tenant).get(
            pk=before["technician"]
        )
        restored.start = datetime.datetime.fromisoformat(before["start"])
        restored.end = datetime.datetime.fromisoformat(before["end"])
        restored.status = before["status"]
        restored.window_reason = before.get("window_reason", "")
        if restored.status == AppointmentStatus.PLANNED:
            restored.dispatched_at = None
        _save(restored)
    change.undone = True
    change.save(update_fields=["undone"])
    undo = _record(
        tenant=tenant,
        version=version,
        kind=ChangeKind.UNDO,
        by=by,
        order=order,
        appointment_id=change.appointment_id_value,
        before=change.after,
        after=_snapshot(restored),
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="dispatch.undo",
        target=order,
        params={"number": order.number},
    )
    _follow_order(tenant, by, order)
    return undo


@transaction.atomic
def order_visits_release(*, tenant: Tenant, order_id: int) -> int:
    """A cancelled order gives its technicians' time back: its visits leave the board (each a
    change the other boards see). Returns how many were removed; nothing for an open order."""
    order = ServiceOrder.objects.for_tenant(tenant).filter(pk=order_id).first()
    if order is None or order.state != OrderState.CANCELLED:
        return 0
    visits = list(
        Appointment.objects.for_tenant(tenant).select_for_update().filter(order_id=order_id)
    )
    if not visits:
        return 0
    version = _lock_version(tenant)
    for visit in visits:
        before, pk = _snapshot(visit), visit.pk
        visit.delete()
        _record(
            tenant=tenant,
            version=version,
            kind=ChangeKind.UNASSIGN,
            by=None,
            order=order,
            appointment_id=pk,
            before=before,
            after={},
        )
    return len(visits)


def first_free_start(
    *,
    tenant: Tenant,
    technician_id: int,
    day: datetime.date,
    minutes: int,
    from_time: datetime.time = datetime.time(8),
) -> datetime.datetime:
    """The first start on ``day`` from ``from_time`` (local) where a visit of ``minutes`` fits
    between the technician's appointments (for a drop on a day of the week view)."""
    start = datetime.datetime.combine(day, from_time, tenant.zone)
    length = datetime.timedelta(minutes=minutes)
    day_end = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(), tenant.zone
    )
    for a_start, a_end in (
        Appointment.objects.for_tenant(tenant)
        .filter(technician_id=technician_id, start__lt=day_end, end__gt=start)
        .order_by("start")
        .values_list("start", "end")
    ):
        if start + length <= a_start:
            break
        start = max(start, a_end)
    return start


# --- Teams, profiles, absences -----------------------------------------------------------------

TEAM_FIELDS = ("name", "owner")
PROFILE_FIELDS = ("team", "skills", "home_base", "calendar", "max_orders_per_day")
ABSENCE_FIELDS = ("technician", "kind", "start_date", "end_date", "note")


def _unique_name(team: Team) -> None:
    clash = Team.objects.for_tenant(team.tenant).filter(name__iexact=team.name)
    if team.pk:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationError({"name": _("A team with this name exists.")})


def _team_members(tenant: Tenant, team: Team, members) -> None:
    if members is None:
        return
    ids = [m.pk for m in members]
    TechnicianProfile.objects.for_tenant(tenant).filter(team=team).exclude(pk__in=ids).update(
        team=None
    )
    TechnicianProfile.objects.for_tenant(tenant).filter(pk__in=ids).update(team=team)


@transaction.atomic
def team_create(*, tenant: Tenant, by: User, data: dict) -> Team:
    team = Team(tenant=tenant, name=data["name"].strip(), owner=data.get("owner"))
    _unique_name(team)
    team.save()
    _team_members(tenant, team, data.get("members"))
    audit_record(
        tenant=tenant, actor=by, action="dispatch.team.create", target=team,
        params={"record": team.name},
    )  # fmt: skip
    return team


@transaction.atomic
def team_update(*, tenant: Tenant, by: User, team_id: int, data: dict) -> Team:
    team = Team.objects.for_tenant(tenant).select_for_update().get(pk=team_id)
    before = audit_snapshot(team, TEAM_FIELDS)
    team.name = data["name"].strip()
    team.owner = data.get("owner")
    _unique_name(team)
    team.save()
    _team_members(tenant, team, data.get("members"))
    changes = audit_changes(before, audit_snapshot(team, TEAM_FIELDS))
    audit_record(
        tenant=tenant,
        actor=by,
        action="dispatch.team.update",
        target=team,
        params={"record": team.name, "fields": list(changes) or ["members"]},
        changes=changes,
    )
    return team


@transaction.atomic
def team_delete(*, tenant: Tenant, by: User, team_id: int) -> None:
    team = Team.objects.for_tenant(tenant).select_for_update().get(pk=team_id)
    name = team.name
    TechnicianProfile.objects.for_tenant(tenant).filter(team=team).update(team=None)
    audit_record(
        tenant=tenant, actor=by, action="dispatch.team.delete", target=team,
        params={"record": name},
    )  # fmt: skip
    team.delete()


def _clean_skills(skills) -> list[str]:
    seen = []
    for skill in skills or []:
        skill = skill.strip().lower()
        if skill and skill not in seen:
            seen.append(skill)
    return seen


@transaction.atomic
def profile_create(*, tenant: Tenant, by: User, user: User, data: dict) -> TechnicianProfile:
    if not selectors.technician_users(tenant=tenant).filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Choose one of your technicians.")})
    if TechnicianProfile.objects.for_tenant(tenant).filter(user=user).exists():
        raise ValidationError({"user": _("This technician has a profile already.")})
    profile = TechnicianProfile(tenant=tenant, user=user)
    _profile_apply(profile, data)
    profile.save()
    audit_record(
        tenant=tenant, actor=by, action="dispatch.profile.create", target=profile,
        params={"record": str(profile)},
    )  # fmt: skip
    return profile


def _profile_apply(profile: TechnicianProfile, data: dict) -> None:
    profile.team = data.get("team")
    profile.skills = _clean_skills(data.get("skills"))
    profile.home_base = data.get("home_base", "")
    profile.calendar = data.get("calendar")
    profile.max_orders_per_day = data.get("max_orders_per_day") or 6


@transaction.atomic
def profile_update(*, tenant: Tenant, by: User, profile_id: int, data: dict) -> TechnicianProfile:
    profile = (
        TechnicianProfile.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("user")
        .get(pk=profile_id)
    )
    before = audit_snapshot(profile, PROFILE_FIELDS)
    _profile_apply(profile, data)
    profile.save()
    changes = audit_changes(before, audit_snapshot(profile, PROFILE_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="dispatch.profile.update",
            target=profile,
            params={"record": str(profile), "fields": list(changes)},
            changes=changes,
        )
    return profile


@transaction.atomic
def profile_feed_reset(*, tenant: Tenant, by: User, profile_id: int) -> TechnicianProfile:
    """A new secret for the technician's calendar feed: the old link stops working."""
    profile = (
        TechnicianProfile.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("user")
        .get(pk=profile_id)
    )
    profile.feed_token = new_feed_token()
    profile.save(update_fields=["feed_token"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="dispatch.feed_reset",
        target=profile,
        params={"technician": str(profile)},
    )
    return profile


def _absence_apply(tenant: Tenant, absence: Absence, data: dict) -> None:
    technician = data.get("technician")
    if technician is None or technician.tenant_id != tenant.pk:
        raise ValidationError({"technician": _("Choose one of your technicians.")})
    if data["end_date"] < data["start_date"]:
        raise ValidationError({"end_date": _("The last day is before the first.")})
    absence.technician = technician
    absence.kind = data["kind"]
    absence.start_date = data["start_date"]
    absence.end_date = data["end_date"]
    absence.note = data.get("note", "")


@transaction.atomic
def absence_create(*, tenant: Tenant, by: User, data: dict) -> Absence:
    absence = Absence(tenant=tenant)
    _absence_apply(tenant, absence, data)
    absence.save()
    audit_record(
        tenant=tenant, actor=by, action="dispatch.absence.create", target=absence,
        params={"record": str(absence)},
    )  # fmt: skip
    return absence


@transaction.atomic
def absence_update(*, tenant: Tenant, by: User, absence_id: int, data: dict) -> Absence:
    absence = Absence.objects.for_tenant(tenant).select_for_update().get(pk=absence_id)
    before = audit_snapshot(absence, ABSENCE_FIELDS)
    _absence_apply(tenant, absence, data)
    absence.save()
    changes = audit_changes(before, audit_snapshot(absence, ABSENCE_FIELDS))
    audit_record(
        tenant=tenant,
        actor=by,
        action="dispatch.absence.update",
        target=absence,
        params={"record": str(absence), "fields": list(changes)},
        changes=changes,
    )
    return absence


@transaction.atomic
def absence_delete(*, tenant: Tenant, by: User, absence_id: int) -> None:
    absence = (
        Absence.objects.for_tenant(tenant)
        .select_related("technician__user")
        .select_for_update(of=("self",))
        .get(pk=absence_id)
    )
    audit_record(
        tenant=tenant, actor=by, action="dispatch.absence.delete", target=absence,
        params={"record": str(absence)},
    )  # fmt: skip
    absence.delete()
