"""The activity-log events of web requests (see tenancy.events). Registered in
ServiceOrdersConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import register_event


def register_request_events() -> None:
    register_event("web_request.submit", _("Web request %(number)s from %(customer)s submitted"))
    register_event("web_request.accept", _("Web request %(number)s accepted as order %(order)s"))
    register_event("web_request.reject", _("Web request %(number)s rejected: %(reason)s"))
