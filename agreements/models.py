"""Master data (customers, sites, contacts, items, service objects, tasks) and service agreements.

Every model is tenant-owned; every reference between them is also checked by the database to stay
within one tenant (tenancy.rls adds composite foreign keys on (tenant_id, id)).
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from sla.models import ServiceLevelAgreement
from tenancy.models import TenantOwned, tenant_key

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


# --- Customers ----------------------------------------------------------------------------------


class Customer(TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    default_agreement_group = models.ForeignKey(
        "AgreementGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default agreement group"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="agreements_customer_number"),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="agreements_customer_name_idx")]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"


class CustomerSite(TenantOwned):
    """A service address of a customer (where technicians go)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="sites", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=120)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, blank=True)
    is_default = models.BooleanField(_("default site"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("service site")
        verbose_name_plural = _("service sites")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "customer"],
                condition=models.Q(is_default=True),
                name="agreements_site_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.street}, {self.city}"

    @property
    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postal_code} {self.city}".strip()) if p)


class CustomerContact(TenantOwned):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [tenant_key()]

    def __str__(self) -> str:
        return self.name


# --- Items, service tasks, service objects ------------------------------------------------------


class Item(TenantOwned):
    """Spare parts and equipment models: used by objects, agreement lines, order lines, BOMs."""

    number = models.CharField(_("number"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, default="pcs")
    is_serial_tracked = models.BooleanField(_("serial-tracked"), default=False)
    cost_price = models.DecimalField(
        _("cost price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    sales_price = models.DecimalField(
        _("sales price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="agreements_item_number"),
            models.CheckConstraint(
                condition=models.Q(cost_price__gte=0, sales_price__gte=0),
                name="agreements_item_prices_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"


class ServiceTask(TenantOwned):
    """A kind of work: "annual inspection", "filter change"."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    default_duration_minutes = models.PositiveIntegerField(
        _("default duration (minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    required_skill = models.CharField(_("required skill"), max_length=80, blank=True)
    checklist = models.TextField(_("checklist"), blank=True, help_text=_("One step per line."))
    customer_note = models.TextField(_("note for the customer"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service task")
        verbose_name_plural = _("service tasks")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="agreements_task_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def checklist_steps(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class ServiceObjectGroup(TenantOwned):
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("object group")
        verbose_name_plural = _("object groups")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="agreements_objgroup_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceObject(TenantOwned):
    """The thing serviced: a machine, an installation, a licence, a building. Objects form a
    tree per customer (a boiler and its burner)."""

    number = models.CharField(_("number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    group = models.ForeignKey(
        ServiceObjectGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_objects",
        verbose_name=_("object group"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="service_objects",
        verbose_name=_("customer"),
    )
    site = models.ForeignKey(
        CustomerSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_objects",
        verbose_name=_("site"),
    )
    item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_objects",
        verbose_name=_("item"),
    )
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    install_date = models.DateField(_("installed on"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty until"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("service object")
        verbose_name_plural = _("service objects")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="agreements_object_number"),
            # Serial numbers are unique per item within a tenant (blank serials don't count).
            models.UniqueConstraint(
                fields=["tenant", "item", "serial_number"],
                condition=~models.Q(serial_number=""),
                name="agreements_object_unique_serial",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="agreements_object_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.install_date and self.warranty_end and self.warranty_end < self.install_date:
            errors["warranty_end"] = _("The warranty cannot end before the installation date.")
        if self.site_id and self.customer_id and self.site.customer_id != self.customer_id:
            errors["site"] = _("Choose a site of this object's customer.")
        if self.parent_id:
            if self.parent.customer_id != self.customer_id:
                errors["parent"] = _("A part must belong to the same customer as its parent.")
            ancestor, seen = self.parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if self.pk and ancestor.pk == self.pk:
                    errors["parent"] = _("An object cannot be part of itself.")
                    break
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
        if errors:
            raise ValidationError(errors)


# --- Agreements ----------------------------------------------------------------------------------


class AgreementGroup(TenantOwned):
    """Gold / Silver / Bronze…: carries a default SLA."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    default_sla = models.ForeignKey(
        ServiceLevelAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default SLA"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("agreement group")
        verbose_name_plural = _("agreement groups")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="agreements_group_code"),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateGroup(TenantOwned):
    """Folders for agreement templates; they form a tree."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
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
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("customer"),
        null=True,
        blank=True,  # only templates may leave it empty
    )
    description = models.CharField(_("description"), max_length=200)
    group = models.ForeignKey(
        AgreementGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("agreement group"),
    )
    is_template = models.BooleanField(_("template"), default=False)
    template_group = models.ForeignKey(
        TemplateGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="templates",
        verbose_name=_("template group"),
    )
    created_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created from template"),
    )
    renewed_from = models.ForeignKey(
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
    sla = models.ForeignKey(
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
    objects_covered = models.ManyToManyField(
        ServiceObject,
        through="AgreementObject",
        related_name="agreements",
        verbose_name=_("service objects"),
        blank=True,
    )
    tasks = models.ManyToManyField(
        ServiceTask,
        through="AgreementTask",
        related_name="agreements",
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

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="suspensions", verbose_name=_("agreement")
    )
    suspended_from = models.DateField(_("suspended from"))
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    backfill = models.BooleanField(_("back-fill the suspended period"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-suspended_from"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [tenant_key()]
        indexes = [models.Index(fields=["tenant", "agreement"], name="agreements_susp_agr_idx")]

    def __str__(self) -> str:
        return f"{self.suspended_from}–{self.resumed_on or ''}"


class AgreementObject(TenantOwned):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="object_links")
    service_object = models.ForeignKey(
        ServiceObject, on_delete=models.PROTECT, related_name="agreement_links"
    )

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
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="task_links")
    task = models.ForeignKey(ServiceTask, on_delete=models.PROTECT, related_name="agreement_links")

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


class TransactionType(models.TextChoices):
    HOUR = "hour", _("Hours")
    ITEM = "item", _("Item")
    EXPENSE = "expense", _("Expense")
    FEE = "fee", _("Fee")


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


class AgreementLine(TenantOwned):
    """What work, on which object, how often, at what price."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("agreement")
    )
    position = models.PositiveIntegerField(_("line"), default=10)
    transaction_type = models.CharField(
        _("type"), max_length=10, choices=TransactionType.choices, default=TransactionType.HOUR
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    service_object = models.ForeignKey(
        ServiceObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_lines",
        verbose_name=_("service object"),
    )
    task = models.ForeignKey(
        ServiceTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_lines",
        verbose_name=_("service task"),
    )
    item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_lines",
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
    # Recurrence: no unit means "not recurring" (the line is never generated).
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
    quantity = models.DecimalField(
        _("quantity"), **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit_price = models.DecimalField(
        _("unit price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the price list's price."),
    )
    is_stopped = models.BooleanField(_("stopped"), default=False)

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
        if self.transaction_type == TransactionType.ITEM and not self.item_id:
            errors["item"] = _("An item line needs an item.")
        if errors:
            raise ValidationError(errors)


# --- Generation bookkeeping ----------------------------------------------------------------------


class GenerationTrigger(models.TextChoices):
    MANUAL = "manual", _("Button")
    SCHEDULE = "schedule", _("Daily job")
    COMMAND = "command", _("Command line")


class GenerationRun(TenantOwned):
    """One run of "generate service orders" for one tenant and period."""

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
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
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
            models.Index(
                fields=["tenant", "trigger", "-started_at"], name="agreements_run_recent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"


class GenerationError(TenantOwned):
    """An agreement that failed to generate, with its message; resolved by a later success."""

    run = models.ForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="errors")
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="generation_errors"
    )
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
                name="agreements_generr_open_idx",
            )
        ]

    def __str__(self) -> str:
        return self.message[:80]
