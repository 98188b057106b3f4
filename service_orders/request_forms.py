"""Forms of web requests: the request itself (the contact's portal and the technician's phone),
the dispatcher's accept form and the list filters."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers import selectors as customer_selectors
from customers.models import Customer
from web.forms import ValuesChoiceField
from web.photos import MAX_PHOTO_BYTES

from .forms import customer_label
from .models import Priority, WebRequestState
from .services.web_requests import MAX_REQUEST_PHOTOS
from .technician_forms import DateInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from one file input (each checked by the service like an order photo)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class WebRequestForm(forms.Form):
    """What needs doing, on which of the customer's objects, where and when; the customer is
    the contact's own (or the technician's order's), never a field."""

    service_object = forms.ModelChoiceField(
        label=_("Service object"),
        required=False,
        queryset=None,
        empty_label=_("Not one of the listed objects"),
    )
    site = forms.ModelChoiceField(
        label=_("Service site"),
        required=False,
        queryset=None,
        empty_label=_("The object's site"),
        help_text=_("Where the work is to be done; empty: where the object is."),
    )
    description = forms.CharField(
        label=_("What needs to be done?"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    preferred_date = forms.DateField(label=_("Preferred date"), required=False, widget=DateInput())
    photos = MultiplePhotoField(label=_("Photos"), required=False)

    def __init__(self, *args, tenant, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].fl_required = True
        # Formatted per request, in the reader's language.
        self.fields["photos"].help_text = gettext(
            "Up to %(count)s photos: JPEG, PNG or WebP, at most %(size)s MB each."
        ) % {"count": MAX_REQUEST_PHOTOS, "size": MAX_PHOTO_BYTES // (1024 * 1024)}
        self.fields["service_object"].queryset = customer_selectors.customer_active_objects(
            tenant=tenant, customer_id=customer.pk
        )
        self.fields["service_object"].error_messages["invalid_choice"] = _(
            "Choose one of the service objects of %(customer)s."
        ) % {"customer": customer.name}
        self.fields["site"].queryset = customer_selectors.customer_sites(
            tenant=tenant, customer=customer
        )
        self.fields["site"].error_messages["invalid_choice"] = _(
            "Choose a site of %(customer)s."
        ) % {"customer": customer.name}


class AcceptForm(forms.Form):
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )


class RequestFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *WebRequestState.choices],
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

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_selectors.customer_choices(tenant=tenant)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        customer = self.cleaned_data.get("customer")
        return {
            "state": self.cleaned_data.get("state", ""),
            "customer_id": customer.pk if customer else None,
        }


class PortalRequestFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *WebRequestState.choices],
    )
