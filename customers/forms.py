"""Forms for master data. Every choice of a related record is limited to the tenant, and a
service object's site and parent to the chosen customer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sla.models import ServiceLevelAgreement
from tenancy.models import COUNTRY_CHOICES, Tenant
from web.forms import ServiceCheckedModelForm
from web.pickers import PickerSelect

from . import selectors
from .models import (
    AgreementGroup,
    Customer,
    CustomerContact,
    CustomerGroup,
    CustomerSite,
    Item,
    ServiceObject,
    ServiceObjectGroup,
    ServiceTask,
)
from .services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    ITEM_FIELDS,
    OBJECT_GROUP_FIELDS,
    SERVICE_OBJECT_FIELDS,
    SITE_FIELDS,
    TASK_FIELDS,
)

STATUS_CHOICES = [("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))]
DATE_WIDGET = {"type": "date"}


class StatusFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)


# --- Customers -----------------------------------------------------------------------------------


class CustomerFilterForm(StatusFilterForm):
    q = forms.CharField(
        label=_("Number or name"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "billing_address": forms.Textarea(attrs={"rows": 3}),
            "invoice_account": PickerSelect(search="customers:customer_search"),
        }

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_agreement_group"].queryset = AgreementGroup.objects.for_tenant(tenant)
        self.fields["sla"].queryset = ServiceLevelAgreement.objects.for_tenant(tenant)
        accounts = Customer.objects.for_tenant(tenant).filter(invoice_account__isnull=True)
        if self.instance.pk:
            accounts = accounts.exclude(pk=self.instance.pk)
        self.fields["invoice_account"].queryset = accounts
        self.fields["customer_group"].queryset = CustomerGroup.objects.for_tenant(tenant)
        self.fields["language"].choices = [
            ("", _("The tenant's language")),
            *self.fields["language"].choices[1:],
        ]


class SiteForm(forms.ModelForm):
    country = forms.ChoiceField(
        label=_("Country"), required=False, choices=[("", "—"), *COUNTRY_CHOICES]
    )

    class Meta:
        model = CustomerSite
        fields = SITE_FIELDS
        help_texts = {
            "is_default": _("Orders go here unless another site is chosen. One per customer.")
        }


class ContactForm(forms.ModelForm):
    class Meta:
        model = CustomerContact
        fields = CONTACT_FIELDS
        help_texts = {"is_primary": _("One per customer.")}


# --- Items, groups, tasks ------------------------------------------------------------------------

PRICE_ERRORS = {"min_value": _("The price cannot be negative.")}


class ItemForm(forms.ModelForm):
    cost_price = forms.DecimalField(
        label=_("Cost price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages=PRICE_ERRORS,
    )
    sales_price = forms.DecimalField(
        label=_("Sales price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages=PRICE_ERRORS,
    )

    class Meta:
        model = Item
        fields = ITEM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["number"].required = False
            self.fields["number"].help_text = _("Leave empty for the next number.")


class ObjectGroupForm(forms.ModelForm):
    class Meta:
        model = ServiceObjectGroup
        fields = OBJECT_GROUP_FIELDS


class ServiceTaskForm(forms.ModelForm):
    default_duration_minutes = forms.IntegerField(
        label=_("Default duration (minutes)"),
        min_value=1,
        error_messages={"min_value": _("The duration must be at least 1 minute.")},
    )

    class Meta:
        model = ServiceTask
        fields = TASK_FIELDS
        widgets = {
            "checklist": forms.Textarea(attrs={"rows": 6}),
            "customer_note": forms.Textarea(attrs={"rows": 3}),
        }


# --- Service objects -----------------------------------------------------------------------------


class ServiceObjectFilterForm(StatusFilterForm):
    q = forms.CharField(
        label=_("Number, name or serial"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # A filter left empty filters nothing: it says so ("All customers"), not "Select an option".
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("All customers"),
        widget=PickerSelect(search="customers:customer_search"),
    )
    group = forms.ModelChoiceField(
        label=_("Object group"),
        required=False,
        queryset=ServiceObjectGroup.objects.none(),
        empty_label=_("All groups"),
    )
    item = forms.ModelChoiceField(
        label=_("Item"),
        required=False,
        queryset=Item.objects.none(),
        empty_label=_("All items"),
        widget=PickerSelect(search="customers:item_search"),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["group"].queryset = selectors.object_group_choices(tenant=tenant)
        self.fields["item"].queryset = selectors.item_choices(tenant=tenant)


class ServiceObjectForm(forms.ModelForm):
    """Site and parent choices follow the chosen customer (the page reloads them with htmx when
    the customer changes); the parent is never the object itself or one of its parts."""

    class Meta:
        model = ServiceObject
        fields = SERVICE_OBJECT_FIELDS
        widgets = {
            "install_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "warranty_end": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "customer": PickerSelect(search="customers:customer_search"),
            "item": PickerSelect(search="customers:item_search"),
            "parent": PickerSelect(),
        }

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose a customer from the list."
        )
        self.fields["item"].queryset = selectors.item_choices(tenant=tenant)
        self.fields["group"].queryset = selectors.object_group_choices(tenant=tenant)
        customer_id = self._chosen_customer_id()
        sites = CustomerSite.objects.none()
        parents = ServiceObject.objects.none()
        if customer_id is not None:
            sites = selectors.customer_sites(
                tenant=tenant, customer=customer_id, keep=self.instance.site_id
            )
            parents = selectors.customer_objects(tenant=tenant, customer_id=customer_id)
            if self.instance.pk is not None:
                excluded = selectors.object_descendant_ids(tenant=tenant, obj=self.instance)
                parents = parents.exclude(pk__in={self.instance.pk, *excluded})
        if customer_id is None:
            for name in ("site", "parent"):
                self.fields[name].help_text = _("Choose the customer first.")
        self.fields["site"].queryset = sites
        if not self.is_bound and self.instance.pk is None and customer_id is not None:
            # A new object goes to the customer's default site, or to its only one.
            site_list = list(sites)
            default = next((s for s in site_list if s.is_default), None)
            if default is None and len(site_list) == 1:
                default = site_list[0]
            if default is not None:
                self.initial.setdefault("site", default.pk)
        self.fields["site"].error_messages["invalid_choice"] = _(
            "Choose a site of this object's customer."
        )
        self.fields["parent"].queryset = parents
        self.fields["parent"].error_messages["invalid_choice"] = _(
            "Choose an object of the same customer that is not this object or one of its parts."
        )

    def _chosen_customer_id(self) -> int | None:
        if self.is_bound:
            raw = self.data.get(self.add_prefix("customer"))
        else:
            raw = self.initial.get("customer") or self.instance.customer_id
        try:
            return int(getattr(raw, "pk", raw))
        except (TypeError, ValueError):
            return None


class AgreementGroupForm(ServiceCheckedModelForm):
    class Meta:
        model = AgreementGroup
        fields = ("code", "name", "default_sla")

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_sla"].queryset = selectors.sla_choices(tenant=tenant)
        self.fields["default_sla"].help_text = _(
            "Orders generated from an agreement get the agreement's own SLA; they get this one "
            "only where the agreement names none and the tenant settings turn that on."
        )


class CustomerGroupForm(ServiceCheckedModelForm):
    class Meta:
        model = CustomerGroup
        fields = ("code", "name")
