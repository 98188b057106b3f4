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
    register_event(
        "holiday.import", _("%(calendar)s: %(count)s holidays imported from an iCal file")
    )
    register_event("window.add", _("%(calendar)s: working window %(window)s added"))
    register_event("window.delete", _("%(calendar)s: working window %(window)s removed"))
    register_event("exception.add", _("%(calendar)s: exception %(exception)s added"))
    register_event("exception.delete", _("%(calendar)s: exception %(exception)s removed"))
    register_event("sla.targets", _("%(record)s: targets changed"))
    register_event(
        "escalation_level.add", _("%(sla)s: escalation at %(percent)s %% to %(who)s added")
    )
    register_event(
        "escalation_level.delete", _("%(sla)s: escalation at %(percent)s %% to %(who)s removed")
    )
    register_event("sla.settings", _("SLA settings changed: %(fields)s"))
