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
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from agreements.models import Agreement, AgreementLine, AgreementSuspension
from customers.models import (
    MONEY,
    AgreementGroup,
    Customer,
    CustomerContact,
    CustomerSite,
    LineKind,
    ServiceObject,
    ServiceTask,
    WorkLine,
)
from sla.models import BusinessCalendar, ServiceLevelAgreement
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key
from web.photos import Photo, UserPhoto, photo_field, photo_path


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


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of ``value`` in the active language (an unknown value as it is)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- Generation bookkeeping ----------------------------------------------------------------------


class GenerationTrigger(models.TextChoices):
    MANUAL = "manual", _("Button")
    SCHEDULE = "schedule", _("Daily job")
    COMMAND = "command", _("Command line")
    CHANGE = "change", _("Agreement change")


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
    # Only agreements of this customer, group or responsible person, only lines of this kind
    # (the page's and the command's filters); empty: no limit.
    customer = TenantForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    agreement_group = TenantForeignKey(
        AgreementGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement group"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible manager"),
    )
    line_kind = models.CharField(
        _("line type"), max_length=10, choices=LineKind.choices, blank=True
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
    orders_flagged = models.PositiveIntegerField(_("orders on a closed day"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("generation run")
        verbose_name_plural = _("generation runs")
        constraints = [tenant_key()]
        indexes = [
            models.Index(fields=["tenant", "trigger", "-started_at"], name="so_run_recent_idx")
        ]

    def get_absolute_url(self) -> str:
        return reverse("service_orders:generation_run_detail", args=[self.pk])

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


class NoticeKind(models.TextChoices):
    CUSTOMER_INACTIVE = "customer", _("Customer deactivated: nothing generated")
    OBJECT_INACTIVE = "object", _("Service object deactivated: its lines generated nothing")
    NO_OPEN_DAY = "closed", _("No open day in the time window: created on a closed day")
    HOLIDAY = "holiday", _("Falls on a holiday: check the visit")


class GenerationNotice(TenantOwned):
    """What a run left out or could not place as the agreement says (the run's page lists
    them): a deactivated customer or object, a visit created on a closed day."""

    run = TenantForeignKey(GenerationRun, on_delete=models.CASCADE, related_name="notices")
    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    agreement_line = TenantForeignKey(
        AgreementLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement line"),
    )
    order = TenantForeignKey(
        "ServiceOrder",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service order"),
    )
    kind = models.CharField(_("notice"), max_length=10, choices=NoticeKind.choices)
    day = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["run", "agreement", "day", "id"]
        verbose_name = _("generation notice")
        verbose_name_plural = _("generation notices")
        constraints = [
            tenant_key(),
            # A run processed again (a redelivered task) says each thing once.
            models.UniqueConstraint(
                fields=["tenant", "run", "agreement", "agreement_line", "order", "kind"],
                nulls_distinct=False,
                name="so_notice_once_per_run",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "run"], name="so_notice_run_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


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
    agreement_required = models.BooleanField(
        _("orders need an agreement"),
        default=False,
        help_text=_("Orders created by hand must name one of the customer's agreements."),
    )
    group_sla_on_generated = models.BooleanField(
        _("generated orders get the agreement group's SLA"),
        default=False,
        help_text=_(
            "When an agreement names no SLA of its own, orders generated from it get its "
            "group's default SLA. Off: they get only the agreement's own SLA."
        ),
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


# --- The tenant's stage tree --------------------------------------------------------------------


class OrderStage(TenantOwned):
    """A stage of the tenant's own workflow, mapped onto one lifecycle state of the order.

    The stages form a tree: one initial stage (the root, where new orders start); each stage's
    children are its "next stage" choices, and a stage may allow going back to its parent. A
    stage mapped to "cancelled" may stand alone (no parent): cancelling from any stage that
    allows it goes there. Which state may follow which is the order's FSM's decision
    (``ServiceOrder`` transitions); the configuration service refuses a child whose state
    cannot follow its parent's."""

    name = models.CharField(_("stage name"), max_length=80)
    code = models.SlugField(_("stage code"), max_length=30, allow_unicode=False)
    state = models.CharField(
        _("lifecycle state"),
        max_length=20,
        choices=OrderState.choices,
        help_text=_("The fixed state of the order while it is at this stage."),
    )
    parent = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("previous stage"),
        help_text=_("The stage this one follows; this stage is one of its next-stage choices."),
    )
    is_initial = models.BooleanField(_("initial stage"), default=False, editable=False)
    back_allowed = models.BooleanField(
        _("going back allowed"),
        default=False,
        help_text=_("Orders at this stage may go back to the previous stage."),
    )
    can_modify = models.BooleanField(
        _("lines can be changed"),
        default=True,
        help_text=_("Lines may be added, cancelled or moved."),
    )
    can_cancel = models.BooleanField(_("can be cancelled"), default=True)
    can_delete = models.BooleanField(_("can be deleted"), default=False)
    can_post = models.BooleanField(_("can be posted"), default=False)
    stops_sla = models.BooleanField(_("stops the SLA clock"), default=False)
    requires_reason = models.BooleanField(
        _("requires a reason"),
        default=False,
        help_text=_("Moving an order here asks for a reason."),
    )
    requires_signoff = models.BooleanField(
        _("requires sign-off to leave"),
        default=False,
        help_text=_("An order leaves this stage only once the customer has signed off."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("order stage")
        verbose_name_plural = _("order stages")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="so_stage_code"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_initial=True),
                name="so_stage_one_initial",
            ),
            models.CheckConstraint(
                condition=models.Q(is_initial=False) | models.Q(parent__isnull=True),
                name="so_stage_initial_is_root",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "parent"], name="so_stage_parent_idx")]

    def __str__(self) -> str:
        return self.name


class ReasonCode(TenantOwned):
    """A reason to pick when an order moves to (or is cancelled at) a stage."""

    stage = TenantForeignKey(
        OrderStage, on_delete=models.CASCADE, related_name="reasons", verbose_name=_("stage")
    )
    code = models.SlugField(_("reason code"), max_length=30)
    name = models.CharField(_("reason"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "stage", "code"], name="so_reason_code"),
        ]

    def __str__(self) -> str:
        return self.name


class StageLogKind(models.TextChoices):
    CREATE = "create", pgettext_lazy("stage log kind", "Created")
    STAGE = "stage", pgettext_lazy("stage log kind", "Stage change")
    CANCEL = "cancel", pgettext_lazy("stage log kind", "Cancelled")
    REVOKE = "revoke", pgettext_lazy("stage log kind", "Cancellation revoked")


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
    # The tenant's stage the order is at (its state is the stage's); set by the stage services.
    stage = TenantForeignKey(
        OrderStage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stage"),
    )
    assigned_technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned technician"),
    )
    # When the customer signed off the work; a stage that requires sign-off to leave waits for it.
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA"),
    )
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
            # "My orders": a technician's open orders by date.
            models.Index(
                fields=["tenant", "assigned_technician", "preferred_date"],
                condition=models.Q(state__in=OPEN_STATES),
                name="so_order_technician_open_idx",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("service_orders:order_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.description}"

    # The labels of the state and the priority, as Django's get_FOO_display gives them, without
    # its cost: Django hashes every choice's lazy label (translating each) on every call, and a
    # list or "My orders" shows hundreds.
    def get_state_display(self) -> str:
        return _choice_label(OrderState, self.state)

    def get_priority_display(self) -> str:
        return _choice_label(Priority, self.priority)

    @property
    def order_is_signed_off(self) -> bool:
        """The customer has signed the work receipt (see OrderSignOff)."""
        return self.signed_off_at is not None

    @property
    def service_address(self) -> str:
        if self.address:
            return self.address
        return self.site.one_line if self.site_id else ""

    # The lifecycle: which state may follow which. A stage move that changes the state goes
    # through the one transition from the old state to the new (services.stages); a move with
    # no transition is refused, and so is a stage tree that would need one.

    @transition(
        field=state, source=[OrderState.NEW, OrderState.ON_HOLD], target=OrderState.SCHEDULED
    )
    def schedule(self) -> None:
        pass

    @transition(field=state, source=OrderState.SCHEDULED, target=OrderState.NEW)
    def unschedule(self) -> None:
        pass

    @transition(
        field=state,
        source=[OrderState.NEW, OrderState.SCHEDULED, OrderState.ON_HOLD, OrderState.COMPLETED],
        target=OrderState.IN_PROGRESS,
    )
    def start(self) -> None:
        pass

    @transition(
        field=state,
        source=[OrderState.NEW, OrderState.SCHEDULED, OrderState.IN_PROGRESS],
        target=OrderState.ON_HOLD,
    )
    def hold(self) -> None:
        pass

    @transition(field=state, source=OrderState.IN_PROGRESS, target=OrderState.COMPLETED)
    def complete(self) -> None:
        pass

    @transition(field=state, source=OrderState.COMPLETED, target=OrderState.POSTED)
    def post(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=OrderState.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=state, source=OrderState.CANCELLED, target=RETURN_VALUE(*OPEN_STATES))
    def revoke_cancel(self, to_state: str) -> str:
        """Back to the open state the order was cancelled from."""
        return to_state


def state_transition(source: str, target: str) -> str | None:
    """The name of the ServiceOrder transition from ``source`` to ``target`` (None when the
    lifecycle has none; the same state needs none and gives "")."""
    if source == target:
        return ""
    for t in ServiceOrder._meta.get_field("state").get_all_transitions(ServiceOrder):
        sources = {t.source} if not isinstance(t.source, list | tuple) else set(t.source)
        if source not in sources and "*" not in sources:
            continue
        targets = getattr(t.target, "allowed_states", None) or [t.target]
        if target in targets:
            return t.name
    return None


class ServiceOrderObject(TenantOwned):
    """A service object the order covers (copied from the agreement's object relations)."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="object_links", verbose_name=_("order")
    )
    service_object = TenantForeignKey(
        ServiceObject, on_delete=models.PROTECT, related_name="+", verbose_name=_("service object")
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order object")
        verbose_name_plural = _("order objects")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "order", "service_object"], name="so_order_object_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.service_object_id)


class ServiceOrderTask(TenantOwned):
    """A service task of the order with the agreement's notes on it: the internal note is shown
    to the technician, the customer note is printed on the work receipt."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="task_links", verbose_name=_("order")
    )
    task = TenantForeignKey(
        ServiceTask, on_delete=models.PROTECT, related_name="+", verbose_name=_("service task")
    )
    internal_note = models.TextField(_("note for the technician"), blank=True)
    customer_note = models.TextField(_("note for the customer"), blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order task")
        verbose_name_plural = _("order tasks")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "order", "task"], name="so_order_task_once"),
        ]

    def __str__(self) -> str:
        return str(self.task_id)


class StageLog(TenantOwned):
    """Every stage change of an order: from where to where, why, who and when."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=StageLogKind.choices, default=StageLogKind.STAGE
    )
    from_stage = TenantForeignKey(
        OrderStage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from stage"),
    )
    to_stage = TenantForeignKey(
        OrderStage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to stage"),
    )
    from_state = models.CharField(
        _("from state"), max_length=20, choices=OrderState.choices, blank=True
    )
    to_state = models.CharField(_("to state"), max_length=20, choices=OrderState.choices)
    reason_code = TenantForeignKey(
        ReasonCode,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reason code"),
    )
    reason_text = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [tenant_key()]
        indexes = [models.Index(fields=["tenant", "order", "at"], name="so_stagelog_order_idx")]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class DeletedOccurrence(TenantOwned):
    """An agreement line's occurrence whose generated order was deleted by hand: generation
    treats it as done and never creates it again."""

    agreement_line = TenantForeignKey(
        AgreementLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("agreement line")
    )
    calculated_date = models.DateField(_("calculated date"))
    order_number = models.CharField(_("deleted order"), max_length=20)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )
    deleted_at = models.DateTimeField(_("deleted"), auto_now_add=True)

    class Meta:
        verbose_name = _("deleted generated occurrence")
        verbose_name_plural = _("deleted generated occurrences")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "agreement_line", "calculated_date"],
                name="so_deleted_occurrence_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} {self.calculated_date}"


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
    # Hour lines: when the work started and ended (a running timer has a start and no end yet).
    started_at = models.DateTimeField(_("start time"), null=True, blank=True)
    ended_at = models.DateTimeField(_("end time"), null=True, blank=True)
    # Item lines of serial-tracked items: the serial number of the unit used.
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

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
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="service_orders_line_quantity_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="service_orders_line_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "order"], name="so_line_order_idx")]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.description}"

    # As ServiceOrder's: the label looked up, not every choice's label translated on each call
    # (the order page shows two per line, twice).
    def get_kind_display(self) -> str:
        return _choice_label(LineKind, self.kind)

    def get_status_display(self) -> str:
        return _choice_label(LineStatus, self.status)


# --- The technician's record: photos and the customer's sign-off ----------------------------


def order_photo_path(photo: "OrderPhoto", filename: str) -> str:
    """Per tenant and order, under a random name (web.photos): the file is served only through
    the photo view."""
    return photo_path(photo, "orders", photo.order_id)


class OrderPhoto(UserPhoto):
    """A photo the technician attached to an order."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    image = photo_field(order_photo_path)

    class Meta(UserPhoto.Meta):
        verbose_name = _("order photo")
        verbose_name_plural = _("order photos")
        indexes = [models.Index(fields=["tenant", "order"], name="so_photo_order_idx")]


class OrderSignOff(TenantOwned):
    """The customer's signature on the work receipt of an order: at most one per order, never
    changed. The receipt PDF is rendered once, at signing, and kept with its SHA-256, so what
    the customer signed can be shown and proven later whatever happens to the order."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.PROTECT, related_name="+", verbose_name=_("order")
    )
    signer_name = models.CharField(_("signed by (name)"), max_length=120)
    signature_png = models.BinaryField(_("signature"), editable=False)
    signed_at = models.DateTimeField(_("signed at"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technician"),
    )
    language = models.CharField(_("language"), max_length=10)
    receipt_pdf = models.BinaryField(_("work receipt"), editable=False)
    receipt_sha256 = models.CharField(_("receipt SHA-256"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "order"], name="so_signoff_once_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.signed_at:%Y-%m-%d %H:%M}"


# --- Web requests: service asked for by a customer's contact (or a technician in the field) ------


class WebRequestState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("web request state", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("web request state", "Accepted")
    REJECTED = "rejected", pgettext_lazy("web request state", "Rejected")


class WebRequest(FSMModelMixin, TenantOwned):
    """A request for service: submitted by a customer contact (the portal) or by a technician
    from the field; the dispatcher accepts it (it becomes an order of origin "web request") or
    rejects it with a reason. Once decided it never changes again."""

    number = models.CharField(_("number"), max_length=20)
    customer = TenantForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    site = TenantForeignKey(
        CustomerSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service site"),
    )
    service_object = TenantForeignKey(
        ServiceObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service object"),
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
    preferred_date = models.DateField(_("preferred date"), null=True, blank=True)
    state = FSMField(
        _("state"),
        choices=WebRequestState.choices,
        default=WebRequestState.SUBMITTED,
        protected=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)
    order = TenantForeignKey(
        ServiceOrder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service order"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("web request")
        verbose_name_plural = _("web requests")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="so_webrequest_number"),
            # An accepted request became exactly one order; a rejected one says why.
            models.CheckConstraint(
                condition=~models.Q(state="accepted") | models.Q(order__isnull=False),
                name="so_webrequest_accepted_has_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reject_reason=""),
                name="so_webrequest_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "state", "submitted_at"], name="so_webrequest_state_idx"
            ),
            models.Index(fields=["tenant", "customer"], name="so_webrequest_customer_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("service_orders:request_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.description}"

    @property
    def is_pending(self) -> bool:
        return self.state == WebRequestState.SUBMITTED

    @transition(field=state, source=WebRequestState.SUBMITTED, target=WebRequestState.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=WebRequestState.SUBMITTED, target=WebRequestState.REJECTED)
    def reject(self) -> None:
        pass


def web_request_photo_path(photo: "WebRequestPhoto", filename: str) -> str:
    """Per tenant and request, under a random name (as order photos: never a public address)."""
    return photo_path(photo, "requests", photo.request_id)


class WebRequestPhoto(Photo):
    """A photo sent with a web request (copied to the order when the request is accepted)."""

    request = TenantForeignKey(
        WebRequest, on_delete=models.CASCADE, related_name="+", verbose_name=_("web request")
    )
    image = photo_field(web_request_photo_path)

    class Meta(Photo.Meta):
        verbose_name = _("web request photo")
        verbose_name_plural = _("web request photos")
        indexes = [models.Index(fields=["tenant", "request"], name="so_webrequest_photo_idx")]


# --- Reconciliation with agreement changes --------------------------------------------------


class CoverageCause(models.TextChoices):
    """Why generated work was cancelled (customers.coverage): the change that stopped covering
    it."""

    AGREEMENT_SUSPENDED = "agreement_suspended", _("Agreement suspended")
    AGREEMENT_CANCELLED = "agreement_cancelled", _("Agreement cancelled")
    AGREEMENT_EXPIRED = "agreement_expired", _("Agreement expired")
    AGREEMENT_CHANGED = "agreement_changed", _("Agreement dates changed")
    LINE_STOPPED = "line_stopped", _("Agreement line stopped")
    LINE_CHANGED = "line_changed", _("Agreement line rescheduled")
    CUSTOMER_DEACTIVATED = "customer_deactivated", _("Customer deactivated")
    OBJECT_DEACTIVATED = "object_deactivated", _("Service object deactivated")


class CoverageCancellation(TenantOwned):
    """One generated order line that an agreement change cancelled, alone or with its whole
    order (``whole_order``). Kept so that the work comes back when it is covered again (a
    resumed agreement, a restarted line): ``restored_at`` is set then."""

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    line = TenantForeignKey(
        ServiceOrderLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("order line")
    )
    whole_order = models.BooleanField(_("whole order cancelled"), default=False)
    agreement = TenantForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="+", verbose_name=_("agreement")
    )
    agreement_line = TenantForeignKey(
        AgreementLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("agreement line")
    )
    calculated_date = models.DateField(_("calculated date"))
    cause = models.CharField(_("cause"), max_length=30, choices=CoverageCause.choices)
    suspension = TenantForeignKey(
        AgreementSuspension,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suspension"),
    )
    cancelled_at = models.DateTimeField(_("cancelled"), auto_now_add=True)
    restored_at = models.DateTimeField(_("restored"), null=True, blank=True)

    class Meta:
        ordering = ["calculated_date", "id"]
        verbose_name = _("cancellation by an agreement change")
        verbose_name_plural = _("cancellations by agreement changes")
        constraints = [tenant_key()]
        indexes = [
            models.Index(
                fields=["tenant", "agreement", "calculated_date"],
                condition=models.Q(restored_at__isnull=True),
                name="so_coverage_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} {self.calculated_date}"


class ClockStatus(models.TextChoices):
    ON_TRACK = "on_track", pgettext_lazy("SLA status", "On track")
    AT_RISK = "at_risk", pgettext_lazy("SLA status", "At risk")
    BREACHED = "breached", pgettext_lazy("SLA status", "Breached")
    MET = "met", pgettext_lazy("SLA status", "Met")
    CANCELLED = "cancelled", pgettext_lazy("SLA status", "Cancelled")


class SlaSource(models.TextChoices):
    ORDER = "order", _("the order's own")
    AGREEMENT = "agreement", _("the agreement's")
    AGREEMENT_GROUP = "agreement_group", _("the agreement group's")
    CUSTOMER = "customer", _("the customer's")
    TENANT = "tenant", _("the tenant default")


class OrderClock(TenantOwned):
    """The SLA clock of one order: what applies, when it is due, and how it ended.

    Pauses are not stored as such: they are derived from the stage log (stages that stop SLA
    time) and from manual stops (ClockEvent), so recomputing after a calendar or SLA change gives
    the live clock's answer. ``status`` of a completed order (met/breached) is decided once
    (``decided_at``) and kept; a clock that breached while running stays breached.
    """

    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("SLA"),
    )
    sla_source = models.CharField(_("SLA from"), max_length=20, choices=SlaSource.choices)
    calendar = TenantForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    response_target = models.DurationField(_("response target"), null=True, blank=True)
    resolution_target = models.DurationField(_("resolution target"))
    warning_percent = models.PositiveSmallIntegerField(_("warning threshold (%)"))
    created_at = models.DateTimeField(_("order created"))
    started_at = models.DateTimeField(_("clock started"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(
        _("resolution due"), null=True, blank=True, help_text=_("Empty while the clock is paused.")
    )
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    used = models.DurationField(_("working time used"), default=datetime.timedelta)
    used_as_of = models.DateTimeField(_("used as of"))
    status = models.CharField(
        _("SLA status"), max_length=10, choices=ClockStatus.choices, default=ClockStatus.ON_TRACK
    )
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    late_reason = models.TextField(_("reason for completing late"), blank=True)
    # The next moment an escalation level is reached; NULL when none is left or the clock is
    # paused, stopped or settled. The escalation sweep selects by it (indexed), never scanning.
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)
    next_escalation_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    recomputed_at = models.DateTimeField(_("recomputed"), null=True, blank=True)

    class Meta:
        ordering = ["resolution_due", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "order"], name="so_clock_one_per_order"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_escalation_at"],
                condition=models.Q(next_escalation_at__isnull=False),
                name="so_clock_escalation_idx",
            ),
            models.Index(fields=["tenant", "status", "resolution_due"], name="so_clock_status_idx"),
            models.Index(fields=["tenant", "calendar"], name="so_clock_calendar_idx"),
            models.Index(fields=["tenant", "sla"], name="so_clock_sla_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"

    @property
    def is_decided(self) -> bool:
        """Met, breached at completion, or cancelled: never recomputed again."""
        return self.decided_at is not None

    @property
    def is_running(self) -> bool:
        return not self.is_decided and self.stopped_at is None and self.paused_since is None


class ClockEventKind(models.TextChoices):
    STOP = "stop", pgettext_lazy("SLA clock event", "Stopped by hand")
    START = "start", pgettext_lazy("SLA clock event", "Started by hand")
    CANCEL = "cancel", pgettext_lazy("SLA clock event", "Cancelled")
    LATE = "late", pgettext_lazy("SLA clock event", "Completed late")


class ClockEvent(TenantOwned):
    """A manual action on an order's clock, with its reason; manual stops pause the clock."""

    clock = TenantForeignKey(
        OrderClock, on_delete=models.CASCADE, related_name="events", verbose_name=_("SLA clock")
    )
    kind = models.CharField(_("action"), max_length=10, choices=ClockEventKind.choices)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")
        constraints = [tenant_key()]
        indexes = [models.Index(fields=["tenant", "clock", "at"], name="so_clockevent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at}"


class Escalation(TenantOwned):
    """An order's clock reached one escalation level (a percentage of its resolution target) and
    the level's people were notified. Unique per order and level: two sweeps racing, a retried
    task or a recomputed clock never notify twice (service_orders/services/escalations.py)."""

    clock = TenantForeignKey(
        OrderClock, on_delete=models.CASCADE, related_name="+", verbose_name=_("SLA clock")
    )
    order = TenantForeignKey(
        ServiceOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    percent = models.PositiveSmallIntegerField(_("percentage of the resolution target"))
    reached_at = models.DateTimeField(_("level reached"))
    escalated_at = models.DateTimeField(_("escalated"))
    notified = models.PositiveSmallIntegerField(_("people notified"), default=0)

    class Meta:
        ordering = ["reached_at", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "order", "percent"], name="so_escalation_once_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.percent} %"


class EscalationFailure(TenantOwned):
    """A clock the sweep could not escalate (its savepoint was rolled back, the others went on);
    the clock stays due, so the next sweep tries again."""

    clock = TenantForeignKey(
        OrderClock, on_delete=models.CASCADE, related_name="+", verbose_name=_("SLA clock")
    )
    percent = models.PositiveSmallIntegerField(_("percentage of the resolution target"), null=True)
    failed_at = models.DateTimeField(_("failed"))
    error = models.TextField(_("error"))

    class Meta:
        ordering = ["-failed_at", "-id"]
        verbose_name = _("escalation failure")
        verbose_name_plural = _("escalation failures")
        constraints = [tenant_key()]
        indexes = [models.Index(fields=["tenant", "clock"], name="so_escalation_failure_idx")]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.failed_at}"
