"""What invoicing adds to the pages of the apps below it (see web.registry)."""

from django.utils.translation import gettext_lazy

from tenancy.roles import OFFICE
from web.registry import (
    HomeTile,
    Panel,
    SettingsSection,
    register_home_tile,
    register_panel,
    register_settings_section,
    register_usage_check,
)

from . import selectors
from .capabilities import VIEW_INVOICES
from .forms import InvoicingSettingsForm
from .models import Invoice, InvoiceKind, InvoiceState
from .services.settings import invoicing_settings_update


def _customer_invoices(request, customer) -> dict:
    billed_to = None
    if customer.invoice_account_id:
        billed_to = (
            selectors.customer_choices(tenant=request.tenant)
            .filter(pk=customer.invoice_account_id)
            .first()
        )
    return {
        "customer": customer,
        "billed_to": billed_to,
        "invoices": selectors.customer_invoices(tenant=request.tenant, customer=customer),
    }


def _customer_in_use(tenant, customer) -> str | None:
    if Invoice.objects.for_tenant(tenant).filter(customer=customer).exists():
        from django.utils.translation import gettext

        return gettext("The customer has invoices.")
    return None


def _settings_form(*, tenant, data=None, prefix=None) -> InvoicingSettingsForm:
    return InvoicingSettingsForm(
        data, instance=selectors.invoicing_settings(tenant=tenant), prefix=prefix
    )


def _settings_save(*, tenant, by, data) -> None:
    invoicing_settings_update(tenant=tenant, by=by, data=data)


def _overdue_tile(request) -> dict | None:
    count = (
        Invoice.objects.for_tenant(request.tenant)
        .filter(
            kind=InvoiceKind.INVOICE,
            state=InvoiceState.ISSUED,
            due_date__lt=request.tenant.today(),
        )
        .count()
    )
    from django.urls import reverse

    return {
        "count": count,
        "url": reverse("invoicing:invoice_list") + "?overdue=on",
        "attention": "danger",
    }


def register_all() -> None:
    register_panel(
        Panel(
            "customer",
            "invoicing",
            "invoicing/panels/customer_invoices.html",
            _customer_invoices,
            VIEW_INVOICES,
            order=150,
        )
    )
    register_usage_check("customers.customer", _customer_in_use)
    register_settings_section(
        SettingsSection(
            "invoicing",
            gettext_lazy("Invoicing"),
            _settings_form,
            _settings_save,
            order=400,
        )
    )
    register_home_tile(
        HomeTile(
            "overdue_invoices",
            gettext_lazy("Overdue invoices"),
            frozenset(OFFICE),
            "web/_count_tile.html",
            _overdue_tile,
            order=150,
        )
    )
