"""What customers adds to lower apps (see accounts.bindings): the customer a customer contact
is invited for, and bound to when they accept."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.bindings import RoleBinding, register_role_binding
from tenancy.roles import Role
from web.pickers import PickerSelect

from . import selectors, services
from .models import Customer


def _invitation_fields(tenant) -> dict:
    return {
        "customer": forms.ModelChoiceField(
            label=_("Customer"),
            queryset=selectors.customer_choices(tenant=tenant).filter(is_active=True),
            widget=PickerSelect(search="customers:customer_search"),
            help_text=_("A customer contact sees only this customer's requests and orders."),
            error_messages={"invalid_choice": _("Choose one of your active customers.")},
        )
    }


def _clean(*, tenant, data: dict) -> dict:
    customer = services.contact_login_customer_check(tenant=tenant, customer=data.get("customer"))
    return {"customer": customer.pk, "label": str(customer)}


def _accept(*, tenant, user, params: dict) -> None:
    try:
        services.contact_login_bind(tenant=tenant, user=user, customer_id=params["customer"])
    except (KeyError, Customer.DoesNotExist) as exc:
        raise forms.ValidationError(
            _("The customer of this invitation no longer exists: ask for a new invitation.")
        ) from exc


def _describe(*, params: dict) -> str:
    """The customer as it was named when invited (kept with the invitation: no query)."""
    return params.get("label", "")


def _annotate(qs):
    return selectors.contact_login_bound_to(qs, name=f"bound_to_{Role.CUSTOMER_CONTACT}")


def register_all() -> None:
    register_role_binding(
        RoleBinding(
            role=Role.CUSTOMER_CONTACT,
            form_fields=_invitation_fields,
            clean=_clean,
            accept=_accept,
            describe=_describe,
            annotate_members=_annotate,
        )
    )
