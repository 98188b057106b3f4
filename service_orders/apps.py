from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceOrdersConfig(AppConfig):
    name = "service_orders"
    verbose_name = _("Service orders")
