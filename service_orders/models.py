"""Service orders and their lines.

The lifecycle state is a fixed set held in an FSM field; a later issue adds the tenant's stage
tree on top (each stage maps onto one of these states), sign-off and posting.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from agreements.models import (
    MONEY,
    QUANTITY,
    Agreement,
    AgreementLine,
    Customer,
    CustomerContact,
    CustomerSite,
    GenerationRun,
    Item,
    ServiceObject,
    ServiceTask,
    TransactionType,
)
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


class ServiceOrder(FSMModelMixin, TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("customer"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_orders",
        verbose_name=_("agreement"),
    )
    site = models.ForeignKey(
        CustomerSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_orders",
        verbose_name=_("service site"),
    )
    address = models.CharField(
        _("service address"),
        max_length=300,
        blank=True,
        help_text=_("A one-off address; empty: the site's address."),
    )
    contact = models.ForeignKey(
        CustomerContact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_orders",
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
    generation_run = models.ForeignKey(
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


class ServiceOrderLine(TenantOwned):
    order = models.ForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    line_type = models.CharField(
        _("type"), max_length=10, choices=TransactionType.choices, default=TransactionType.HOUR
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    service_object = models.ForeignKey(
        ServiceObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("service object"),
    )
    task = models.ForeignKey(
        ServiceTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("service task"),
    )
    item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("item"),
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    quantity = models.DecimalField(
        _("quantity"), **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit_price = models.DecimalField(
        _("unit price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    cost_price = models.DecimalField(
        _("cost price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    price_overridden = models.BooleanField(_("price overridden"), default=False)
    agreement_line = models.ForeignKey(
        AgreementLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
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

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))
