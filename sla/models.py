"""Service levels and business calendars.

This issue's scope: the SLA record agreements and groups point at, and the tenant's business
calendar with its working days and holidays (agreement intervals exclude holidays and flag
closed days). Targets, working windows and the clock come with the SLA issue.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key

from . import clock


class ServiceLevelAgreement(TenantOwned):
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("SLA name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    calendar = TenantForeignKey(
        "BusinessCalendar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
        help_text=_("Empty: the tenant's default calendar."),
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning threshold (%)"),
        default=75,
        help_text=_("An order is shown at risk once it has used this share of its time."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service-level agreement")
        verbose_name_plural = _("service-level agreements")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="sla_sla_unique_code"),
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=100),
                name="sla_sla_warning_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self) -> None:
        if self.warning_percent is not None and not 1 <= self.warning_percent <= 100:
            raise ValidationError(
                {"warning_percent": _("The warning threshold is between 1 and 100 %.")}
            )


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday..Friday (Python's weekday numbers)


class BusinessCalendar(TenantOwned):
    name = models.CharField(_("calendar name"), max_length=120)
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the tenant's time zone.")
    )
    working_days = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("working days"),
        default=default_working_days,
        help_text=_("Weekdays the business is open (0 = Monday … 6 = Sunday)."),
    )
    is_default = models.BooleanField(_("tenant default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "name"], name="sla_calendar_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="sla_calendar_one_default",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("sla:calendar_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if any(day > 6 for day in self.working_days or []):
            raise ValidationError({"working_days": _("Weekdays are numbered 0 to 6.")})


class Holiday(TenantOwned):
    calendar = TenantForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("holiday"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "calendar", "date"], name="sla_holiday_unique_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPriority(models.TextChoices):
    """The order priorities an SLA sets targets for (the same codes as service orders')."""

    HIGH = "high", pgettext_lazy("service order priority", "High")
    NORMAL = "normal", pgettext_lazy("service order priority", "Normal")
    LOW = "low", pgettext_lazy("service order priority", "Low")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def _check_window(start, end, field_errors_on: str = "end_time") -> None:
    """A window ends after it starts; an end of 00:00 means midnight at the end of the day."""
    if start is None or end is None:
        return
    try:
        clock.Window(start, end)
    except ValueError:
        raise ValidationError(
            {field_errors_on: _("A working window must end after it starts.")}
        ) from None


class WorkingWindow(TenantOwned):
    """One opening period of a weekday; several per day (e.g. 08:00–12:00 and 13:00–17:00)."""

    calendar = TenantForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="windows",
        verbose_name=_("calendar"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("opens"))
    end_time = models.TimeField(_("closes"), help_text=_("00:00 means midnight."))

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "calendar", "weekday", "start_time"],
                name="sla_window_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        _check_window(self.start_time, self.end_time)


class CalendarException(TenantOwned):
    """A one-off date: closed (no hours), or open with other hours (one row per window)."""

    calendar = TenantForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("reason"), max_length=120)
    start_time = models.TimeField(_("opens"), null=True, blank=True)
    end_time = models.TimeField(
        _("closes"), null=True, blank=True, help_text=_("Both empty: closed all day.")
    )

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "calendar", "date", "start_time"],
                nulls_distinct=False,
                name="sla_exception_unique_start",
            ),
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True, end_time__isnull=True)
                | models.Q(start_time__isnull=False, end_time__isnull=False),
                name="sla_exception_both_or_no_hours",
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.start_time is None

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(
                {"end_time": _("Give both the opening and the closing time, or neither.")}
            )
        _check_window(self.start_time, self.end_time)


class SlaTarget(TenantOwned):
    """Per priority: how much working time the first response and the resolution may take."""

    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.CASCADE,
        related_name="targets",
        verbose_name=_("SLA"),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=SlaPriority.choices)
    response_minutes = models.PositiveIntegerField(
        _("response target (working minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution target (working minutes)"))

    class Meta:
        ordering = ["sla", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "sla", "priority"], name="sla_target_unique_priority"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gt=0)
                & (models.Q(response_minutes__isnull=True) | models.Q(response_minutes__gt=0)),
                name="sla_target_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sla_id} {self.priority}"

    def clean(self) -> None:
        if self.resolution_minutes is not None and self.resolution_minutes <= 0:
            raise ValidationError({"resolution_minutes": _("A target must be more than zero.")})
        if self.response_minutes is not None and self.response_minutes <= 0:
            raise ValidationError({"response_minutes": _("A target must be more than zero.")})


class EscalationRole(models.TextChoices):
    DISPATCHER = "dispatcher", _("Dispatchers")
    SERVICE_MANAGER = "service_manager", _("Service managers")


class EscalationLevel(TenantOwned):
    """At this share of the resolution target, notify a role of the tenant or a named user."""

    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.CASCADE,
        related_name="escalation_levels",
        verbose_name=_("SLA"),
    )
    percent = models.PositiveSmallIntegerField(
        _("percentage of the resolution target"), help_text=_("For example 75, 100 or 150.")
    )
    role = models.CharField(
        _("notify role"), max_length=20, choices=EscalationRole.choices, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notify person"),
    )

    class Meta:
        ordering = ["sla", "percent"]
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "sla", "percent"], name="sla_escalation_unique_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gt=0), name="sla_escalation_percent"
            ),
            models.CheckConstraint(
                condition=(models.Q(role="") & models.Q(user__isnull=False))
                | (~models.Q(role="") & models.Q(user__isnull=True)),
                name="sla_escalation_role_or_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent} %"

    def clean(self) -> None:
        if self.percent is not None and self.percent <= 0:
            raise ValidationError({"percent": _("A level must be more than 0 %.")})
        if bool(self.role) == (self.user_id is not None):
            raise ValidationError({"role": _("Choose either a role or a person to notify.")})


class SlaSettings(TenantOwned):
    """A tenant's SLA choices: the default SLA and how generated and late orders are handled."""

    default_sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default SLA"),
        help_text=_("Applies to orders whose agreement, group and customer name no SLA."),
    )
    clock_on_generated = models.BooleanField(
        _("orders generated from agreements get an SLA clock"), default=True
    )
    require_late_reason = models.BooleanField(
        _("ask for a reason when an order is completed late"), default=True
    )

    class Meta:
        verbose_name = _("SLA settings")
        verbose_name_plural = _("SLA settings")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant"], name="sla_settings_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return str(self.tenant_id)
