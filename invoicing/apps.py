from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    """The one invoice ledger: subscriptions bill into it, service orders post into it, repairs
    credit through it, each through its services (and hear back through invoicing.hooks)."""

    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from web.navigation import NavItem, register, register_group

        from . import events, registrations
        from .capabilities import VIEW_INVOICES

        register_group("invoicing", _("Invoicing"))
        register(
            NavItem(
                "invoicing:invoice_list",
                _("Invoices"),
                VIEW_INVOICES,
                250,
                "/invoices/",
                group="invoicing",
            ),
            NavItem(
                "invoicing:receivables",
                _("Accounts receivable"),
                VIEW_INVOICES,
                251,
                "/invoices/receivables/",
                group="invoicing",
            ),
        )
        registrations.register_all()
        events.register_events()
