"""Demo data for dispatch: two teams, five technicians (tech1 … tech5) with skills and the
tenant's calendar, one absence, this week's visits (tech1 with three today, sent to the phone)
and the rest of the open orders left in the queue. Idempotent: a tenant with teams is left as
it is."""

import datetime

from django.utils import timezone

from service_orders.models import OrderState, ServiceOrder
from sla.selectors import calendar_default
from tenancy.demo import DEMO_PASSWORD
from tenancy.models import Membership, Tenant, User
from tenancy.roles import Role

from . import services
from .models import Absence, AbsenceKind, Team, TechnicianProfile

TEAMS = {
    "pl": ("Ekipa Północ", "Ekipa Południe"),
    "pt-br": ("Equipe Norte", "Equipe Sul"),
}
# The three technicians beyond the tenant's tech1 and tech2 (first and last names by country).
MORE_PEOPLE = {
    "PL": [("Kamil", "Mazur"), ("Natalia", "Krawczyk"), ("Piotr", "Szymański")],
    "BR": [("Rafael", "Lima"), ("Beatriz", "Costa"), ("Lucas", "Pereira")],
}
BASES = {
    "PL": ("Gdańsk", "Kraków"),
    "BR": ("São Paulo, Zona Norte", "São Paulo, Zona Sul"),
}


def _more_technicians(tenant: Tenant) -> list[User]:
    users = []
    for n, (first, last) in enumerate(MORE_PEOPLE.get(tenant.country, MORE_PEOPLE["PL"]), 3):
        user, created = User.objects.get_or_create(
            email=f"tech{n}@{tenant.slug}.test", defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": Role.TECHNICIAN}
        )
        users.append(user)
    return users


def _skills(tenant: Tenant) -> list[str]:
    from customers.models import ServiceTask

    return sorted(
        {
            skill.strip().lower()
            for skill in ServiceTask.objects.for_tenant(tenant)
            .exclude(required_skill="")
            .values_list("required_skill", flat=True)
        }
    )


def seed(*, tenant: Tenant, people: dict) -> None:
    if Team.objects.for_tenant(tenant).exists():
        return
    dispatcher = people.get("dispatcher") or people.get("manager")
    names = TEAMS.get(tenant.default_language, ("North", "South"))
    north = Team.objects.create(tenant=tenant, name=names[0], owner=dispatcher)
    south = Team.objects.create(tenant=tenant, name=names[1])
    technicians = [people["tech1"], people["tech2"], *_more_technicians(tenant)]
    skills = _skills(tenant)
    calendar = calendar_default(tenant=tenant)
    bases = BASES.get(tenant.country, BASES["PL"])
    profiles = []
    for n, user in enumerate(technicians):
        team = north if n < 3 else south
        # tech1 knows every skill (so the demo's first drops plan without a warning); the
        # others a part of them.
        known = skills if n == 0 else skills[n % 2 :: 2]
        profiles.append(
            TechnicianProfile.objects.create(
                tenant=tenant,
                user=user,
                team=team,
                skills=known,
                home_base=bases[0 if team == north else 1],
                calendar=calendar,
                max_orders_per_day=5,
            )
        )
    today = tenant.today()
    monday = today - datetime.timedelta(days=today.weekday())
    Absence.objects.create(
        tenant=tenant,
        technician=profiles[4],
        kind=AbsenceKind.HOLIDAY,
        start_date=today + datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=3),
    )
    _plan_week(tenant, dispatcher, profiles, today, monday)


def _at(tenant: Tenant, day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tenant.zone)


def _plan_week(tenant, dispatcher, profiles, today, monday) -> None:
    orders = list(
        ServiceOrder.objects.for_tenant(tenant)
        .filter(state=OrderState.NEW)
        .order_by("preferred_date", "number")
        .values_list("pk", flat=True)[:14]
    )
    # tech1: three visits today, sent to the phone; then two a day for the others this week.
    slots = [(profiles[0], today, hour) for hour in (8, 10, 13)]
    for n, profile in enumerate(profiles[1:4], 1):
        for offset in range(0, 5, 2):
            day = monday + datetime.timedelta(days=(offset + n) % 5)
            slots.append((profile, day, 9 + n))
    now = timezone.now()
    for order_id, (profile, day, hour) in zip(orders, slots, strict=False):
        start = _at(tenant, day, hour)
        visit = services.appointment_assign(
            tenant=tenant,
            by=dispatcher,
            order_id=order_id,
            technician_id=profile.pk,
            start=start,
            end=start + datetime.timedelta(hours=1, minutes=30),
            confirmed=True,
            reason="Demo",
        )
        if profile == profiles[0] or start < now + datetime.timedelta(days=2):
            services.appointment_dispatch(tenant=tenant, by=dispatcher, appointment_id=visit.pk)
