"""The activity-log events of service levels that need more than the generic create/update
sentence (see tenancy.events). Registered in SlaConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import DateParam, register_event


def register_events() -> None:
    register_event(
        "holiday.add", _("%(calendar)s: holiday %(holiday)s on %(date)s added"), date=DateParam()
    )
    register_event(
        "holiday.delete",
        _("%(calendar)s: holiday %(holiday)s on %(date)s removed"),
        date=DateParam(),
    )
