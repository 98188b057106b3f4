"""Subscriptions: periodic fees that do not depend on how often service happens.

A subscription group says how often and when a fee is invoiced (period, in advance or in
arrears) and whether its revenue is recognised over the period (accrual). A subscription belongs
to a customer (optionally to one of its agreements) and is billed by the billing run: one regular
fee per invoicing period, exactly once by the database (unique subscription and period start),
on the customer's draft invoice. Pauses, reduction days, price reductions and one-off fees change
what a period is charged; every fee line keeps the factor it was prorated by.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from agreements.models import Agreement
from customers.models import MONEY, Customer, Item
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key

INDEX = {"max_digits": 9, "decimal_places": 2}
FACTOR = {"max_digits": 9, "decimal_places": 6}


class PeriodKind(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF_YEAR = "half_year", _("Half-year")
    YEAR = "year", _("Year")


class Timing(models.TextChoices):
    ADVANCE = "advance", _("In advance")
    ARREARS = "arrears", _("In arrears")


class AccrualPeriod(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class SubscriptionGroup(TenantOwned):
    """How the subscriptions of a kind are invoiced (a maintenance plan, a support contract)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("subscription group name"), max_length=120)
    period = models.CharField(
        _("invoicing period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    timing = models.CharField(
        _("invoiced"), max_length=10, choices=Timing.choices, default=Timing.ADVANCE
    )
    accrue = models.BooleanField(
        _("accrue revenue"),
        default=False,
        help_text=_("Recognise each invoiced fee over its period instead of at once."),
    )
    accrual_period = models.CharField(
        _("accrual period"),
        max_length=10,
        choices=AccrualPeriod.choices,
        default=AccrualPeriod.MONTH,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("subscription group")
        verbose_name_plural = _("subscription groups")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="subscriptions_group_code"),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListRow(TenantOwned):
    """One price of the price list. The most specific row wins: a subscription's own row, then
    its agreement's, its item's, its group's, then the generic row; among equals, the latest
    valid-from on or before the period start."""

    subscription = TenantForeignKey(
        "Subscription",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subscription"),
    )
    agreement = TenantForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    item = TenantForeignKey(
        Item,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    group = TenantForeignKey(
        SubscriptionGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subscription group"),
    )
    period = models.CharField(_("invoicing period"), max_length=10, choices=PeriodKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    price = models.DecimalField(_("price per period"), **MONEY, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["period", "currency", "-valid_from"]
        verbose_name = _("price list row")
        verbose_name_plural = _("price list")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=~models.Q(currency=""), name="subscriptions_price_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="subscriptions_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "period", "currency", "valid_from"],
                name="subscriptions_price_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.price} {self.currency}"

    @property
    def scope(self) -> str:
        """What the row applies to, in words."""
        for field in ("subscription", "agreement", "item", "group"):
            if getattr(self, f"{field}_id"):
                return f"{self._meta.get_field(field).verbose_name}: {getattr(self, field)}"
        return str(_("every subscription"))


class SubscriptionState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("subscription state", "Draft")
    ACTIVE = "active", pgettext_lazy("subscription state", "Active")
    PAUSED = "paused", pgettext_lazy("subscription state", "Paused")
    ENDED = "ended", pgettext_lazy("subscription state", "Ended")
    CANCELLED = "cancelled", pgettext_lazy("subscription state", "Cancelled")


class Subscription(FSMModelMixin, TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    customer = TenantForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    agreement = TenantForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    group = TenantForeignKey(
        SubscriptionGroup,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("subscription group"),
    )
    item = TenantForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    description = models.CharField(_("description"), max_length=200)
    base_price = models.DecimalField(
        _("base price per period"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Leave empty to take the price from the price list."),
    )
    index = models.DecimalField(
        _("index (%)"),
        **INDEX,
        default=Decimal("100"),
        help_text=_("Price = base price × index ÷ 100."),
    )
    currency = models.CharField(_("currency"), max_length=3)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    state = FSMField(
        _("state"),
        choices=SubscriptionState.choices,
        default=SubscriptionState.DRAFT,
        protected=True,
    )
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    paused_from = models.DateField(_("paused from"), null=True, blank=True)
    # The next period to bill and the day it falls due (its start in advance, the day after
    # its end in arrears). The billing run selects by next_due_on <= as-of, never ==.
    next_period_start = models.DateField(_("next period"), null=True, blank=True)
    next_due_on = models.DateField(_("next fee due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "number"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="subscriptions_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="subscriptions_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(index__gt=0), name="subscriptions_index_positive"
            ),
        ]
        indexes = [
            # The billing run's query: active subscriptions of a tenant that are due.
            models.Index(
                fields=["tenant", "next_due_on"],
                condition=models.Q(state="active"),
                name="subscriptions_due_idx",
            ),
            models.Index(fields=["tenant", "customer"], name="subscriptions_customer_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("subscriptions:subscription_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.description}"

    @transition(state, source=SubscriptionState.DRAFT, target=SubscriptionState.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(state, source=SubscriptionState.ACTIVE, target=SubscriptionState.PAUSED)
    def pause(self) -> None:
        pass

    @transition(state, source=SubscriptionState.PAUSED, target=SubscriptionState.ACTIVE)
    def resume(self) -> None:
        pass

    @transition(
        state,
        source=[SubscriptionState.ACTIVE, SubscriptionState.PAUSED],
        target=SubscriptionState.ENDED,
    )
    def end(self) -> None:
        pass

    @transition(
        state,
        source=[SubscriptionState.DRAFT, SubscriptionState.ACTIVE, SubscriptionState.PAUSED],
        target=SubscriptionState.CANCELLED,
    )
    def cancel(self) -> None:
        pass


class SubscriptionPause(TenantOwned):
    """Days a subscription was paused: no period charges them."""

    subscription = TenantForeignKey(Subscription, on_delete=models.CASCADE, related_name="pauses")
    start_date = models.DateField(_("paused from"))
    end_date = models.DateField(_("paused until"))

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="subscriptions_pause_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date}"


class ReductionKind(models.TextChoices):
    DAYS = "days", _("Reduction days")
    AMOUNT = "amount", _("Price reduction")


class Reduction(TenantOwned):
    """Reduction days (the days' share of the fee comes off, e.g. a site closed for two days)
    or a price reduction (an amount off every period from … to …)."""

    subscription = TenantForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="reductions"
    )
    kind = models.CharField(_("type"), max_length=10, choices=ReductionKind.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    amount = models.DecimalField(
        _("amount off per period"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("reduction")
        verbose_name_plural = _("reductions")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="subscriptions_reduction_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="days") | models.Q(amount__gt=0),
                name="subscriptions_reduction_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}–{self.end_date}"


class OneOffFee(TenantOwned):
    """A fee charged once (set-up, an extra visit): billed by the first run on or after its
    date."""

    subscription = TenantForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="one_off_fees"
    )
    description = models.CharField(_("description"), max_length=200)
    charge_on = models.DateField(_("charge on"))
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(0)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["charge_on"]
        verbose_name = _("one-off fee")
        verbose_name_plural = _("one-off fees")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="subscriptions_one_off_positive"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "charge_on"], name="subscriptions_oneoff_idx")]

    def __str__(self) -> str:
        return self.description


class FeeKind(models.TextChoices):
    REGULAR = "regular", _("Regular fee")
    REDUCTION_DAYS = "reduction_days", _("Reduction days")
    PRICE_REDUCTION = "price_reduction", _("Price reduction")
    ONE_OFF = "one_off", _("One-off fee")


class Fee(TenantOwned):
    """One line billed for a subscription: the period's regular fee, its reductions, or a
    one-off fee. The regular fee is unique per (subscription, period start): the billing run's
    exactly-once guarantee."""

    subscription = TenantForeignKey(Subscription, on_delete=models.PROTECT, related_name="fees")
    kind = models.CharField(_("type"), max_length=20, choices=FeeKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    description = models.CharField(_("description"), max_length=200)
    unit_price = models.DecimalField(_("price per period"), **MONEY)
    proration_factor = models.DecimalField(_("proration factor"), **FACTOR)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    one_off = TenantForeignKey(
        OneOffFee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    run = TenantForeignKey(
        "BillingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The draft invoice the line went to (invoicing's id; read through invoicing's selectors).
    invoice_id = models.BigIntegerField(_("invoice"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "kind"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "subscription", "period_start"],
                condition=models.Q(kind="regular"),
                name="subscriptions_fee_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["tenant", "one_off"],
                condition=models.Q(one_off__isnull=False),
                name="subscriptions_fee_one_off_once",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "subscription"], name="subscriptions_fee_sub_idx")
        ]

    def __str__(self) -> str:
        return self.description


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Daily job")
    MANUAL = "manual", _("Button")
    COMMAND = "command", _("Command")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Billing")
    FAILED = "failed", _("Failed")
    STALLED = "stalled", _("Stopped before finishing")
    FINISHED = "finished", _("Finished")


BILLING_TIME_LIMIT = datetime.timedelta(minutes=30)


class BillingRun(TenantOwned):
    """One billing run of a tenant: every fee due on or before ``through``."""

    trigger = models.CharField(_("started by"), max_length=10, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    through = models.DateField(_("bill through"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    picked_up_at = models.DateTimeField(_("picked up by a worker"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    subscriptions_total = models.PositiveIntegerField(_("subscriptions to bill"), null=True)
    subscriptions_processed = models.PositiveIntegerField(_("subscriptions billed"), default=0)
    fees_created = models.PositiveIntegerField(_("fees created"), default=0)
    fees_skipped = models.PositiveIntegerField(_("already billed"), default=0)
    subscriptions_failed = models.PositiveIntegerField(_("subscriptions failed"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [tenant_key()]
        indexes = [models.Index(fields=["tenant", "-started_at"], name="subscriptions_run_idx")]

    def get_absolute_url(self) -> str:
        return reverse("subscriptions:run_detail", args=[self.pk])

    def __str__(self) -> str:
        return str(self.through)

    def status(self, now: datetime.datetime) -> str:
        if self.finished_at is not None:
            return RunStatus.FINISHED
        if self.failure:
            return RunStatus.FAILED
        if self.picked_up_at is None:
            return RunStatus.QUEUED
        if now - self.picked_up_at > BILLING_TIME_LIMIT:
            return RunStatus.STALLED
        return RunStatus.RUNNING


class BillingError(TenantOwned):
    """A subscription the run could not bill, with the reason; the run went on without it."""

    run = TenantForeignKey(BillingRun, on_delete=models.CASCADE, related_name="errors")
    subscription = TenantForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("billing error")
        verbose_name_plural = _("billing errors")
        constraints = [tenant_key()]

    def __str__(self) -> str:
        return self.message[:80]


class AccrualEntry(TenantOwned):
    """The part of an invoiced fee recognised in one month (or quarter) of its period. Written
    when the fee's invoice is issued; posted by the monthly accrual job; what is not yet posted
    is reversed when the invoice is credited."""

    fee = TenantForeignKey(Fee, on_delete=models.CASCADE, related_name="accruals")
    month = models.DateField(_("month"))  # the first day of the month it is recognised in
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    invoiced_on = models.DateField(_("invoiced"))
    posted_at = models.DateTimeField(_("recognised"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("accrual")
        verbose_name_plural = _("accruals")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "fee", "month"], name="subscriptions_accrual_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "month"],
                condition=models.Q(posted_at__isnull=True, reversed_at__isnull=True),
                name="subscriptions_accrual_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount}"
