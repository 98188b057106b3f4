"""Forms of the technician's phone pages: recording lines, photos, sign-off and stage steps.

Numbers are not range-checked here: the line services refuse a negative quantity or an end
before the start with their own message, which the view puts beside the field.
"""

import datetime

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Item, ServiceObject, ServiceTask

from . import selectors
from .models import ServiceOrder


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _number(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=12,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        **kwargs,
    )


def _money(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )


class _OrderLineForm(forms.Form):
    """Object and task choices limited to the tenant and the order's customer."""

    def __init__(self, *args, tenant, order: ServiceOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant, self.order = tenant, order
        if "service_object" in self.fields:
            self.fields["service_object"].queryset = selectors.customer_object_choices(
                tenant=tenant, order=order
            )
        if "task" in self.fields:
            self.fields["task"].queryset = selectors.task_choices(tenant=tenant)


class HourLineForm(_OrderLineForm):
    hours = _number(
        _("Hours worked"),
        help_text=_("Or leave empty and give the start and end time."),
    )
    work_date = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    started_at = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())
    ended_at = forms.TimeField(label=_("End time"), required=False, widget=TimeInput())
    task = forms.ModelChoiceField(
        label=_("Service task"), required=False, queryset=ServiceTask.objects.none()
    )
    service_object = forms.ModelChoiceField(
        label=_("Service object"), required=False, queryset=ServiceObject.objects.none()
    )
    description = forms.CharField(label=_("What was done"), required=False, max_length=200)

    def moments(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The start and end as moments in the tenant's zone, on the chosen day (today when
        none is given)."""
        day = self.cleaned_data.get("work_date") or self.tenant.today()
        zone = self.tenant.zone

        def at(time):
            return datetime.datetime.combine(day, time, tzinfo=zone) if time else None

        return at(self.cleaned_data.get("started_at")), at(self.cleaned_data.get("ended_at"))


class ItemPickerSelect(forms.Select):
    """A plain select of (at most) the first items matching the search, enhanced into a
    searchable picker (Tom Select, asking the item search as the user types) when scripts run."""

    def __init__(self, *, search_url: str, attrs=None):
        super().__init__(
            attrs={
                "data-fl-picker": "",
                "data-fl-search-url": search_url,
                "data-fl-placeholder": _("Type a number or name"),
                "data-fl-no-results": _("No item matches."),
                **(attrs or {}),
            }
        )


class ItemLineForm(_OrderLineForm):
    item = forms.ModelChoiceField(
        label=_("Item"), queryset=Item.objects.none(), empty_label=_("Choose an item")
    )
    quantity = _number(_("Quantity"), initial=1)
    serial_number = forms.CharField(
        label=_("Serial number"),
        required=False,
        max_length=80,
        help_text=_("Needed for serial-tracked items: one line per unit."),
    )
    service_object = forms.ModelChoiceField(
        label=_("Used on object"), required=False, queryset=ServiceObject.objects.none()
    )

    def __init__(self, *args, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        # Validation looks the chosen id up among all active items; the select itself lists
        # only the first matches of the search (and the chosen one), never the whole catalogue.
        field.queryset = selectors.item_list_active(tenant=self.tenant)
        shown = selectors.item_choices(tenant=self.tenant, query=search)
        chosen = self.data.get(self.add_prefix("item")) if self.is_bound else None
        if chosen and str(chosen).isdigit() and all(str(i.pk) != chosen for i in shown):
            shown += list(field.queryset.filter(pk=chosen))
        field.widget = ItemPickerSelect(search_url=reverse("service_orders:technician_items"))
        field.widget.choices = [("", field.empty_label)] + [
            (item.pk, item_option_text(item)) for item in shown
        ]


def item_option_text(item: Item) -> str:
    text = f"{item.number} · {item.name}"
    if item.is_serial_tracked:
        text += " · " + str(_("serial-tracked"))
    return text


class ExpenseLineForm(_OrderLineForm):
    description = forms.CharField(label=_("Expense"), max_length=200, required=False)
    quantity = _number(_("Quantity"), initial=1)
    unit_cost = _money(_("Cost of one"))


class FeeLineForm(_OrderLineForm):
    description = forms.CharField(label=_("Fee"), max_length=200, required=False)
    quantity = _number(_("Count"), initial=1)
    unit_price = _money(_("Price of one"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.order.agreement_id:
            self.fields["unit_price"].help_text = _(
                "Empty: the price of this fee on the agreement's rate card."
            )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, at most 10 MB."),
    )


class SignOffForm(forms.Form):
    signer_name = forms.CharField(
        label=_("Name of the person signing"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # The drawing as a PNG data URL, filled in by the signature pad when the form is sent.
    signature = forms.CharField(
        required=False, max_length=4 * 1024 * 1024, widget=forms.HiddenInput()
    )


class StageStepForm(forms.Form):
    to_stage = forms.IntegerField(widget=forms.HiddenInput())
    reason_code = forms.IntegerField(label=_("Reason"), required=False)
    reason_text = forms.CharField(label=_("Note"), required=False, max_length=500)
