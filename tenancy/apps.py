from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from . import checks, events, rls  # noqa: F401  (checks registers the system checks)

        events.register_tenancy_events()

        post_migrate.connect(rls.on_post_migrate, dispatch_uid="tenancy.rls")
