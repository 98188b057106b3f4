from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The role home pages. At the top of the dependency order: reads any app's selectors
    (through the home tiles they register); nothing imports it."""

    name = "home"
    verbose_name = _("Home")
