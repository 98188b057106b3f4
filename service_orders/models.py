"""Service orders and their lines.

The lifecycle state is a fixed set held in an FSM field; a later issue adds the tenant's stage
tree on top (each stage maps onto one of these states), sign-off and posting.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from agreements.models import Agreement, AgreementLine
from customers.models import MONEY, Customer, CustomerContact, CustomerSite, WorkLine
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key


class Priority(models.TextChoices):
    HIGH = "high", pgettext_lazy("service order priority", "High")
    NORMAL = "normal", pgettext_lazy("service order priority", "Normal")
    LOW = "low", pgettext_lazy("service order priority", "Low")


class Origin(models.TextChoices):
    MANUAL = "manual", _("Manual")
    AGREEMENT = "agreement", _("Agreement")
    WEB_REQUEST = "web", _("Web request")
    RETURN = "return", _("Return")


class OrderState(models.TextChoices):
    NEW = "new", pgettext_lazy("service order state", "New")
    SCHEDULED = "scheduled", pgettext_lazy("service order state", "Scheduled")
    IN_PROGRESS = "in_progress", pgettext_lazy("service order state", "In progress")
    ON_HOLD = "on_hold", pgettext_lazy("service order state", "On hold")
    COMPLETED = "completed", pgettext_lazy("service order state", "Completed")
    POSTED = "posted", pgettext_lazy("service order state", "Posted")
    CANCELLED = "cancelled", pgettext_lazy("service order state", "Cancelled")


OPEN_STATES = (OrderState.NEW, OrderState.SCHEDULED, OrderState.IN_PROGRESS, OrderState.ON_HOLD)


# --- Generation bookkeeping ----------------------------------------------------------------------


class GenerationTrigger(models.TextChoices):
    MANUAL = "manual", _("Button")
    SCHEDULE = "schedule", _("Daily job")
    COMMAND = "command", _("Command line")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Generating")
    FAILED = "failed", _("Failed")
    STALLED = "stalled", _("Stopped before finishing")
    FINISHED = "finished", _("Finished")


# How long one run may take: the generation task's hard time limit (service_orders.tasks). A
# run picked up longer ago than this and still unfinished was stopped (worker killed, limit).
GENERATION_TIME_LIMIT = datetime.timedelta(minutes=30)


class GenerationRun(TenantOwned):
    """One run of "generate service orders" for one tenant and period.

    The button's run is created in the request and processed by a background worker: until one
    picks it up, ``picked_up_at`` is empty (queued); until it is done, ``finished_at`` is empty
    and the counters grow chunk by chunk (progress)."""

    trigger = models.CharField(_("started by"), max_length=10, choices=GenerationTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    # Only these agreements (the page's agreement field); empty: every agreement due.
    agreement_ids = ArrayField(
        models.BigIntegerField(), null=True, blank=True, editable=False, default=None
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    picked_up_at = models.DateTimeField(_("picked up by a worker"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    agreements_total = models.PositiveIntegerField(_("agreements to process"), null=True)
    agreements_processed = models.PositiveIntegerField(_("agreements processed"), default=0)
    # Why processing stopped with an error (the run can be generated again); empty otherwise.
    failure = models.TextField(_("failure"), blank=True)
    orders_created = models.PositiveIntegerField(_("orders created"), default=0)
    lines_created = models.PositiveIntegerField(_("lines created"), default=0)
    occurrences_skipped = models.PositiveIntegerField(_("already generated"), default=0)
    agreements_failed = models.PositiveIntegerField(_("agreements failed"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("generation run")
        verbose_name_plural = _("generation runs")
        constraints = [tenant_key()]
        indexes = [
            models.Index(fields=["tenant", "trigger", "-started_at"], name="so_run_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"

    def status(self, now: datetime.datetime) -> str:
        if self.finished_at is not None:
            return RunStatus.FINISHED
        if self.failure:
            return RunStatus.FAILED
        if self.picked_up_at is None:
            return RunStatus.QUEUED
        if now - self.picked_up_at > GENERATION_TIME_LIMIT:
            return RunStatus.STALLED
        return RunStatus.RUNNING


class GenerationError(TenantOwned):
    """An agreement that failed to generate, with its message; resolved by a later success."""

    run = TenantForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="errors")
    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("generation error")
        verbose_name_plural = _("generation errors")
        constraints = [tenant_key()]
        indexes = [
            models.Index(
                fields=["tenant", "agreement"],
                condition=models.Q(resolved_at__isnull=True),
                name="so_generr_open_idx",
            )
        ]

    def __str__(self) -> str:
        return self.message[:80]


DEFAULT_HORIZON_DAYS = 30


class OrderGenerationSettings(TenantOwned):
    """A tenant's settings for generating orders from agreements: at most one row per tenant,
    the defaults while there is none (read through selectors.order_generation_settings)."""

    horizon_days = models.PositiveSmallIntegerField(
        _("order generation look-ahead (days)"),
        default=DEFAULT_HORIZON_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("How far ahead the daily job creates service orders from agreements."),
    )

    class Meta:
        verbose_name = _("order generation settings")
        verbose_name_plural = _("order generation settings")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant"], name="so_generation_settings_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(horizon_days__gte=1, horizon_days__lte=366),
                name="so_generation_settings_horizon_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ServiceOrder(FSMModelMixin, TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    customer = TenantForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    agreement = TenantForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    site = TenantForeignKey(
        CustomerSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service site"),
    )
    address = models.CharField(
        _("service address"),
        max_length=300,
        blank=True,
        help_text=_("A one-off address; empty: the site's address."),
    )
    contact = TenantForeignKey(
        CustomerContact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    description = models.CharField(_("description"), max_length=300)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    preferred_date = models.DateField(_("preferred date"), null=True, blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    window_start = models.DateField(_("window from"), null=True, blank=True)
    window_end = models.DateField(_("window to"), null=True, blank=True)
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
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    state = FSMField(_("state"), choices=OrderState.choices, default=OrderState.NEW, protected=True)
    calendar_conflict = models.BooleanField(
        _("falls on a closed day"),
        default=False,
        help_text=_("Generated for a day the business calendar has closed; reschedule it."),
    )
    # For orders generated from an agreement: the date the interval produced and the combine key
    # (agreement, object, task or technician) that grouped its lines. Unique together, so that
    # concurrent or repeated runs find the same order instead of creating another.
    calculated_date = models.DateField(_("calculated date"), null=True, blank=True)
    generation_key = models.CharField(max_length=60, blank=True, editable=False)
    generation_run = TenantForeignKey(
        GenerationRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="orders",
        verbose_name=_("created by generation run"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "number"], name="service_orders_order_number"
            ),
            models.UniqueConstraint(
                fields=["tenant", "agreement", "generation_key", "calculated_date"],
                condition=models.Q(origin="agreement"),
                name="service_orders_order_generated_once",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "preferred_date"], name="so_order_state_idx"),
            models.Index(fields=["tenant", "agreement"], name="so_order_agreement_idx"),
            models.Index(fields=["tenant", "customer"], name="so_order_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.description}"

    @property
    def service_address(self) -> str:
        if self.address:
            return self.address
        return self.site.one_line if self.site_id else ""

    @transition(
        field=state, source=[OrderState.NEW, OrderState.ON_HOLD], target=OrderState.SCHEDULED
    )
    def schedule(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=OrderState.CANCELLED)
    def cancel(self) -> None:
        pass


class LineStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("order line status", "Created")
    POSTED = "posted", pgettext_lazy("order line status", "Posted")
    CANCELLED = "cancelled", pgettext_lazy("order line status", "Cancelled")


class ServiceOrderLine(WorkLine):
    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    cost_price = models.DecimalField(
        _("cost price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    price_overridden = models.BooleanField(_("price overridden"), default=False)
    agreement_line = TenantForeignKey(
        AgreementLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement line"),
    )
    calculated_date = models.DateField(_("calculated date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LineStatus.choices, default=LineStatus.CREATED
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            tenant_key(),
            # Exactly once: one order line per agreement line and calculated date, whatever
            # re-runs, overlapping runs or retries after a crash do.
            models.UniqueConstraint(
                fields=["tenant", "agreement_line", "calculated_date"],
                condition=models.Q(agreement_line__isnull=False),
                name="service_orders_line_generated_once",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "order"], name="so_line_order_idx")]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.description}"
