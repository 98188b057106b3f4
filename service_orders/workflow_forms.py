"""Forms of the order workflow: creating an order by hand, moving it to a stage, line changes,
bulk actions, and configuring the stage tree and its reason codes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers import selectors as customer_selectors
from customers.models import Customer, CustomerContact, CustomerSite, ServiceObject, ServiceTask
from sla import selectors as sla_selectors
from sla.models import ServiceLevelAgreement
from web.confirm import REASON_MAX_LENGTH, ConfirmationForm
from web.forms import PlainQueryChoiceIterator, ServiceCheckedModelForm, listed_choices
from web.pickers import PickerSelect

from . import selectors
from .forms import DateInput
from .models import OrderStage, Priority, ReasonCode, ServiceOrder


class OrderCreateForm(forms.Form):
    # With thousands of customers only the chosen one is in the page: the picker asks the server
    # (web.pickers.LONG_LIST, decision 0028).
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        widget=PickerSelect(search="customers:customer_search"),
    )
    agreement = forms.ModelChoiceField(
        label=_("Agreement"),
        required=False,
        queryset=ServiceOrder.objects.none(),
        empty_label=_("No agreement"),
    )
    site = forms.ModelChoiceField(
        label=_("Service site"),
        required=False,
        queryset=CustomerSite.objects.none(),
        empty_label=_("The customer's default site"),
    )
    address = forms.CharField(
        label=_("One-off service address"),
        required=False,
        max_length=300,
        help_text=_("Only when the work is somewhere other than the customer's sites."),
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        required=False,
        queryset=CustomerContact.objects.none(),
        empty_label=_("No contact"),
    )
    description = forms.CharField(label=_("What is to be done"), max_length=300)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    preferred_date = forms.DateField(label=_("Preferred date"), required=False, widget=DateInput())
    window_start = forms.DateField(label=_("Window from"), required=False, widget=DateInput())
    window_end = forms.DateField(label=_("Window to"), required=False, widget=DateInput())
    objects = forms.ModelMultipleChoiceField(
        label=_("Service objects"), required=False, queryset=ServiceObject.objects.none()
    )
    tasks = forms.ModelMultipleChoiceField(
        label=_("Service tasks"), required=False, queryset=ServiceTask.objects.none()
    )
    assigned_technician = forms.ModelChoiceField(
        label=_("Assigned technician"),
        required=False,
        queryset=ServiceOrder.objects.none(),
        empty_label=_("Nobody yet"),
        widget=PickerSelect,
    )
    sla = forms.ModelChoiceField(
        label=_("SLA"),
        required=False,
        queryset=ServiceLevelAgreement.objects.none(),
        empty_label=_("The agreement's or customer's"),
    )

    def __init__(self, *args, tenant, agreement_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sla"].queryset = sla_selectors.sla_list(tenant=tenant).filter(
            is_suspended=False
        )
        self.fields["customer"].queryset = selectors.customer_choices(tenant=tenant)
        # Narrowed to the chosen customer's below, and the service checks each belongs to it.
        self.fields["agreement"].queryset = selectors.agreement_choices(tenant=tenant)
        self.fields["agreement"].required = agreement_required
        self.fields["site"].queryset = CustomerSite.objects.for_tenant(tenant).select_related(
            "customer"
        )
        self.fields["contact"].queryset = CustomerContact.objects.for_tenant(tenant)
        self.fields["objects"].queryset = customer_selectors.service_object_choices(tenant=tenant)
        self.fields["tasks"].queryset = customer_selectors.task_choices(tenant=tenant)
        self.fields["assigned_technician"].queryset = selectors.technician_choices(tenant=tenant)
        self.fields["assigned_technician"].label_from_instance = lambda user: (
            user.get_full_name() or user.email
        )
        self._offer_only_the_customers(tenant)

    def _offer_only_the_customers(self, tenant) -> None:
        """Once a customer is chosen (the page reloads these fields with htmx when it changes),
        its agreements, sites in use, contacts in use and objects only; another customer's is
        refused beside its field, in the words the service uses."""
        customer = self._chosen_customer()
        if customer is None:
            # Nothing to choose from until the customer is chosen: every customer's records
            # would be thousands of options that are all wrong but one customer's.
            for name in ("agreement", "site", "contact", "objects"):
                self.fields[name].queryset = self.fields[name].queryset.none()
            self.fields["customer"].help_text = _(
                "Its agreements, sites, contacts and objects are offered once it is chosen."
            )
            return
        named = {"customer": customer.name}
        narrowed = {
            "agreement": (
                self.fields["agreement"].queryset.filter(customer=customer),
                _("Choose an agreement of %(customer)s.") % named,
            ),
            # Archived ones are not offered; one sent anyway (from a page opened before it was
            # archived) stays for the service to say that it is archived.
            "site": (
                customer_selectors.customer_sites(
                    tenant=tenant, customer=customer, keep=self._sent_id("site")
                ),
                _("Choose a site of %(customer)s.") % named,
            ),
            "contact": (
                customer_selectors.customer_contacts(
                    tenant=tenant, customer=customer, keep=self._sent_id("contact")
                ),
                _("Choose a contact of %(customer)s.") % named,
            ),
            "objects": (
                self.fields["objects"].queryset.filter(customer=customer),
                _("Choose objects of %(customer)s.") % named,
            ),
        }
        for name, (queryset, refusal) in narrowed.items():
            field = self.fields[name]
            field.queryset = queryset
            # Django formats the message with the refused value: a "%" in a name stays literal.
            escaped = refusal.replace("%", "%%")
            field.error_messages = {**field.error_messages, "invalid_choice": escaped}

    def _sent_id(self, name: str) -> int | None:
        """The id sent for ``name`` (the initial one on a new page), when it can be one."""
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        raw = str(getattr(raw, "pk", raw) or "")
        return int(raw) if raw.isdigit() and len(raw) < 19 else None

    def _chosen_customer(self) -> Customer | None:
        pk = self._sent_id("customer")
        return None if pk is None else self.fields["customer"].queryset.filter(pk=pk).first()


class StageMoveForm(forms.Form):
    """A move to one of the order's next stages: the stage, and a reason where it needs one."""

    stage = forms.IntegerField(widget=forms.HiddenInput)
    reason_code = forms.ModelChoiceField(
        label=_("Reason"),
        required=False,
        queryset=ReasonCode.objects.none(),
        empty_label=_("Choose a reason"),
    )
    reason_text = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    late_reason = forms.CharField(
        label=_("Why is it late?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The SLA time of this order is exceeded."),
    )

    def __init__(self, *args, stage: OrderStage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if stage is not None:
            self.fields["reason_code"].queryset = stage.reasons.all()
            self.initial["stage"] = stage.pk


class ClockActionForm(forms.Form):
    """Stop, start or cancel an order's SLA clock by hand, always with a reason."""

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("stop", _("Stop the clock")),
            ("start", _("Start the clock again")),
            ("cancel", _("Cancel the clock")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderCancelForm(ConfirmationForm):
    """The cancel confirmation: one of the cancelled stage's reason codes and/or a note; at least
    one of them, since a cancelled visit without a why is what customers call about."""

    reason_code = forms.ModelChoiceField(
        label=_("Reason"),
        required=False,
        queryset=ReasonCode.objects.none(),
        empty_label=_("Choose a reason"),
    )
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the order and shown on its page."),
    )

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        reasons = list(reasons)
        if reasons:
            self.fields["reason_code"].queryset = ReasonCode.objects.filter(
                pk__in=[reason.pk for reason in reasons]
            )
            self.fields["reason_code"].choices = [("", _("Choose a reason"))] + [
                (reason.pk, reason.name) for reason in reasons
            ]
        else:  # no codes for this stage: the note is the reason
            del self.fields["reason_code"]
            self.fields["reason"].label = _("Reason")

    def clean(self):
        data = super().clean()
        if not data.get("reason_code") and not (data.get("reason") or "").strip():
            field = "reason_code" if "reason_code" in self.fields else "reason"
            self.add_error(field, _("Give a reason."))
        return data


class LineCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is the line cancelled?"), max_length=2000, required=False)


class LinesFromAgreementForm(forms.Form):
    """The chosen agreement lines' ids (checked by the service, which names any stranger)."""

    lines = forms.Field(required=False, widget=forms.MultipleHiddenInput)


class LinesMoveForm(forms.Form):
    lines = forms.TypedMultipleChoiceField(label=_("Lines"), coerce=int, choices=[])
    to_order = forms.ModelChoiceField(
        label=_("Move to order"), queryset=ServiceOrder.objects.none(), empty_label=None
    )

    def __init__(self, *args, tenant, order, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(line.pk, str(line.pk)) for line in lines]
        self.fields["to_order"].queryset = selectors.move_target_orders(tenant=tenant, order=order)


class AssignForm(forms.Form):
    technician = forms.ModelChoiceField(
        label=_("Assigned technician"),
        required=False,
        queryset=ServiceOrder.objects.none(),
        empty_label=_("Nobody"),
        widget=PickerSelect,
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["technician"]
        field.iterator = PlainQueryChoiceIterator  # shown on every order page: one plain query
        field.queryset = selectors.technician_choices(tenant=tenant)  # validates the choice
        field.listed = lambda: selectors.technician_list(tenant=tenant)  # what it shows
        field.label_from_instance = lambda user: user.get_full_name() or user.email


class BulkActionForm(forms.Form):
    ADVANCE = "advance"
    ASSIGN = "assign"
    orders = forms.TypedMultipleChoiceField(label=_("Orders"), coerce=int, choices=[])
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ADVANCE, _("Move to stage")), (ASSIGN, _("Assign to technician"))],
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"), required=False, queryset=OrderStage.objects.none()
    )
    technician = forms.ModelChoiceField(
        label=_("Technician"), required=False, queryset=ServiceOrder.objects.none()
    )
    reason_text = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    def __init__(self, *args, tenant, stages=None, technicians=None, **kwargs):
        """``stages`` and ``technicians``: the tenant's, already read (the order list's filter
        form has them), so that showing the form reads neither again."""
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = selectors.stage_choices(tenant=tenant)
        field = self.fields["technician"]
        field.iterator = PlainQueryChoiceIterator  # shown on every order page: one plain query
        field.queryset = selectors.technician_choices(tenant=tenant)  # validates the choice
        field.listed = lambda: selectors.technician_list(tenant=tenant)  # what it shows
        field.label_from_instance = lambda user: user.get_full_name() or user.email
        if stages is not None:
            self.fields["stage"].choices = listed_choices(self.fields["stage"], stages)
        if technicians is not None:
            self.fields["technician"].choices = listed_choices(
                self.fields["technician"], technicians
            )
        ids = self.data.getlist("orders") if hasattr(self.data, "getlist") else []
        self.fields["orders"].choices = [(v, v) for v in ids if str(v).isdigit()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.ADVANCE and not cleaned.get("stage"):
            self.add_error("stage", _("Choose the stage to move the orders to."))
        return cleaned


class StageForm(ServiceCheckedModelForm):
    class Meta:
        model = OrderStage
        fields = [
            "name",
            "code",
            "state",
            "parent",
            "back_allowed",
            "can_modify",
            "can_cancel",
            "can_delete",
            "can_post",
            "stops_sla",
            "requires_reason",
            "requires_signoff",
            "position",
        ]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        choices = selectors.stage_choices(tenant=tenant)
        if self.instance.pk:
            choices = choices.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = choices
        self.fields["parent"].empty_label = _("None (the initial stage or a cancel stage)")


class ReasonCodeForm(ServiceCheckedModelForm):
    class Meta:
        model = ReasonCode
        fields = ["name", "code", "position"]
