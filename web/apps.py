from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "web"
    verbose_name = _("User interface")

    def ready(self) -> None:
        from .imports import IMPORT_DATA, register_events
        from .navigation import NavItem, register

        register_events()
        register(
            NavItem("imports:upload", _("Import data"), IMPORT_DATA, 905, "/import/", group="admin")
        )
