"""The activity-log events customers records beyond the generic create/update/delete ones (see
tenancy.events). Registered in CustomersConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import register_event


def register_events() -> None:
    # Sites and contacts that service orders or objects refer to are archived, not deleted.
    register_event("customer_site.archive", _("%(record)s archived"))
    register_event("customer_site.restore", _("%(record)s restored"))
    register_event("customer_contact.archive", _("%(record)s archived"))
    register_event("customer_contact.restore", _("%(record)s restored"))
    # A customer contact's login bound to its customer (on accepting the invitation).
    register_event("contact_login.bind", _("%(email)s signs in for %(customer)s"))
