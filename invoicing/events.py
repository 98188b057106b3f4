"""The activity-log events invoicing records (see tenancy.events); registered in ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import register_event


def register_events() -> None:
    register_event("invoicing.issue", _("Invoice %(number)s issued"))
    register_event("invoicing.cancel", _("Draft invoice %(id)s cancelled"))
    register_event("invoicing.line_remove", _("Line “%(description)s” removed from a draft"))
    register_event("invoicing.payment", _("Payment of %(amount)s recorded on %(number)s"))
    register_event("invoicing.credit", _("%(number)s credited by %(credit_note)s"))
    register_event("invoicing.settings", _("Invoicing settings changed: %(fields)s"))
