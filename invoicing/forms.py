"""Forms of the invoicing pages."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import CURRENCY_CHOICES
from web.confirm import ConfirmationForm
from web.forms import ServiceCheckedModelForm
from web.pickers import PickerSelect

from . import selectors
from .models import InvoiceKind, InvoiceState, InvoicingSettings

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_ERRORS = {"invalid": _("Enter an amount, e.g. 120.50.")}


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *InvoiceState.choices]
    )
    kind = forms.ChoiceField(
        label=_("Document type"),
        required=False,
        choices=[("", _("Invoices and credit notes")), *InvoiceKind.choices],
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        required=False,
        empty_label=_("All customers"),
        widget=PickerSelect(search="customers:customer_search"),
    )
    issued_from = forms.DateField(label=_("Invoice date from"), required=False, widget=DATE)
    issued_to = forms.DateField(label=_("Invoice date to"), required=False, widget=DATE)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)


class DraftLineForm(forms.Form):
    """A line typed by hand onto the customer's draft (created when there is none)."""

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        widget=PickerSelect(search="customers:customer_search"),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    description = forms.CharField(label=_("Line description"), max_length=200)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0"),
        initial=Decimal("1"),
        error_messages={"min_value": _("The quantity cannot be negative.")},
    )
    unit = forms.CharField(label=_("Unit"), max_length=10, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=14, decimal_places=2, error_messages=MONEY_ERRORS
    )
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        help_text=_("Empty: the default tax rate of the invoicing settings."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["currency"].initial = tenant.currency


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Note on the invoice"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount paid"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={**MONEY_ERRORS, "min_value": _("Enter an amount above zero.")},
    )
    paid_on = forms.DateField(label=_("Payment date"), widget=DATE)
    reference = forms.CharField(label=_("Payment reference"), max_length=80, required=False)


class CreditForm(forms.Form):
    """One amount field per line of the invoice (what to credit of it, net), and a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason.")},
    )

    def __init__(self, *args, lines, left: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=line.description,
                max_digits=14,
                decimal_places=2,
                required=False,
                initial=left.get(line.pk, line.amount),
                error_messages=MONEY_ERRORS,
            )

    def amounts(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(f"line_{line.pk}") or Decimal("0") for line in self.lines
        }


class PostingRangeForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DATE)
    date_to = forms.DateField(label=_("To"), widget=DATE)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end cannot be before the start."))
        return cleaned


class InvoicingSettingsForm(ServiceCheckedModelForm):
    class Meta:
        model = InvoicingSettings
        fields = [
            "legal_name",
            "address",
            "tax_id",
            "bank_account",
            "payment_terms_days",
            "default_tax_rate",
            "posting_requires_signoff",
            "dispatchers_may_post",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty (or not sent, by a settings form without this section): unchanged.
        for name in ("payment_terms_days", "default_tax_rate"):
            self.fields[name].required = False


class BulkIssueConfirmationForm(ConfirmationForm):
    """The confirmation of issuing the drafts a list showed: their ids travel with it, so the
    drafts confirmed are the drafts issued (a draft added since is not)."""

    ids = forms.CharField(widget=forms.HiddenInput)

    def clean_ids(self) -> list[int]:
        raw = [part for part in self.cleaned_data["ids"].split(",") if part]
        if not raw or not all(part.isdigit() for part in raw):
            raise forms.ValidationError(_("Choose the drafts to issue."))
        return [int(part) for part in raw]
