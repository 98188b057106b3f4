"""The installed base and catalog: customers, their sites and contacts, items, service tasks,
service objects and their groups, agreement groups (a customer's service tier), and the abstract
line of work that agreement, order, invoice, repair and return lines share.

Every model is tenant-owned; every reference between them is also checked by the database to stay
within one tenant (composite foreign keys on (tenant_id, id)).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sla.models import ServiceLevelAgreement
from tenancy.fields import TenantForeignKey
from tenancy.models import TenantOwned, tenant_key

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


# --- Agreement groups ----------------------------------------------------------------------------


class AgreementGroup(TenantOwned):
    """Gold / Silver / Bronze…: carries a default SLA."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("group name"), max_length=120)
    default_sla = TenantForeignKey(
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
            models.UniqueConstraint(
                fields=["tenant", "code"], name="customers_agreementgroup_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Customers ----------------------------------------------------------------------------------


class CustomerGroup(TenantOwned):
    """Retail / wholesale / public sector…: a commercial grouping of customers (price lists and
    reports may use it)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("customer group name"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="customers_custgroup_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    name = models.CharField(_("customer name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    default_agreement_group = TenantForeignKey(
        AgreementGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default agreement group"),
    )
    sla = TenantForeignKey(
        ServiceLevelAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA"),
        help_text=_(
            "Applies to the customer's orders when neither the order nor its agreement names one."
        ),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Commercial data: who pays, where the invoice goes, on what terms.
    invoice_account = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice account"),
        help_text=_("Another customer who receives and pays this customer's invoices."),
    )
    billing_address = models.TextField(
        _("billing address"),
        blank=True,
        help_text=_("As printed on invoices; the service address stays on the sites."),
    )
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text=_("Days from the invoice date to the due date; empty: the tenant's default."),
    )
    customer_group = TenantForeignKey(
        "CustomerGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    billing_email = models.EmailField(
        _("billing e-mail"),
        blank=True,
        help_text=_("Invoices are sent here; empty: the customer's e-mail."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "number"], name="customers_customer_number"),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="customers_customer_name_idx")]

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"

    @property
    def bill_to_id(self) -> int:
        """The customer invoices for this one are made out to (its invoice account, or itself)."""
        return self.invoice_account_id or self.pk

    @property
    def invoice_email(self) -> str:
        return self.billing_email or self.email

    def clean(self) -> None:
        if self.invoice_account_id:
            if self.pk and self.invoice_account_id == self.pk:
                raise ValidationError(
                    {"invoice_account": _("Leave this empty for a customer who pays itself.")}
                )
            if self.invoice_account.invoice_account_id:
                raise ValidationError(
                    {
                        "invoice_account": _(
                            "This customer's invoices go to another customer; choose that one."
                        )
                    }
                )


class CustomerSite(TenantOwned):
    """A service address of a customer (where technicians go)."""

    customer = TenantForeignKey(
        Customer, on_delete=models.CASCADE, related_name="sites", verbose_name=_("customer")
    )
    name = models.CharField(_("site name"), max_length=120)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, blank=True)
    is_default = models.BooleanField(_("default site"), default=False)
    # A site that service orders or objects refer to is archived instead of deleted: it stays
    # on them, and is no longer offered for new ones (see customers.services.site_delete).
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("service site")
        verbose_name_plural = _("service sites")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(
                fields=["tenant", "customer"],
                condition=models.Q(is_default=True),
                name="customers_site_one_default",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_archived=True, is_default=True),
                name="customers_site_archived_not_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.street}, {self.city}"

    @property
    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postal_code} {self.city}".strip()) if p)


class CustomerContact(TenantOwned):
    customer = TenantForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("contact name"), max_length=120)
    role = models.CharField(_("role"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # Archived instead of deleted while service orders refer to it (like a site).
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            tenant_key(),
            models.CheckConstraint(
                condition=~models.Q(is_archived=True, is_primary=True),
                name="customers_contact_archived_not_primary",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Items, service tasks, service objects ------------------------------------------------------


class Item(TenantOwned):
    """Spare parts and equipment models: used by objects, agreement lines, order lines, BOMs."""

    number = models.CharField(_("number"), max_length=40)
    name = models.CharField(_("item name"), max_length=200)
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
            models.UniqueConstraint(fields=["tenant", "number"], name="customers_item_number"),
            models.CheckConstraint(
                condition=models.Q(cost_price__gte=0, sales_price__gte=0),
                name="customers_item_prices_not_negative",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("customers:item_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"


class ServiceTask(TenantOwned):
    """A kind of work: "annual inspection", "filter change"."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("task name"), max_length=200)
    default_duration_minutes = models.PositiveIntegerField(
        _("default duration (minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    required_skill = models.CharField(_("required skill"), max_length=80, blank=True)
    # Rate cards can price a whole category of tasks ("Maintenance", "Repair") at one hour rate.
    category = models.CharField(
        _("task category"),
        max_length=60,
        blank=True,
        help_text=_("Tasks of one category can share an hour rate on a rate card."),
    )
    checklist = models.TextField(_("checklist"), blank=True, help_text=_("One step per line."))
    customer_note = models.TextField(_("note for the customer"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service task")
        verbose_name_plural = _("service tasks")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="customers_task_code"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("customers:task_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def checklist_steps(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class ServiceObjectGroup(TenantOwned):
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("group name"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("object group")
        verbose_name_plural = _("object groups")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "code"], name="customers_objgroup_code"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceObject(TenantOwned):
    """The thing serviced: a machine, an installation, a licence, a building. Objects form a
    tree per customer (a boiler and its burner)."""

    number = models.CharField(_("number"), max_length=30)
    name = models.CharField(_("object name"), max_length=200)
    group = TenantForeignKey(
        ServiceObjectGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_objects",
        verbose_name=_("object group"),
    )
    customer = TenantForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="service_objects",
        verbose_name=_("customer"),
    )
    site = TenantForeignKey(
        CustomerSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_objects",
        verbose_name=_("site"),
    )
    item = TenantForeignKey(
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
    parent = TenantForeignKey(
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
            models.UniqueConstraint(fields=["tenant", "number"], name="customers_object_number"),
            # Serial numbers are unique per item within a tenant (blank serials don't count).
            models.UniqueConstraint(
                fields=["tenant", "item", "serial_number"],
                condition=~models.Q(serial_number=""),
                name="customers_object_unique_serial",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="customers_object_cust_idx"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("customers:object_detail", args=[self.pk])

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


# --- Lines of work -------------------------------------------------------------------------------


class LineKind(models.TextChoices):
    HOUR = "hour", _("Hours")
    ITEM = "item", _("Item")
    EXPENSE = "expense", _("Expense")
    FEE = "fee", _("Fee")


class WorkLine(TenantOwned):
    """What every line of work has: agreement lines, order lines, and the invoice, repair and
    return lines to come. Reverse relations are off (related_name "+"): the apps above read their
    lines through their own selectors, never through a customer's object."""

    kind = models.CharField(
        _("type"), max_length=10, choices=LineKind.choices, default=LineKind.HOUR
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    service_object = TenantForeignKey(
        ServiceObject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service object"),
    )
    task = TenantForeignKey(
        ServiceTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service task"),
    )
    item = TenantForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    quantity = models.DecimalField(
        _("quantity"), **QUANTITY, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(0)]
    )

    class Meta:
        abstract = True

    @property
    def amount(self) -> Decimal:
        return (self.quantity * (self.unit_price or Decimal("0"))).quantize(Decimal("0.01"))


# --- Customer contacts who sign in ---------------------------------------------------------------


class ContactLogin(TenantOwned):
    """A login with the role "customer contact", bound to exactly one customer (and to that
    customer's contact record of the same person). Made when the person accepts their
    invitation (accounts.bindings); what the contact may see and request follows from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("login"),
    )
    customer = TenantForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    contact = TenantForeignKey(
        CustomerContact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer contact login")
        verbose_name_plural = _("customer contact logins")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "user"], name="customers_contactlogin_user"),
        ]
        indexes = [models.Index(fields=["tenant", "customer"], name="customers_login_cust_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.customer}"
