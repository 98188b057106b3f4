"""Demo data for tenancy: the two demo tenants and their people (a contract: see README).

Every app may have a ``demo.py`` with ``seed(*, tenant, people)``; ``manage.py seed_demo`` calls
them in dependency order inside the tenant's scope. Each must be idempotent.
"""

from dataclasses import dataclass

from .models import Membership, Tenant, User
from .roles import Role

DEMO_PASSWORD = "fieldline-demo"  # noqa: S105 - documented demo login


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    code: str
    name: str
    time_zone: str
    currency: str
    language: str
    country: str


DEMO_TENANTS = [
    DemoTenant("acme", "acme", "Acme Field Services", "Europe/Warsaw", "PLN", "pl", "PL"),
    DemoTenant("globex", "globex-br", "Globex Serviços", "America/Sao_Paulo", "BRL", "pt-br", "BR"),
]

# Login prefix, role, and (first name, last name) per demo country: people named as in the
# tenant's country.
DEMO_PEOPLE = [
    ("admin", Role.TENANT_ADMIN, {"PL": ("Ada", "Nowak"), "BR": ("Adriana", "Souza")}),
    ("manager", Role.SERVICE_MANAGER, {"PL": ("Marta", "Kowalska"), "BR": ("Mariana", "Ferreira")}),
    ("dispatcher", Role.DISPATCHER, {"PL": ("Dariusz", "Wójcik"), "BR": ("Diego", "Almeida")}),
    ("tech1", Role.TECHNICIAN, {"PL": ("Tomasz", "Lewandowski"), "BR": ("Thiago", "Rocha")}),
    ("tech2", Role.TECHNICIAN, {"PL": ("Teresa", "Zając"), "BR": ("Tainá", "Gomes")}),
]

ROOT_EMAIL = "root@fieldline.test"
MULTI_EMAIL = "multi@fieldline.test"


def _user(email: str, first_name: str = "", last_name: str = "", **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed_people() -> dict[str, dict[str, User]]:
    """Tenants, users and memberships. Returns {tenant slug: {login prefix: user}}."""
    _user(ROOT_EMAIL, "Root", "Platform", is_staff=True, is_superuser=True)
    multi = _user(MULTI_EMAIL, "Mia", "Multi")
    people: dict[str, dict[str, User]] = {}
    for spec in DEMO_TENANTS:
        tenant, _ = Tenant.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "code": spec.code,
                "name": spec.name,
                "time_zone": spec.time_zone,
                "currency": spec.currency,
                "default_language": spec.language,
                "country": spec.country,
            },
        )
        people[spec.slug] = {}
        for prefix, role, names in DEMO_PEOPLE:
            first, last = names.get(spec.country, ("", ""))
            user = _user(f"{prefix}@{spec.slug}.test", first, last)
            Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
            people[spec.slug][prefix] = user
        Membership.objects.get_or_create(
            tenant=tenant, user=multi, defaults={"role": Role.DISPATCHER}
        )
        people[spec.slug]["multi"] = multi
    return people
