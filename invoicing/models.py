"""The one invoice ledger: invoices and credit notes, their lines, payments, the per-tenant-year
counters that keep invoice numbers gapless, and the tenant's invoicing settings.

An invoice is a draft until it is issued: subscriptions, posted service orders and people add
lines to the customer's open draft (one per customer and currency). Issuing gives it the next
number of its tenant and year (a counter row locked in the issuing transaction, so numbers stay
gapless however many people issue at once, and a cancelled draft never took one) and freezes it:
from then on it is corrected only by a credit note that references it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from customers.models import MONEY, Customer, WorkLine
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key

RATE = {"max_digits": 5, "decimal_places": 2}
FACTOR = {"max_digits": 9, "decimal_places": 6}


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("invoice state", "Draft")
    ISSUED = "issued", pgettext_lazy("invoice state", "Issued")
    PAID = "paid", pgettext_lazy("invoice state", "Paid")
    CREDITED = "credited", pgettext_lazy("invoice state", "Credited")
    CANCELLED = "cancelled", pgettext_lazy("invoice state", "Cancelled")


# What the accounts-receivable view counts as still to be paid.
OPEN_STATES = (InvoiceState.ISSUED,)


class InvoicingSettings(TenantOwned):
    """A tenant's invoicing settings: at most one row per tenant, the defaults while there is
    none (read through selectors.invoicing_settings)."""

    legal_name = models.CharField(
        _("company name on invoices"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the tenant's name."),
    )
    address = models.TextField(_("company address"), blank=True)
    tax_id = models.CharField(_("company tax ID"), max_length=40, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=80, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("default payment terms (days)"),
        default=14,
        validators=[MaxValueValidator(365)],
    )
    default_tax_rate = models.DecimalField(
        _("default tax rate (%)"),
        **RATE,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    posting_requires_signoff = models.BooleanField(
        _("posting needs the customer's sign-off"),
        default=False,
        help_text=_("A service order is posted to an invoice only once the customer has signed."),
    )
    dispatchers_may_post = models.BooleanField(
        _("dispatchers may post service orders"),
        default=False,
    )

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant"], name="invoicing_settings_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(default_tax_rate__gte=0, default_tax_rate__lte=100),
                name="invoicing_settings_tax_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class InvoiceCounter(TenantOwned):
    """The last number given to an invoice (or credit note) of one tenant and year. Issuing
    locks this row, so numbers are consecutive and every number is used exactly once."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "kind", "year"], name="invoicing_counter_per_kind_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_value}"


class Invoice(TenantOwned):
    kind = models.CharField(
        _("document type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    state = FSMField(
        _("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.DRAFT
    )
    # Given at issue: the year and the place in that year's sequence, and the printed number.
    number = models.CharField(_("invoice number"), max_length=30, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Who the invoice is made out to (the invoice account of the customer served).
    customer = TenantForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    currency = models.CharField(_("currency"), max_length=3)
    # A credit note: the invoice it credits.
    credited_invoice = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credited invoice"),
    )
    issue_date = models.DateField(_("invoice date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # The customer's details as printed, frozen at issue.
    bill_to_name = models.CharField(_("customer name"), max_length=200, blank=True)
    bill_to_address = models.TextField(_("billing address"), blank=True)
    bill_to_tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    notes = models.TextField(_("note on the invoice"), blank=True)
    # Totals, kept with the lines (drafts) and frozen at issue.
    net_total = models.DecimalField(_("net amount"), **MONEY, default=Decimal("0"))
    tax_total = models.DecimalField(_("tax"), **MONEY, default=Decimal("0"))
    gross_total = models.DecimalField(_("total"), **MONEY, default=Decimal("0"))
    paid_total = models.DecimalField(_("paid"), **MONEY, default=Decimal("0"))
    credited_total = models.DecimalField(_("credited"), **MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("issued by"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    sent_to = models.EmailField(_("sent to"), blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            tenant_key(),
            # Gapless numbering: each (kind, year, place) is used once.
            models.UniqueConstraint(
                fields=["tenant", "kind", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="invoicing_invoice_number_once",
            ),
            # One open draft per customer and currency: lines from everywhere gather on it.
            models.UniqueConstraint(
                fields=["tenant", "customer", "currency"],
                condition=models.Q(state="draft", kind="invoice"),
                name="invoicing_one_open_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["draft", "cancelled"])
                | models.Q(sequence__isnull=False, issue_date__isnull=False),
                name="invoicing_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice") | models.Q(credited_invoice__isnull=False),
                name="invoicing_credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_total__gte=0, credited_total__gte=0),
                name="invoicing_paid_credited_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "due_date"], name="invoicing_inv_due_idx"),
            models.Index(fields=["tenant", "customer"], name="invoicing_inv_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft %(id)s") % {"id": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("invoicing:invoice_detail", args=[self.pk])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def open_amount(self) -> Decimal:
        """What the customer still owes on an issued invoice."""
        if self.is_credit_note or self.state in (InvoiceState.DRAFT, InvoiceState.CANCELLED):
            return Decimal("0")
        return self.gross_total - self.paid_total - self.credited_total

    @property
    def creditable_amount(self) -> Decimal:
        return self.gross_total - self.credited_total

    def is_overdue(self, today) -> bool:
        return (
            self.state == InvoiceState.ISSUED
            and self.due_date is not None
            and self.due_date < today
            and self.open_amount > 0
        )

    @transition(field=state, source=InvoiceState.DRAFT, target=InvoiceState.ISSUED)
    def issue(self) -> None:
        pass

    @transition(field=state, source=InvoiceState.DRAFT, target=InvoiceState.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=state, source=InvoiceState.ISSUED, target=InvoiceState.PAID)
    def settle(self) -> None:
        pass

    @transition(
        field=state, source=[InvoiceState.ISSUED, InvoiceState.PAID], target=InvoiceState.CREDITED
    )
    def credit(self) -> None:
        pass


class InvoiceLine(WorkLine):
    """A line of an invoice or credit note. Shares the abstract WorkLine (kind, description,
    object, task, item, quantity, unit, unit price); unlike a line of work, its unit price and
    amount may be negative (a reduction, a prorated refund), and its amount is stored: a
    prorated fee's amount is the price times the proration factor, rounded once, half-up."""

    invoice = TenantForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    unit_price = models.DecimalField(_("unit price"), **MONEY, default=Decimal("0"))
    amount = models.DecimalField(_("amount"), **MONEY, default=Decimal("0"))
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        **RATE,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # Where the line came from ("subscription_fee", "service_order_line", …) and that record's
    # id: the source reads its own lines back by these, and is told when a draft is cancelled.
    source = models.CharField(_("source"), max_length=30, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    proration_factor = models.DecimalField(_("proration"), **FACTOR, null=True, blank=True)
    # A credit note's line: the invoice line it credits.
    credited_line = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credited line"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["invoice", "position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="invoicing_line_quantity_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100),
                name="invoicing_line_tax_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="invoicing_line_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice"], name="invoicing_line_invoice_idx"),
            models.Index(
                fields=["tenant", "source", "source_id"], name="invoicing_line_source_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Payment(TenantOwned):
    """Money received against an issued invoice (several make a partial payment history)."""

    invoice = TenantForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    paid_on = models.DateField(_("payment date"))
    amount = models.DecimalField(
        _("amount paid"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    reference = models.CharField(_("payment reference"), max_length=80, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            tenant_key(),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoicing_payment_gt_0"),
        ]
        indexes = [models.Index(fields=["tenant", "invoice"], name="invoicing_pay_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.amount}"
