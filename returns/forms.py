"""Forms of the returns pages. The services check the rules; the forms check the input."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from web.pickers import PickerSelect

from . import selectors
from .models import CREDITING, Disposition, ReturnState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY_ERRORS = {"invalid": _("Enter a number, e.g. 2 or 1.5.")}


def _quantity_field(label, **kwargs):
    kwargs.setdefault("error_messages", QUANTITY_ERRORS)
    return forms.DecimalField(label=label, max_digits=12, decimal_places=3, **kwargs)


class ReturnFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *ReturnState.choices]
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        required=False,
        empty_label=_("All customers"),
        widget=PickerSelect(search="customers:customer_search"),
    )
    reason = forms.ModelChoiceField(
        label=_("Return reason"), queryset=None, required=False, empty_label=_("All reasons")
    )
    deadline_from = forms.DateField(label=_("Deadline from"), required=False, widget=DATE)
    deadline_to = forms.DateField(label=_("Deadline to"), required=False, widget=DATE)
    overdue = forms.BooleanField(label=_("Past the deadline only"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["reason"].queryset = selectors.reason_list(tenant=tenant)


class ReturnForm(forms.Form):
    """A new return (customer, reason, deadline, note), or the header of one (without the
    customer)."""

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        widget=PickerSelect(search="customers:customer_search"),
        error_messages={"required": _("Choose the customer sending the goods back.")},
    )
    reason = forms.ModelChoiceField(
        label=_("Return reason"),
        queryset=None,
        error_messages={"required": _("Choose a return reason.")},
    )
    deadline = forms.DateField(
        label=_("Return deadline"),
        widget=DATE,
        help_text=_("The goods must arrive by this date."),
        error_messages={"required": _("Enter the date by which the goods must arrive.")},
    )
    notes = forms.CharField(
        label=_("Note on the return"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed on the RMA document for the customer."),
    )

    def __init__(self, *args, tenant, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "reason": instance.reason_id,
                    "deadline": instance.deadline,
                    "notes": instance.notes,
                },
            )
        else:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("deadline", tenant.today() + datetime.timedelta(days=14))
        super().__init__(*args, **kwargs)
        if instance is not None:
            del self.fields["customer"]
            self.fields["reason"].queryset = selectors.reason_choices(
                tenant=tenant, include=instance.reason
            )
        else:
            self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
            self.fields["reason"].queryset = selectors.reason_choices(tenant=tenant)


def returnable_label(line) -> str:
    """An invoice line as offered on a return: invoice, date, what, serial and what is left."""
    parts = [str(line.invoice)]
    if line.invoice.issue_date:
        parts.append(formats.date_format(line.invoice.issue_date, "SHORT_DATE_FORMAT"))
    parts.append(line.description)
    if line.service_object_id and line.service_object.serial_number:
        parts.append(line.service_object.serial_number)
    left = f"{line.left_to_return.normalize():f}"
    parts.append(_("%(left)s %(unit)s left to return") % {"left": left, "unit": line.unit})
    return " · ".join(parts)


class LineForm(forms.Form):
    """Goods coming back: a line of the customer's invoices, the quantity and the serial."""

    invoice_line = forms.TypedChoiceField(
        label=_("Invoice line"),
        coerce=int,
        empty_value=None,
        error_messages={"required": _("Choose a line of the customer's invoices.")},
    )
    quantity = _quantity_field(
        _("Quantity returned"),
        initial=Decimal("1"),
        error_messages={"required": _("Enter a quantity above zero."), **QUANTITY_ERRORS},
    )
    serial_number = forms.CharField(
        label=_("Serial number"),
        max_length=80,
        required=False,
        help_text=_("For a serial-tracked item: the serial of the unit coming back."),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["invoice_line"]
        field.choices = [("", _("Choose an invoice line…"))] + [
            (line.pk, returnable_label(line)) for line in lines
        ]
        field.widget = PickerSelect(choices=field.choices)
        field.widget.choices = field.choices


class ArrivalForm(forms.Form):
    quantity = _quantity_field(
        _("Quantity arrived"),
        error_messages={"required": _("Enter a quantity above zero."), **QUANTITY_ERRORS},
    )


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("Disposition"),
        choices=[("", _("Choose a disposition…")), *Disposition.choices],
        error_messages={"required": _("Choose a disposition.")},
    )
    quantity = _quantity_field(
        _("Quantity"),
        required=False,
        help_text=_("Empty: everything that arrived. Less splits the line."),
    )
    note = forms.CharField(label=_("Disposition note"), max_length=300, required=False)

    def __init__(self, *args, may_credit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_credit:
            self.fields["disposition"].choices = [
                choice
                for choice in self.fields["disposition"].choices
                if choice[0] not in CREDITING
            ]


class ReasonForm(forms.Form):
    code = forms.SlugField(
        label=_("Reason code"),
        max_length=30,
        error_messages={
            "required": _("Enter a code."),
            "invalid": _("Use letters, digits, hyphens and underscores only."),
        },
    )
    name = forms.CharField(
        label=_("Return reason"),
        max_length=120,
        error_messages={"required": _("Say what the reason is.")},
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive reasons stay on old returns but cannot be chosen for new ones."),
    )
