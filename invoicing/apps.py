from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    """The one invoice ledger (filled by the invoicing issue): subscriptions bill into it,
    service orders post into it, repairs credit through it, each through its services."""

    name = "invoicing"
    verbose_name = _("Invoicing")
