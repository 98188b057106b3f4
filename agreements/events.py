"""The activity-log events agreements record and what they say (see tenancy.events).
Registered in AgreementsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from customers.models import LineKind
from tenancy.events import FieldLabels, register_event


def _created(params: dict):
    return _("Template %(number)s created") if params.get("template") else _("%(number)s created")


def _line(value, event) -> str:
    """A line by its description or task; a line with neither by its kind."""
    if value:
        return str(value)
    kind = (event.params or {}).get("kind", "")
    try:
        return str(LineKind(kind).label)
    except ValueError:
        return str(kind)


def _rate_kind(value, event) -> str:
    from .models import RateKind

    try:
        return str(RateKind(value).label)
    except ValueError:
        return str(value)


def _rate_subject(value, event) -> str:
    if value:
        return f"“{value}”"
    if (event.params or {}).get("kind") == "hour":
        return str(_("for every task"))
    return ""


def register_events() -> None:
    register_event("agreement.create", _created)
    register_event("agreement.update", _("%(number)s changed: %(fields)s"))
    register_event("agreement.activate", _("%(number)s activated"))
    register_event("agreement.suspend", _("%(number)s suspended"))
    register_event("agreement.resume", _("%(number)s resumed"))
    register_event("agreement.expire", _("%(number)s expired"))
    register_event("agreement.cancel", _("%(number)s cancelled"))
    register_event("agreement.mark_template", _("%(number)s marked as a template"))
    register_event(
        "agreement.create_from_template", _("%(number)s created from template %(template)s")
    )
    register_event("agreement.renew", _("%(number)s renews %(old)s"))
    register_event("agreement.object_add", _("%(number)s now covers %(object)s"))
    register_event("agreement.object_remove", _("%(number)s no longer covers %(object)s"))
    register_event("agreement.task_add", _("%(number)s now includes %(task)s"))
    register_event("agreement.task_remove", _("%(number)s no longer includes %(task)s"))
    register_event(
        "agreement.line_add", _("%(number)s: line %(position)s added (%(line)s)"), line=_line
    )
    register_event(
        "agreement.line_update",
        _("%(number)s: line %(position)s changed: %(fields)s"),
        fields=FieldLabels("agreements.AgreementLine"),
    )
    register_event("agreement.line_stop", _("%(number)s: line %(position)s stopped"))
    register_event("agreement.line_unstop", _("%(number)s: line %(position)s runs again"))
    register_event("agreement.line_delete", _("%(number)s: line %(position)s deleted"))
    register_event("agreement.line_restore", _("%(number)s: line %(position)s restored"))
    rate = {"kind": _rate_kind, "rate": _rate_subject}
    register_event(
        "agreement.rate_add", _("Rate card of %(card)s: %(kind)s %(rate)s added"), **rate
    )
    register_event(
        "agreement.rate_update", _("Rate card of %(card)s: %(kind)s %(rate)s changed"), **rate
    )
    register_event(
        "agreement.rate_delete", _("Rate card of %(card)s: %(kind)s %(rate)s removed"), **rate
    )
    register_event(
        "agreement.objects_add_bulk",
        _("%(number)s now covers %(count)s more service objects"),
    )
    register_event(
        "agreement.lines_copy",
        _("%(number)s: %(count)s lines copied from template %(template)s"),
    )
    register_event(
        "agreement.lines_bulk_update",
        _("%(number)s: lines %(positions)s changed together: %(fields)s"),
        fields=FieldLabels("agreements.AgreementLine"),
    )
