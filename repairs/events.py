"""The activity-log events repairs record (see tenancy.events). Registered in
RepairsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from tenancy.events import ChoiceLabel, register_event

from .models import BomAction


def register_events() -> None:
    register_event("repair.line_add", _("Repair line “%(title)s” added on %(number)s"))
    register_event(
        "repair.line_stage", _("Repair line “%(title)s” on %(number)s moved to %(stage)s")
    )
    register_event("repair.photo_add", _("Photo added to repair line “%(title)s”"))
    register_event("bom.approve", _("BOM %(record)s approved"))
    register_event("bom.activate", _("BOM %(record)s activated"))
    register_event("bom.retire", _("BOM %(record)s retired"))
    register_event(
        "service_bom.change",
        _("Parts of %(object)s changed: %(change)s"),
        change=ChoiceLabel(BomAction),
    )
