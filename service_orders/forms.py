"""Forms for the order list filters, the "Generate service orders" page and the service orders
section of the tenant settings page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from customers.models import AgreementGroup, Customer, LineKind
from web.forms import ServiceCheckedModelForm, ValuesChoiceField, listed_choices

from . import selectors
from .models import (
    ClockStatus,
    OrderGenerationSettings,
    OrderStage,
    OrderState,
    Origin,
    Priority,
)
from .selectors import NO_TECHNICIAN, OPEN

# The page generates at most a year at once: a longer period is almost always a typo.
MAX_GENERATION_DAYS = 366


def customer_label(number: str, name: str) -> str:
    """A customer as its option reads (Customer.__str__), from the values a choice is read as."""
    return f"{number} · {name}"


def agreement_label(number: str, description: str) -> str:
    """An agreement as its option reads (Agreement.__str__)."""
    return f"{number} · {description}"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Number or description"))
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), (OPEN, _("All open")), *OrderState.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("All priorities")), *Priority.choices]
    )
    origin = forms.ChoiceField(
        label=_("Origin"), required=False, choices=[("", _("All origins")), *Origin.choices]
    )
    # A tenant has thousands of customers and agreements: their options are read as values
    # (labelled as Customer.__str__ and Agreement.__str__ label them), not as model instances.
    customer = ValuesChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("All customers"),
        label_fields=("number", "name"),
        label_of=customer_label,
        search="customers:customer_search",
    )
    agreement = ValuesChoiceField(
        label=_("Agreement"),
        required=False,
        queryset=Agreement.objects.none(),
        empty_label=_("All agreements"),
        label_fields=("number", "description"),
        label_of=agreement_label,
        search="agreements:agreement_search",
    )
    date_from = forms.DateField(label=_("Preferred from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Preferred to"), required=False, widget=DateInput())
    conflict = forms.ChoiceField(
        label=_("Calendar conflict"),
        required=False,
        choices=[("", _("All")), ("yes", _("On a closed day")), ("no", _("No conflict"))],
    )
    technician = forms.ChoiceField(
        label=_("Technician"),
        required=False,
        choices=[("", _("Any")), (NO_TECHNICIAN, _("No technician yet"))],
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        required=False,
        queryset=OrderStage.objects.none(),
        empty_label=_("All stages"),
    )
    sla_status = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[("", _("All")), *ClockStatus.choices],
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["agreement"].queryset = selectors.agreement_choices(tenant=tenant)
        self.fields["stage"].queryset = selectors.stage_choices(tenant=tenant)
        # Read once, here: the list's bulk form offers the same stages and technicians
        # (BulkActionForm(stages=..., technicians=...)), so the page reads each list once.
        self.stages = selectors.stage_list(tenant=tenant)
        self.fields["stage"].choices = listed_choices(self.fields["stage"], self.stages)
        self.technicians = selectors.technician_list(tenant=tenant)
        self._technicians = {str(user.pk): user for user in self.technicians}
        self.fields["technician"].choices = [
            ("", _("Any")),
            (NO_TECHNICIAN, _("No technician yet")),
            *((pk, user.get_full_name() or user.email) for pk, user in self._technicians.items()),
        ]

    def filters(self) -> dict:
        """The selector's keyword arguments from the valid fields (an invalid one is ignored
        and shows its error beside the field)."""
        self.is_valid()
        data = self.cleaned_data
        conflict = {"yes": True, "no": False}.get(data.get("conflict") or "")
        return {
            "search": data.get("q") or "",
            "state": data.get("state") or "",
            "priority": data.get("priority") or "",
            "origin": data.get("origin") or "",
            "customer": data.get("customer"),
            "agreement": data.get("agreement"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "conflict": conflict,
            "unassigned": data.get("technician") == NO_TECHNICIAN,
            "stage": data.get("stage"),
            "technician": self._technicians.get(data.get("technician") or ""),
            "sla_status": data.get("sla_status") or "",
        }


class GenerationForm(forms.Form):
    # Named like the generation service's arguments, so its errors land beside these fields.
    period_start = forms.DateField(label=_("From"), widget=DateInput())
    period_end = forms.DateField(label=_("To"), widget=DateInput())
    agreement = ValuesChoiceField(
        label=_("Agreement"),
        required=False,
        queryset=Agreement.objects.none(),
        empty_label=_("All active agreements"),
        help_text=_("Leave empty to generate for every active agreement."),
        label_fields=("number", "description"),
        label_of=agreement_label,
        search="agreements:agreement_search",
    )

    customer = ValuesChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("All customers"),
        label_fields=("number", "name"),
        label_of=customer_label,
        search="customers:customer_search",
    )
    agreement_group = forms.ModelChoiceField(
        label=_("Agreement group"),
        required=False,
        queryset=AgreementGroup.objects.none(),
        empty_label=_("All groups"),
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible manager"),
        required=False,
        queryset=None,
        empty_label=_("Anyone"),
    )
    line_kind = forms.ChoiceField(
        label=_("Line type"),
        required=False,
        choices=[("", _("All types")), *LineKind.choices],
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = selectors.agreement_choices(tenant=tenant)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["agreement_group"].queryset = selectors.agreement_group_choices(tenant=tenant)
        self.fields["responsible"].queryset = selectors.responsible_choices(tenant=tenant)
        self.fields["responsible"].label_from_instance = lambda user: (
            user.get_full_name() or user.email
        )

    def filters(self) -> dict:
        """The generation service's filters from the valid form."""
        data = self.cleaned_data
        return {
            "customer_id": data["customer"].pk if data.get("customer") else None,
            "agreement_group_id": (
                data["agreement_group"].pk if data.get("agreement_group") else None
            ),
            "responsible_id": data["responsible"].pk if data.get("responsible") else None,
            "line_kind": data.get("line_kind") or "",
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end:
            if end < start:
                self.add_error("period_end", _("The end date cannot be before the start date."))
            elif (end - start).days >= MAX_GENERATION_DAYS:
                self.add_error(
                    "period_end",
                    _("Generate at most %(days)s days at once.") % {"days": MAX_GENERATION_DAYS},
                )
        return cleaned


class OrderGenerationSettingsForm(ServiceCheckedModelForm):
    """The service orders section of the tenant settings page (checked by the service)."""

    class Meta:
        model = OrderGenerationSettings
        fields = ["horizon_days", "agreement_required", "group_sla_on_generated"]
