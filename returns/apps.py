from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    """Returns (RMA): return orders picked from the customer's invoices, their arrival and
    dispositions (credit notes through invoicing, replacement and repair service orders)."""

    name = "returns"
    verbose_name = _("Returns")

    def ready(self) -> None:
        from tenancy.sequences import register_sequence
        from web.navigation import NavItem, register

        from . import events, registrations
        from .capabilities import MANAGE_RETURN_REASONS, VIEW_RETURNS

        register_sequence("return_order", _("Returns (RMA)"), "RMA-")
        register(
            NavItem(
                "returns:return_list",
                _("Returns"),
                VIEW_RETURNS,
                330,
                "/returns/",
                group="orders",
            ),
            NavItem(
                "returns:reason_list",
                _("Return reasons"),
                MANAGE_RETURN_REASONS,
                335,
                "/returns/reasons/",
                group="orders",
            ),
        )
        registrations.register_all()
        events.register_events()
