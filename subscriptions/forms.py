"""Forms of subscriptions: they parse input and limit every choice to the tenant; the rules
live in the services, whose ValidationError the views put beside the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from customers import selectors as customer_selectors
from tenancy.models import CURRENCY_CHOICES
from web.forms import ServiceCheckedModelForm
from web.pickers import PickerSelect

from . import selectors
from .models import (
    OneOffFee,
    PeriodKind,
    PriceListRow,
    Reduction,
    Subscription,
    SubscriptionGroup,
    SubscriptionState,
)
from .services.subscriptions import IndexMode

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GroupForm(ServiceCheckedModelForm):
    class Meta:
        model = SubscriptionGroup
        fields = ("code", "name", "period", "timing", "accrue", "accrual_period")

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)


class PriceForm(ServiceCheckedModelForm):
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", "---------"), *CURRENCY_CHOICES], required=False
    )

    class Meta:
        model = PriceListRow
        fields = (
            "group",
            "item",
            "agreement",
            "subscription",
            "period",
            "currency",
            "valid_from",
            "price",
        )
        widgets = {
            "valid_from": DATE,
            "item": PickerSelect(search="customers:item_search"),
            "agreement": PickerSelect(search="agreements:agreement_search"),
        }
        help_texts = {
            "group": _("Leave group, item, agreement and subscription empty for a generic price."),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = selectors.group_choices(tenant=tenant)
        self.fields["item"].queryset = customer_selectors.item_choices(tenant=tenant)
        self.fields["agreement"].queryset = (
            Agreement.objects.for_tenant(tenant).filter(is_template=False).order_by("number")
        )
        self.fields["subscription"].queryset = Subscription.objects.for_tenant(tenant).order_by(
            "number"
        )
        self.initial.setdefault("currency", tenant.currency)


class SubscriptionForm(ServiceCheckedModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)

    class Meta:
        model = Subscription
        fields = (
            "customer",
            "agreement",
            "group",
            "item",
            "description",
            "base_price",
            "index",
            "currency",
            "start_date",
            "end_date",
        )
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "customer": PickerSelect(search="customers:customer_search"),
            "agreement": PickerSelect(search="agreements:agreement_search"),
            "item": PickerSelect(search="customers:item_search"),
        }
        help_texts = {"end_date": _("Empty: open-ended.")}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_selectors.customer_choices(tenant=tenant)
        self.fields["agreement"].queryset = (
            Agreement.objects.for_tenant(tenant)
            .filter(is_template=False)
            .select_related("customer")
            .order_by("number")
        )
        self.fields["agreement"].help_text = _("Optional: one of the customer's agreements.")
        self.fields["group"].queryset = selectors.group_choices(tenant=tenant)
        self.fields["item"].queryset = customer_selectors.item_choices(tenant=tenant)
        if self.instance.pk is None:
            self.initial.setdefault("currency", tenant.currency)


class SubscriptionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *SubscriptionState.choices],
    )
    group = forms.ModelChoiceField(
        label=_("Subscription group"),
        queryset=None,
        required=False,
        empty_label=_("All groups"),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = selectors.group_choices(tenant=tenant)


class ReductionForm(ServiceCheckedModelForm):
    class Meta:
        model = Reduction
        fields = ("kind", "start_date", "end_date", "amount", "reason")
        widgets = {"start_date": DATE, "end_date": DATE}
        help_texts = {"amount": _("Only for a price reduction.")}


class OneOffForm(ServiceCheckedModelForm):
    class Meta:
        model = OneOffFee
        fields = ("description", "charge_on", "amount")
        widgets = {"charge_on": DATE}


class CancelForm(forms.Form):
    at_period_end = forms.BooleanField(
        label=_("At the end of the current period"),
        required=False,
        help_text=_("Billed through the end of the current period, then cancelled."),
    )


class BillingForm(forms.Form):
    through = forms.DateField(
        label=_("Bill through"),
        widget=DATE,
        help_text=_("Every period and one-off fee falling due on or before this day is billed."),
    )


class IndexForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Subscription group"),
        queryset=None,
        required=False,
        empty_label=_("All groups"),
    )
    period = forms.ChoiceField(
        label=_("Invoicing period"),
        required=False,
        choices=[("", _("All periods")), *PeriodKind.choices],
    )
    mode = forms.ChoiceField(
        label=_("Change"),
        choices=[
            (IndexMode.RAISE, _("Raise the index by a percentage")),
            (IndexMode.SET, _("Set the index to a value")),
        ],
    )
    value = forms.DecimalField(
        label=_("Percentage or new index"), max_digits=9, decimal_places=2, required=False
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = selectors.group_choices(tenant=tenant)
