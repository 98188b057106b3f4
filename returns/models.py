"""Returns (RMA): return orders with lines picked from the customer's invoices, the tenant's
return reasons, and what each line's disposition did (credit notes, replacement and repair
orders).

A return order is created, then opened (the customer is told the RMA number and sends the goods),
each line's arrival is registered, each arrived line gets a disposition that acts (a credit note
through the invoice ledger, a replacement order, a repair order of origin "return"), and the
return is closed once every line has its disposition. Only a return not yet opened can be
cancelled.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import MONEY, QUANTITY, Customer, WorkLine
from invoicing.models import Invoice, InvoiceLine
from service_orders.models import ServiceOrder
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key


class ReturnState(models.TextChoices):
    CREATED = "created", pgettext_lazy("return state", "Created")
    OPEN = "open", pgettext_lazy("return state", "Open")
    CLOSED = "closed", pgettext_lazy("return state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("return state", "Cancelled")


class Disposition(models.TextChoices):
    CREDIT = "credit", pgettext_lazy("return disposition", "Credit")
    CREDIT_ONLY = "credit_only", pgettext_lazy("return disposition", "Credit only")
    SCRAP = "scrap", pgettext_lazy("return disposition", "Scrap")
    REPLACE_CREDIT = "replace_credit", pgettext_lazy("return disposition", "Replace and credit")
    REPLACE_SCRAP = "replace_scrap", pgettext_lazy("return disposition", "Replace and scrap")
    REPAIR = "repair", pgettext_lazy("return disposition", "Repair and return")
    RETURN = "return", pgettext_lazy("return disposition", "Return to customer")


# What each disposition does.
CREDITING = frozenset({Disposition.CREDIT, Disposition.CREDIT_ONLY, Disposition.REPLACE_CREDIT})
REPLACING = frozenset({Disposition.REPLACE_CREDIT, Disposition.REPLACE_SCRAP})
REPAIRING = frozenset({Disposition.REPAIR})


class ReturnReason(TenantOwned):
    """Why goods come back (defective, wrong item, not needed…): a table the managers keep."""

    code = models.SlugField(_("reason code"), max_length=30)
    name = models.CharField(_("return reason"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code", "id"]
        verbose_name = _("return reason")
        verbose_name_plural = _("return reasons")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="returns_reason_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ReturnOrder(FSMModelMixin, TenantOwned):
    number = models.CharField(_("RMA number"), max_length=20)
    customer = TenantForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    reason = TenantForeignKey(
        ReturnReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("return reason")
    )
    deadline = models.DateField(
        _("return deadline"), help_text=_("The goods must arrive by this date.")
    )
    notes = models.TextField(_("note on the return"), blank=True)
    state = FSMField(
        _("state"),
        max_length=10,
        choices=ReturnState.choices,
        default=ReturnState.CREATED,
        protected=True,
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
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("return order")
        verbose_name_plural = _("return orders")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="returns_order_number"),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "deadline"], name="returns_order_state_idx"),
            models.Index(fields=["tenant", "customer"], name="returns_order_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("returns:return_detail", args=[self.pk])

    @transition(field=state, source=ReturnState.CREATED, target=ReturnState.OPEN)
    def open(self) -> None:
        pass

    @transition(field=state, source=ReturnState.OPEN, target=ReturnState.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=state, source=ReturnState.CREATED, target=ReturnState.CANCELLED)
    def cancel(self) -> None:
        pass


class ReturnLine(WorkLine):
    """An item (or one serial) coming back, picked from a line of the customer's invoice: the
    quantity expected, what has arrived, and the disposition once decided. A disposition for
    part of the quantity splits the line: the rest stays on a new line (``split_from``)."""

    return_order = TenantForeignKey(
        ReturnOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("return order")
    )
    invoice_line = TenantForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice line")
    )
    invoice = TenantForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    received_quantity = models.DecimalField(_("quantity arrived"), **QUANTITY, default=Decimal("0"))
    received_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=Disposition.choices, blank=True
    )
    disposition_note = models.CharField(_("disposition note"), max_length=300, blank=True)
    disposed_at = models.DateTimeField(_("disposition decided"), null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disposition decided by"),
    )
    split_from = TenantForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("split from"),
    )
    replacement_order = TenantForeignKey(
        ServiceOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replacement order"),
    )
    repair_order = TenantForeignKey(
        ServiceOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("repair order"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["return_order", "position", "id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="returns_line_quantity_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(received_quantity__gte=0)
                & models.Q(received_quantity__lte=models.F("quantity")),
                name="returns_line_received_within_quantity",
            ),
            # A disposition is decided for what has arrived, all of it.
            models.CheckConstraint(
                condition=models.Q(disposition="")
                | models.Q(received_quantity=models.F("quantity")),
                name="returns_line_disposition_arrived",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "return_order"], name="returns_line_order_idx"),
            models.Index(fields=["tenant", "invoice_line"], name="returns_line_invline_idx"),
            models.Index(fields=["tenant", "invoice"], name="returns_line_invoice_idx"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_disposed(self) -> bool:
        return bool(self.disposition)


class ReturnCredit(TenantOwned):
    """The credit note a line's disposition issued. One per line, by a unique constraint: a
    repeated or concurrent disposition can never credit the same goods twice."""

    line = TenantForeignKey(
        ReturnLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("return line")
    )
    credit_note = TenantForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("credit note")
    )
    amount = models.DecimalField(_("amount credited"), **MONEY)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("return credit")
        verbose_name_plural = _("return credits")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "line"], name="returns_line_credited_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "credit_note"], name="returns_credit_note_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.credit_note}"
