"""Service levels and business calendars.

This issue's scope: the SLA record agreements and groups point at, and the tenant's business
calendar with its working days and holidays (agreement intervals exclude holidays and flag
closed days). Targets, working windows and the clock come with the SLA issue.
"""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key


class ServiceLevelAgreement(TenantOwned):
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("SLA name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_suspended = models.BooleanField(_("suspended"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service-level agreement")
        verbose_name_plural = _("service-level agreements")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="sla_sla_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


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
