from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from invoicing.hooks import (
            register_credited_hook,
            register_issued_hook,
            register_release_hook,
        )
        from tenancy.sequences import register_sequence
        from web.navigation import NavItem, register

        from . import events, registrations
        from .capabilities import MANAGE_SUBSCRIPTIONS, RUN_BILLING, VIEW_SUBSCRIPTIONS
        from .services.accruals import fees_credited, fees_issued
        from .services.billing import FEE_SOURCE, fees_released

        register_sequence("subscription", _("Subscriptions"), "SUB-")
        # In the Agreements menu: the navbar has no room for another drop-down at 1280 px.
        register(
            NavItem(
                "subscriptions:subscription_list",
                _("Subscriptions"),
                VIEW_SUBSCRIPTIONS,
                210,
                "/subscriptions/",
                group="agreements",
            ),
            NavItem(
                "subscriptions:billing",
                _("Run billing"),
                RUN_BILLING,
                212,
                "/subscriptions/billing/",
                group="agreements",
            ),
            NavItem(
                "subscriptions:group_list",
                _("Subscription groups"),
                MANAGE_SUBSCRIPTIONS,
                214,
                "/subscriptions/groups/",
                group="agreements",
            ),
            NavItem(
                "subscriptions:price_list",
                _("Price list"),
                MANAGE_SUBSCRIPTIONS,
                216,
                "/subscriptions/prices/",
                group="agreements",
            ),
            NavItem(
                "subscriptions:deferred_revenue",
                _("Deferred revenue"),
                VIEW_SUBSCRIPTIONS,
                218,
                "/subscriptions/deferred-revenue/",
                group="agreements",
            ),
        )
        events.register_events()
        registrations.register_all()
        register_issued_hook(fees_issued)
        register_credited_hook(fees_credited)
        register_release_hook(FEE_SOURCE, fees_released)
