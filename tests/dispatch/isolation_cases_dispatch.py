"""Isolation cases for the dispatch pages (see tests/isolation.py)."""

from dispatch.models import AppointmentStatus
from tenancy.roles import Role
from tests.factories import (
    AbsenceFactory,
    AppointmentFactory,
    TeamFactory,
    TechnicianProfileFactory,
)


def _visit(tenant) -> dict:
    return {"pk": AppointmentFactory(technician=TechnicianProfileFactory(tenant=tenant)).pk}


def _my_visit(tenant, user=None) -> dict:
    if user is None:
        profile = TechnicianProfileFactory(tenant=tenant)
    else:
        profile = TechnicianProfileFactory(tenant=tenant, user=user, membership=False)
    visit = AppointmentFactory(technician=profile, status=AppointmentStatus.DISPATCHED)
    return {"pk": visit.pk}


def _team(tenant) -> dict:
    return {"pk": TeamFactory(tenant=tenant).pk}


def _absence(tenant) -> dict:
    return {"pk": AbsenceFactory(technician=TechnicianProfileFactory(tenant=tenant)).pk}


CASES = {
    "dispatch:move": _visit,
    "dispatch:unassign": _visit,
    "dispatch:dispatch": _visit,
    "dispatch:team_edit": _team,
    "dispatch:team_delete": _team,
    "dispatch:profile_edit": lambda tenant: {"pk": TechnicianProfileFactory(tenant=tenant).pk},
    "dispatch:absence_edit": _absence,
    "dispatch:absence_delete": _absence,
    "dispatch:my_step": _my_visit,
}

OWNER_ROLES = {"dispatch:my_step": Role.TECHNICIAN}

SECRET_LINKS = {
    "dispatch:feed": "tests/dispatch/test_technician_day.py (a wrong, another tenant's or a "
    "replaced secret gets 404)",
}
