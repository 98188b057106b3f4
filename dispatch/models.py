"""Dispatch: teams, technician profiles, absences, appointments and the board's change log.

An appointment is one technician's planned slot on one order (a crew is several appointments on
one order, a job over several days one appointment per day). The database refuses two
overlapping appointments of one technician: an exclusion constraint on (tenant, technician,
[start, end)) with ``btree_gist``.

Every change of the board is one ``BoardChange`` with a number from the tenant's
``BoardVersion`` (locked and advanced in the same transaction): the board asks "anything since
version N in my range?" with one indexed query, and "undo" reads the change's before-state.
"""

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.db import models
from django.db.models import Func
from django.utils.translation import gettext_lazy as _

from service_orders.models import ServiceOrder
from sla.models import BusinessCalendar
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Team(TenantOwned):
    name = models.CharField(_("team name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispatcher"),
        help_text=_(
            "Who plans this team. A dispatcher plans the teams they own and teams without one."
        ),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("dispatch team")
        verbose_name_plural = _("dispatch teams")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "name"], name="dispatch_team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TechnicianProfile(TenantOwned):
    """What dispatch knows about one technician of the tenant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technician"),
    )
    team = TenantForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    skills = ArrayField(
        models.CharField(max_length=80),
        verbose_name=_("skills"),
        default=list,
        blank=True,
        help_text=_("As the service tasks name them in “required skill”."),
    )
    home_base = models.CharField(_("home base"), max_length=200, blank=True)
    calendar = TenantForeignKey(
        BusinessCalendar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("working calendar"),
        help_text=_("Empty: the tenant's default calendar."),
    )
    max_orders_per_day = models.PositiveSmallIntegerField(_("maximum orders per day"), default=6)
    feed_token = models.CharField(max_length=64, default=new_feed_token, editable=False)

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__email", "id"]
        verbose_name = _("technician profile")
        verbose_name_plural = _("technician profiles")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "user"], name="dispatch_profile_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["tenant", "feed_token"], name="dispatch_profile_feed_token"
            ),
            models.CheckConstraint(
                condition=models.Q(max_orders_per_day__gte=1),
                name="dispatch_profile_max_orders_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.email


class AbsenceKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    SICK = "sick", _("Sick leave")
    TRAINING = "training", _("Training")


class Absence(TenantOwned):
    technician = TenantForeignKey(
        TechnicianProfile,
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("technician"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="dispatch_absence_end_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "technician", "start_date"], name="dispatch_absence_tech_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.technician} · {self.get_kind_display()}"


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DISPATCHED = "dispatched", _("Dispatched")


class Appointment(TenantOwned):
    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    technician = TenantForeignKey(
        TechnicianProfile,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("technician"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.PLANNED,
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    # Why the slot lies outside the order's allowed window (asked when it does).
    window_reason = models.CharField(_("reason outside the window"), max_length=300, blank=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="dispatch_appointment_end_after_start",
            ),
            ExclusionConstraint(
                name="dispatch_appointment_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    ("technician", RangeOperators.EQUAL),
                    (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "start"], name="dispatch_appointment_start_idx"),
            models.Index(fields=["tenant", "order"], name="dispatch_appointment_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class BoardVersion(TenantOwned):
    """The tenant's board version: advanced (under a row lock) by every change."""

    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("board version")
        verbose_name_plural = _("board versions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant"], name="dispatch_board_version_one"),
        ]

    def __str__(self) -> str:
        return str(self.version)


class ChangeKind(models.TextChoices):
    ASSIGN = "assign", _("Assigned")
    MOVE = "move", _("Moved")
    UNASSIGN = "unassign", _("Unassigned")
    DISPATCH = "dispatch", _("Dispatched")
    UNDO = "undo", _("Undone")


class BoardChange(TenantOwned):
    """One change of the board: what it was (``before``) and became (``after``), plain JSON of
    the appointment's fields (empty for none), and the time range it touched."""

    version = models.BigIntegerField(_("version"))
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    appointment_id_value = models.BigIntegerField(_("appointment"))
    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    touched_start = models.DateTimeField(_("from"))
    touched_end = models.DateTimeField(_("to"))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    undone = models.BooleanField(_("undone"), default=False)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("board change")
        verbose_name_plural = _("board changes")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "version"], name="dispatch_change_version"),
        ]
        indexes = [
            models.Index(fields=["tenant", "by", "version"], name="dispatch_change_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.kind}"
