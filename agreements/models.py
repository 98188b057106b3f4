"""Service agreements: templates and their groups, agreements with their lifecycle, covered
objects and tasks, suspensions, and the agreement lines that say what work recurs and how often."""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import (
    MONEY,
    AgreementGroup,
    Customer,
    CustomerContact,
    Item,
    LineKind,
    ServiceObject,
    ServiceTask,
    WorkLine,
)
from sla.models import ServiceLevelAgreement
from tenancy.fields import TenantForeignKey, TenantManyToManyField
from tenancy.models import TenantOwned, tenant_key


class TemplateGroup(TenantOwned):
    """Folders for agreement templates; they form a tree."""

    name = models.CharField(_("group name"), max_length=120)
    parent = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent group"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("template group")
        verbose_name_plural = _("template groups")
        constraints = [tenant_key()]

    def __str__(self) -> str:
        return self.name


class CombineRule(models.TextChoices):
    PER_AGREEMENT = "agreement", _("One order per agreement and date")
    PER_OBJECT = "object", _("One order per object and date")
    PER_TASK = "task", _("One order per task and date")
    PER_TECHNICIAN = "technician", _("One order per technician and date")


class AgreementState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("agreement state", "Draft")
    ACTIVE = "active", pgettext_lazy("agreement state", "Active")
    SUSPENDED = "suspended", pgettext_lazy("agreement state", "Suspended")
    EXPIRED = "expired", pgettext_lazy("agreement state", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("agreement state", "Cancelled")


class Agreement(FSMModelMixin, TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    customer = TenantForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
        null=True,
        blank=True,  # only templates may leave it empty
    )
    description = models.CharField(_("description"), max_length=200)
    group = TenantForeignKey(
        AgreementGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement group"),
    )
    is_template = models.BooleanField(_("template"), default=False)
    template_group = TenantForeignKey(
        TemplateGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="templates",
        verbose_name=_("template group"),
    )
    created_from = TenantForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created from template"),
    )
    renewed_from = TenantForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renewal of"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible manager"),
    )
    preferred_technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred technician"),
    )
    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    combine_rule = models.CharField(
        _("combine generated orders"),
        max_length=20,
        choices=CombineRule.choices,
        default=CombineRule.PER_AGREEMENT,
    )
    state = FSMField(
        _("state"), choices=AgreementState.choices, default=AgreementState.DRAFT, protected=True
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # Commercial data: whom at the customer the agreement is with, and the customer's purchase
    # order it runs under (printed on its service orders and, later, its invoices).
    contact = TenantForeignKey(
        CustomerContact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer contact"),
    )
    customer_reference = models.CharField(
        _("customer PO reference"),
        max_length=60,
        blank=True,
        help_text=_("The customer's purchase order number for this agreement."),
    )
    objects_covered = TenantManyToManyField(
        ServiceObject,
        through="AgreementObject",
        related_name="+",
        verbose_name=_("service objects"),
        blank=True,
    )
    tasks = TenantManyToManyField(
        ServiceTask,
        through="AgreementTask",
        related_name="+",
        verbose_name=_("service tasks"),
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "number"]
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "number"], name="agreements_agreement_number"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="agreements_agreement_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(is_template=True) | models.Q(customer__isnull=False),
                name="agreements_agreement_customer_unless_template",
            ),
        ]
        indexes = [
            # The generation job's query: active, non-template agreements of a tenant.
            models.Index(
                fields=["tenant", "state"],
                condition=models.Q(is_template=False),
                name="agreements_agr_state_idx",
            ),
            models.Index(fields=["tenant", "customer"], name="agreements_agr_customer_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("agreements:agreement_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.description}"

    def clean(self) -> None:
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if not self.is_template and not self.customer_id:
            errors["customer"] = _("Choose a customer.")
        if errors:
            raise ValidationError(errors)

    # State transitions. Services call them under select_for_update and log the change.
    @transition(field=state, source=AgreementState.DRAFT, target=AgreementState.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=state, source=AgreementState.ACTIVE, target=AgreementState.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=state, source=AgreementState.SUSPENDED, target=AgreementState.ACTIVE)
    def resume(self) -> None:
        pass

    @transition(
        field=state,
        source=[AgreementState.ACTIVE, AgreementState.SUSPENDED],
        target=AgreementState.EXPIRED,
    )
    def expire(self) -> None:
        pass

    @transition(
        field=state,
        source=[AgreementState.DRAFT, AgreementState.ACTIVE, AgreementState.SUSPENDED],
        target=AgreementState.CANCELLED,
    )
    def cancel(self) -> None:
        pass


class AgreementSuspension(TenantOwned):
    """A period an agreement was suspended. Generation skips occurrences inside it, unless the
    manager chose to back-fill the period when resuming."""

    agreement = TenantForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="suspensions", verbose_name=_("agreement")
    )
    suspended_from = models.DateField(_("suspended from"))
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    # Planned end: the agreement is resumed on this day by the daily job (None: until resumed
    # by hand).
    resume_on = models.DateField(_("resume on"), null=True, blank=True)
    backfill = models.BooleanField(_("back-fill the suspended period"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-suspended_from"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(resume_on__isnull=True)
                | models.Q(resume_on__gt=models.F("suspended_from")),
                name="agreements_susp_resume_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "agreement"], name="agreements_susp_agr_idx")]

    def __str__(self) -> str:
        return f"{self.suspended_from}–{self.resumed_on or self.resume_on or ''}"

    @property
    def ends_on(self):
        """The first day no longer suspended: the day it was resumed, else the planned one."""
        return self.resumed_on or self.resume_on


class AgreementObject(TenantOwned):
    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="object_links")
    service_object = TenantForeignKey(ServiceObject, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("agreement object")
        verbose_name_plural = _("agreement objects")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "agreement", "service_object"], name="agreements_agrobj_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.service_object)


class AgreementTask(TenantOwned):
    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="task_links")
    task = TenantForeignKey(ServiceTask, on_delete=models.PROTECT, related_name="+")
    # Copied onto every order generated for the task: what the technician should know, and
    # what the customer reads on the work receipt.
    internal_note = models.TextField(
        _("note for the technician"),
        blank=True,
        help_text=_("Shown to the technician on orders generated from this agreement."),
    )
    customer_note = models.TextField(
        _("note for the customer"),
        blank=True,
        help_text=_("Printed on the work receipt of orders generated from this agreement."),
    )

    class Meta:
        verbose_name = _("agreement task")
        verbose_name_plural = _("agreement tasks")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "agreement", "task"], name="agreements_agrtask_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.task)


class IntervalUnit(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class TimeWindow(models.TextChoices):
    EXACT = "exact", _("Exact day")
    SAME_WEEK = "same_week", _("Any open day of the same week")
    SAME_MONTH = "same_month", _("Any open day of the same month")
    DAYS_AROUND = "days_around", _("A number of days before or after")


class AgreementLine(WorkLine):
    """What work, on which object, how often, at what price."""

    agreement = TenantForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("agreement")
    )
    position = models.PositiveIntegerField(_("line"), default=10)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    # Recurrence: no unit means "not recurring": one visit, on the line's start date (or the
    # agreement's start).
    interval_unit = models.CharField(
        _("every (unit)"), max_length=10, choices=IntervalUnit.choices, blank=True
    )
    interval_count = models.PositiveSmallIntegerField(
        _("every (count)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
    )
    excluded_months = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)]),
        verbose_name=_("no visits in"),
        default=list,
        blank=True,
    )
    exclude_holidays = models.BooleanField(_("not on holidays"), default=False)
    time_window = models.CharField(
        _("time window"), max_length=20, choices=TimeWindow.choices, default=TimeWindow.EXACT
    )
    window_days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    window_days_after = models.PositiveSmallIntegerField(_("days after"), default=0)
    preferred_time = models.TimeField(_("preferred time"), null=True, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    unit_price = models.DecimalField(
        _("unit price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the price list's price."),
    )
    is_stopped = models.BooleanField(_("stopped"), default=False)
    # Set by an import from an earlier system: its visits up to this day were made there, so
    # generation starts after it.
    generated_through = models.DateField(
        _("generated through"),
        null=True,
        blank=True,
        help_text=_("Visits up to this day were already made (e.g. in the previous system)."),
    )
    # Set by renewal: the day the line's series is counted from when it began in an earlier
    # agreement, so that a weekly or every-10-days line keeps its rhythm across the renewal.
    series_anchor = models.DateField(
        _("series counted from"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["agreement", "position", "id"]
        verbose_name = _("agreement line")
        verbose_name_plural = _("agreement lines")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(interval_count__gte=1), name="agreements_line_interval_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__isnull=True) | models.Q(unit_price__gte=0),
                name="agreements_line_price_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="agreements_line_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "agreement"], name="agreements_line_agr_idx")]

    def __str__(self) -> str:
        return f"{self.agreement.number}/{self.position} {self.description or self.task or ''}"

    @property
    def is_recurring(self) -> bool:
        return bool(self.interval_unit) and not self.is_stopped

    def anchor(self, agreement: Agreement | None = None) -> datetime.date:
        """The day the line's series is counted from: kept across renewals, else the line's
        start, else the agreement's."""
        agreement = agreement or self.agreement
        return self.series_anchor or self.start_date or agreement.start_date

    def clean(self) -> None:
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.interval_count is not None and self.interval_count < 1:
            errors["interval_count"] = _("The interval must be at least 1.")
        if self.unit_price is not None and self.unit_price < 0:
            errors["unit_price"] = _("The price cannot be negative.")
        if self.time_window != TimeWindow.DAYS_AROUND and (
            self.window_days_before or self.window_days_after
        ):
            errors["time_window"] = _("Days before and after apply only to that time window.")
        if self.kind == LineKind.ITEM and not self.item_id:
            errors["item"] = _("An item line needs an item.")
        if errors:
            raise ValidationError(errors)


# --- Rate cards -----------------------------------------------------------------------------------


class RateKind(models.TextChoices):
    HOUR = "hour", _("Hour rate")
    EXPENSE = "expense", _("Expense markup")
    FEE = "fee", _("Fixed fee")
    ITEM = "item", _("Item price")


PERCENT = {"max_digits": 7, "decimal_places": 2}


class AgreementRate(TenantOwned):
    """One entry of a rate card: of an agreement, or the default of an agreement group.

    An hour rate applies to one service task, to a task category, or (neither) to every hour;
    an expense markup to every expense; a fixed fee to fee lines of its description; an item
    price to its item. Each entry is in one currency: an agreement's entries in the agreement's
    currency; a group may hold defaults in several, and an agreement uses those in its own
    (``agreements.rates``)."""

    agreement = TenantForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rates",
        verbose_name=_("agreement"),
    )
    group = TenantForeignKey(
        AgreementGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement group"),
    )
    kind = models.CharField(_("rate type"), max_length=10, choices=RateKind.choices)
    task = TenantForeignKey(
        ServiceTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service task"),
    )
    task_category = models.CharField(_("task category"), max_length=60, blank=True)
    item = TenantForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    description = models.CharField(_("fee description"), max_length=120, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    sales_price = models.DecimalField(
        _("sales price"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    cost_price = models.DecimalField(
        _("cost price"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    markup_percent = models.DecimalField(
        _("markup %"), **PERCENT, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # What the entry prices ("hour:task:12", "hour:category:repair", "hour:", "expense", …),
    # set by the service: one entry per card, currency and key.
    key = models.CharField(max_length=200, editable=False)

    class Meta:
        ordering = ["kind", "key", "pk"]
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        constraints = [
            tenant_key(),
            # On a card: an agreement's or a group's (the services set exactly one of them).
            models.CheckConstraint(
                condition=models.Q(agreement__isnull=False) | models.Q(group__isnull=False),
                name="agreements_rate_on_a_card",
            ),
            models.CheckConstraint(
                condition=(models.Q(sales_price__isnull=True) | models.Q(sales_price__gte=0))
                & (models.Q(cost_price__isnull=True) | models.Q(cost_price__gte=0))
                & (models.Q(markup_percent__isnull=True) | models.Q(markup_percent__gte=0)),
                name="agreements_rate_not_negative",
            ),
            models.UniqueConstraint(
                fields=["tenant", "agreement", "currency", "key"],
                condition=models.Q(agreement__isnull=False),
                name="agreements_rate_agreement_key",
            ),
            models.UniqueConstraint(
                fields=["tenant", "group", "currency", "key"],
                condition=models.Q(group__isnull=False),
                name="agreements_rate_group_key",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "agreement"], name="agreements_rate_agr_idx"),
            models.Index(fields=["tenant", "group", "currency"], name="agreements_rate_grp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"

    @property
    def subject(self) -> str:
        """What the entry prices, in words."""
        if self.kind == RateKind.HOUR:
            if self.task_id:
                return str(self.task)
            if self.task_category:
                return self.task_category
            return str(_("every task"))
        if self.kind == RateKind.FEE:
            return self.description
        if self.kind == RateKind.ITEM and self.item_id:
            return str(self.item)
        return ""
