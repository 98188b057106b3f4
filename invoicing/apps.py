from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    """The one invoice ledger: subscriptions bill into it, service orders post into it, repairs
    credit through it, each through its services (and hear back through invoicing.hooks)."""

    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from web.navigation import NavItem, register

        from . import events, registrations
        from .capabilities import VIEW_INVOICES

        # One entry, no drop-down: the menu must fit 1280 px in every language. Accounts
        # receivable and the overdue list are a click away on the invoice list.
        register(NavItem("invoicing:invoice_list", _("Invoices"), VIEW_INVOICES, 250, "/invoices/"))
        registrations.register_all()
        events.register_events()
