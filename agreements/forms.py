"""Forms for agreement groups, template groups, agreements and their lines.

The forms parse input and limit every choice to the tenant; the rules themselves live in
``agreements.services.agreements``, whose ValidationError the views put beside the fields.
"""

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from tenancy.models import CURRENCY_CHOICES
from web.confirm import OptionalReasonConfirmationForm
from web.forms import FormSection, SectionedFormMixin, ServiceCheckedModelForm, mark_required
from web.pickers import PickerSelect

from . import selectors
from .models import (
    Agreement,
    AgreementLine,
    AgreementRate,
    AgreementState,
    IntervalUnit,
    RateKind,
    TemplateGroup,
    TimeWindow,
)
from .services import LINE_FIELDS, RATE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _people_label(user) -> str:
    return user.get_full_name() or user.email


class PersonChoiceField(forms.ModelChoiceField):
    widget = PickerSelect

    def label_from_instance(self, obj) -> str:
        return _people_label(obj)


def _offer_only(field: forms.ModelChoiceField, offered, current=None) -> None:
    """Accept any of the field's (tenant-limited) queryset, but list only ``offered`` (plus the
    current value), so that a choice outside it reaches the service and gets its clear message
    instead of a bare "Select a valid choice"."""
    options = list(offered)
    if current is not None and current not in options:
        options.insert(0, current)
    field.widget.choices = [("", field.empty_label or "---------")] + [
        (obj.pk, field.label_from_instance(obj)) for obj in options
    ]


def _offered_values(field: forms.ModelChoiceField) -> list:
    """The values a field's widget offers (set by ``_offer_only``), without the empty one."""
    return [value for value, _label in field.widget.choices if value]


# --- Groups ------------------------------------------------------------------------------------


class TemplateGroupForm(ServiceCheckedModelForm):
    class Meta:
        model = TemplateGroup
        fields = ("name", "parent")

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        parents = TemplateGroup.objects.for_tenant(tenant).order_by("name")
        if self.instance.pk:
            excluded = selectors.template_group_descendant_ids(
                tenant=tenant, group_id=self.instance.pk
            )
            parents = parents.exclude(pk__in=excluded | {self.instance.pk})
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("(top level)")


# --- Agreements --------------------------------------------------------------------------------


class AgreementForm(ServiceCheckedModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    responsible = PersonChoiceField(label=_("Responsible manager"), queryset=None, required=False)
    preferred_technician = PersonChoiceField(
        label=_("Preferred technician"), queryset=None, required=False
    )

    class Meta:
        model = Agreement
        fields = (
            "is_template",
            "template_group",
            "customer",
            "description",
            "group",
            "start_date",
            "end_date",
            "responsible",
            "preferred_technician",
            "sla",
            "currency",
            "combine_rule",
            "contact",
            "customer_reference",
        )
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "customer": PickerSelect(search="customers:customer_search"),
        }
        help_texts = {
            "is_template": _("A template never generates orders; new agreements copy it."),
            "end_date": _("Empty: open-ended."),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["customer"].help_text = _("Required unless this is a template.")
        mark_required(self.fields["customer"])
        self.fields["group"].queryset = selectors.agreement_group_list(tenant=tenant)
        self.fields["template_group"].queryset = TemplateGroup.objects.for_tenant(tenant)
        self.fields["sla"].queryset = selectors.sla_choices(tenant=tenant)
        self.fields["responsible"].queryset = selectors.responsible_manager_choices(tenant=tenant)
        self.fields["preferred_technician"].queryset = selectors.technician_choices(tenant=tenant)
        contacts = self.fields["contact"]
        contacts.queryset = selectors.contact_choices(tenant=tenant)
        customer_id = self.instance.customer_id or self.initial.get("customer")
        current = self.instance.contact if self.instance.contact_id else None
        _offer_only(
            contacts,
            selectors.customer_contacts(tenant=tenant, customer_id=customer_id)
            if customer_id
            else [],
            current=current,
        )
        contacts.help_text = _("A contact of the agreement's customer.")
        if not editing:
            self.initial.setdefault("currency", tenant.currency)
            return
        # Marking as a template has its own action (it checks for orders); on edit the flag
        # only decides whether the template group applies.
        del self.fields["is_template"]
        if not self.instance.is_template:
            del self.fields["template_group"]
        if self.instance.state != AgreementState.DRAFT:
            self.fields["customer"].disabled = True
            self.fields["customer"].help_text = _("Only a draft agreement can change customer.")

    def clean(self):
        data = super().clean()
        # Checked here too (the service checks it as well), so that its message shows on the
        # first submit together with the other fields' messages.
        is_template = data.get("is_template", self.instance.is_template)
        missing = "customer" in self.fields and not data.get("customer")
        if missing and not is_template and "customer" not in self.errors:
            self.add_error("customer", _("Choose a customer."))
        return data


class AgreementFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *AgreementState.choices]
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        required=False,
        empty_label=_("All customers"),
        widget=PickerSelect(search="customers:customer_search"),
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=None, required=False, empty_label=_("All groups")
    )
    templates = forms.ChoiceField(
        label=_("Templates"),
        required=False,
        choices=[
            ("", _("Agreements and templates")),
            ("exclude", _("Agreements only")),
            ("only", _("Templates only")),
        ],
    )
    ends_from = forms.DateField(label=_("Ends from"), required=False, widget=DATE)
    ends_to = forms.DateField(label=_("Ends by"), required=False, widget=DATE)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["group"].queryset = selectors.agreement_group_list(tenant=tenant)


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class SuspendConfirmationForm(OptionalReasonConfirmationForm):
    """Suspend from today, until resumed by hand or on a planned day."""

    resume_on = forms.DateField(
        label=_("Resume on"),
        required=False,
        widget=DATE,
        help_text=_("Empty: until you resume it. On this day it becomes active again."),
    )


class ResumeForm(forms.Form):
    backfill = forms.BooleanField(
        label=_("Back-fill the suspended period"),
        required=False,
        help_text=_("Generate the visits that fell inside the suspension as well."),
    )


class MarkTemplateForm(forms.Form):
    template_group = forms.ModelChoiceField(label=_("Template group"), queryset=None)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template_group"].queryset = TemplateGroup.objects.for_tenant(tenant)


class FromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=None, widget=PickerSelect)
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        widget=PickerSelect(search="customers:customer_search"),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=DATE, help_text=_("Empty: open-ended.")
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = selectors.template_list(tenant=tenant)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)


class RenewForm(forms.Form):
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=DATE,
        help_text=_("Empty: the same duration as this agreement."),
    )


class ObjectAddForm(forms.Form):
    service_object = forms.ModelChoiceField(
        label=_("Service object"), queryset=None, widget=PickerSelect
    )

    def __init__(self, *args, tenant, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service_object"]
        if agreement.customer_id:
            field.widget.search = "customers:object_search"
            field.widget.attrs["data-fl-search-params"] = f"customer={agreement.customer_id}"
        field.queryset = selectors.service_object_choices(tenant=tenant)
        _offer_only(field, selectors.unrelated_objects(tenant=tenant, agreement=agreement))


class TaskAddForm(forms.Form):
    service_fields = ("task", "internal_note", "customer_note")
    task = forms.ModelChoiceField(label=_("Service task"), queryset=None, widget=PickerSelect)
    internal_note = forms.CharField(
        label=_("Note for the technician"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the technician on the orders generated for this task."),
    )
    customer_note = forms.CharField(
        label=_("Note for the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Printed on the work receipt of those orders."),
    )

    def __init__(self, *args, tenant, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["task"]
        field.queryset = selectors.service_task_choices(tenant=tenant)
        _offer_only(field, selectors.unrelated_tasks(tenant=tenant, agreement=agreement))


# --- Lines -------------------------------------------------------------------------------------


class AgreementLineForm(SectionedFormMixin, ServiceCheckedModelForm):
    sections = (
        FormSection(
            _("Work"),
            ("kind", "task", "description", "service_object", "item", "quantity", "unit_price"),
        ),
        FormSection(_("Schedule"), ("interval_unit", "interval_count", "start_date", "end_date")),
        FormSection(
            _("Planning details"),
            (
                "technician",
                "preferred_time",
                "time_window",
                "window_days_before",
                "window_days_after",
                "excluded_months",
                "exclude_holidays",
                "is_stopped",
            ),
            folded=True,
        ),
    )
    technician = PersonChoiceField(label=_("Technician"), queryset=None, required=False)
    excluded_months = forms.TypedMultipleChoiceField(
        label=_("No visits in"),
        required=False,
        coerce=int,
        choices=list(MONTHS.items()),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "fl-month-choice"}),
    )

    class Meta:
        model = AgreementLine
        fields = LINE_FIELDS
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "preferred_time": TIME,
            "service_object": PickerSelect,
            "task": PickerSelect,
            "item": PickerSelect(search="customers:item_search"),
        }
        help_texts = {
            "interval_count": _('With the unit: "every 3 weeks".'),
            "window_days_before": _("Only for the time window “a number of days”."),
            "start_date": _("Empty: from the agreement's start."),
            "end_date": _("Empty: until the agreement ends."),
        }

    def __init__(self, *args, tenant, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        objects = self.fields["service_object"]
        objects.queryset = selectors.service_object_choices(tenant=tenant)
        _offer_only(
            objects,
            selectors.related_objects(tenant=tenant, agreement=agreement),
            current=self.instance.service_object if self.instance.service_object_id else None,
        )
        objects.help_text = _("One of the objects this agreement covers.")
        tasks = self.fields["task"]
        tasks.queryset = selectors.service_task_choices(tenant=tenant)
        _offer_only(
            tasks,
            selectors.related_tasks(tenant=tenant, agreement=agreement),
            current=self.instance.task if self.instance.task_id else None,
        )
        tasks.help_text = _("One of the tasks this agreement includes.")
        self.fields["item"].queryset = selectors.item_choices(tenant=tenant)
        self.fields["item"].help_text = _("Required for item lines.")
        self.fields["technician"].queryset = selectors.technician_choices(tenant=tenant)
        self.fields["interval_unit"].choices = [("", _("Once (one visit)")), *IntervalUnit.choices]
        if self.instance.pk is None:
            # Most maintenance is yearly; the agreement's only object and task are the likely
            # ones for a new line.
            self.initial.setdefault("interval_unit", IntervalUnit.YEAR)
            for name in ("service_object", "task"):
                offered = _offered_values(self.fields[name])
                if len(offered) == 1:
                    self.initial.setdefault(name, offered[0])
        self.fields["excluded_months"].initial = self.instance.excluded_months
        for name in ("window_days_before", "window_days_after"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        # Days before/after belong to one time window only; switching away clears them, and an
        # empty box means none.
        for name in ("window_days_before", "window_days_after"):
            if data.get("time_window") != TimeWindow.DAYS_AROUND or data.get(name) is None:
                data[name] = 0
        return data


# --- Rate cards --------------------------------------------------------------------------------


class RateForm(ServiceCheckedModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    task_category = forms.ChoiceField(label=_("Task category"), required=False)

    class Meta:
        model = AgreementRate
        fields = RATE_FIELDS
        widgets = {"task": PickerSelect, "item": PickerSelect(search="customers:item_search")}
        help_texts = {
            "task": _("Hour rates: one task; or choose a task category; or neither: every task."),
            "description": _("Fixed fees: as fee lines describe the fee (“Call-out”)."),
            "sales_price": _("Per hour, per fee or per unit."),
            "markup_percent": _("Expenses: added to what they cost."),
        }

    def __init__(self, *args, tenant, agreement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = RateKind.choices
        self.fields["task"].queryset = selectors.service_task_choices(tenant=tenant)
        self.fields["item"].queryset = selectors.item_choices(tenant=tenant)
        categories = selectors.task_categories(tenant=tenant)
        current = self.instance.task_category
        if current and current not in categories:
            categories.insert(0, current)
        self.fields["task_category"].choices = [("", "---------")] + [(c, c) for c in categories]
        if agreement is not None:
            self.initial.setdefault("currency", agreement.currency)
            self.fields["currency"].help_text = _(
                "The agreement's currency (%(currency)s): rates in another are refused."
            ) % {"currency": agreement.currency}
        else:
            self.initial.setdefault("currency", tenant.currency)
            self.fields["currency"].help_text = _(
                "Agreements in this currency use this rate; add one per currency you sell in."
            )


# --- Bulk upkeep -------------------------------------------------------------------------------


class ObjectBulkFilterForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    group = forms.ModelChoiceField(label=_("Object group"), queryset=None, required=False)

    def __init__(self, *args, tenant, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.customer_sites(
            tenant=tenant, customer_id=agreement.customer_id
        )
        self.fields["group"].queryset = selectors.object_group_choices(tenant=tenant)


class LinesCopyForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=None, widget=PickerSelect)
    start_date = forms.DateField(
        label=_("Copied lines start on"),
        widget=DATE,
        help_text=_("Their visits are planned from this day on."),
    )

    def __init__(self, *args, tenant, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = selectors.template_list(tenant=tenant).exclude(
            pk=agreement.pk
        )
        self.initial.setdefault("start_date", max(agreement.start_date, tenant.today()))


class LinesBulkUpdateForm(forms.Form):
    """What to change on the chosen lines; an empty field changes nothing."""

    price_percent = forms.DecimalField(
        label=_("Change unit prices by %"),
        required=False,
        max_digits=7,
        decimal_places=2,
        help_text=_("5 raises by 5 %, −3 lowers by 3 %. Lines priced by the rate card keep it."),
    )
    technician = PersonChoiceField(label=_("Technician"), queryset=None, required=False)
    clear_technician = forms.BooleanField(label=_("No technician"), required=False)
    time_window = forms.ChoiceField(label=_("Time window"), required=False)
    window_days_before = forms.IntegerField(label=_("Days before"), required=False, min_value=0)
    window_days_after = forms.IntegerField(label=_("Days after"), required=False, min_value=0)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = selectors.technician_choices(tenant=tenant)
        self.fields["time_window"].choices = [("", _("(unchanged)")), *TimeWindow.choices]
