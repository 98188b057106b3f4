"""The activity-log events returns records (see tenancy.events); registered in ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import ChoiceLabel, register_event

from .models import Disposition


def register_events() -> None:
    register_event("returns.create", _("Return %(number)s created for %(customer)s"))
    register_event("returns.line_add", _("“%(description)s” added to return %(number)s"))
    register_event("returns.line_remove", _("“%(description)s” removed from return %(number)s"))
    register_event("returns.open", _("Return %(number)s opened"))
    register_event("returns.cancel", _("Return %(number)s cancelled"))
    register_event("returns.close", _("Return %(number)s closed"))
    register_event(
        "returns.arrival", _("%(quantity)s of “%(description)s” arrived on return %(number)s")
    )
    register_event(
        "returns.disposition",
        _("“%(description)s” on return %(number)s: %(disposition)s"),
        disposition=ChoiceLabel(Disposition),
    )
