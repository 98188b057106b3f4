"""Demo data for service levels: Gold/Silver/Bronze SLAs with targets per priority and
escalation levels, and a default business calendar with a lunch break (08:00–12:00 and
13:00–17:00, Monday to Friday) and the country's public holidays for 2026 and 2027, named and
described in the tenant's language. Silver is the tenant default. Idempotent (get_or_create by
code, name, date, priority, percent; windows only on a calendar that has none).
"""

import datetime
from collections.abc import Callable

from dateutil.easter import easter

from tenancy.models import Tenant

from .models import (
    BusinessCalendar,
    EscalationLevel,
    EscalationRole,
    Holiday,
    ServiceLevelAgreement,
    SlaSettings,
    SlaTarget,
    WorkingWindow,
)

DEMO_YEARS = (2026, 2027)

# code, then (name, description) per language: English, Polish, Brazilian Portuguese
DEMO_SLAS = [
    (
        "GOLD",
        ("Gold", "4-hour response, next-day resolution, 24/7 hotline."),
        ("Złoty", "Reakcja w ciągu 4 godzin, naprawa następnego dnia, infolinia 24/7."),
        ("Ouro", "Atendimento em até 4 horas, solução no dia seguinte, plantão 24 horas."),
    ),
    (
        "SILVER",
        ("Silver", "Same-day response, resolution within three working days."),
        ("Srebrny", "Reakcja tego samego dnia, naprawa w ciągu trzech dni roboczych."),
        ("Prata", "Atendimento no mesmo dia, solução em até três dias úteis."),
    ),
    (
        "BRONZE",
        ("Bronze", "Response on the next business day."),
        ("Brązowy", "Reakcja następnego dnia roboczego."),
        ("Bronze", "Atendimento no próximo dia útil."),
    ),
]
LANGUAGES = ("en", "pl", "pt-br")  # the order of the texts above


def _poland(year: int) -> list[tuple[datetime.date, str]]:
    sunday = easter(year)
    day = datetime.timedelta
    return [
        (datetime.date(year, 1, 1), "Nowy Rok"),
        (datetime.date(year, 1, 6), "Święto Trzech Króli"),
        (sunday, "Wielkanoc"),
        (sunday + day(1), "Poniedziałek Wielkanocny"),
        (datetime.date(year, 5, 1), "Święto Pracy"),
        (datetime.date(year, 5, 3), "Święto Konstytucji 3 Maja"),
        (sunday + day(49), "Zielone Świątki"),
        (sunday + day(60), "Boże Ciało"),
        (datetime.date(year, 8, 15), "Wniebowzięcie Najświętszej Maryi Panny"),
        (datetime.date(year, 11, 1), "Wszystkich Świętych"),
        (datetime.date(year, 11, 11), "Narodowe Święto Niepodległości"),
        (datetime.date(year, 12, 24), "Wigilia Bożego Narodzenia"),  # a public holiday since 2025
        (datetime.date(year, 12, 25), "Boże Narodzenie (pierwszy dzień)"),
        (datetime.date(year, 12, 26), "Boże Narodzenie (drugi dzień)"),
    ]


def _brazil(year: int) -> list[tuple[datetime.date, str]]:
    """National holidays (feriados nacionais), Good Friday included."""
    return [
        (datetime.date(year, 1, 1), "Confraternização Universal"),
        (easter(year) - datetime.timedelta(days=2), "Sexta-feira Santa"),
        (datetime.date(year, 4, 21), "Tiradentes"),
        (datetime.date(year, 5, 1), "Dia do Trabalho"),
        (datetime.date(year, 9, 7), "Independência do Brasil"),
        (datetime.date(year, 10, 12), "Nossa Senhora Aparecida"),
        (datetime.date(year, 11, 2), "Finados"),
        (datetime.date(year, 11, 15), "Proclamação da República"),
        (datetime.date(year, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
        (datetime.date(year, 12, 25), "Natal"),
    ]


PUBLIC_HOLIDAYS: dict[str, Callable[[int], list[tuple[datetime.date, str]]]] = {
    "PL": _poland,
    "BR": _brazil,
}
CALENDAR_NAMES = {"PL": "Dni robocze Polska", "BR": "Dias úteis Brasil"}


def public_holidays(country: str, year: int) -> list[tuple[datetime.date, str]]:
    rule = PUBLIC_HOLIDAYS.get(country)
    return rule(year) if rule else []


# Working hours per code and priority: (response, resolution).
DEMO_TARGETS = {
    "GOLD": {"high": (2, 8), "normal": (4, 16), "low": (8, 24)},
    "SILVER": {"high": (4, 16), "normal": (8, 24), "low": (16, 40)},
    "BRONZE": {"high": (8, 24), "normal": (16, 40), "low": (None, 80)},
}
LUNCH_BREAK = (
    (datetime.time(8), datetime.time(12)),
    (datetime.time(13), datetime.time(17)),
)


def seed(*, tenant: Tenant, people: dict) -> None:
    language = (
        LANGUAGES.index(tenant.default_language) if tenant.default_language in LANGUAGES else 0
    )
    calendar = _calendar(tenant)
    slas = {}
    for code, *texts in DEMO_SLAS:
        name, description = texts[language]
        slas[code], _ = ServiceLevelAgreement.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={"name": name, "description": description, "calendar": calendar},
        )
        if slas[code].calendar_id is None:
            slas[code].calendar = calendar
            slas[code].save(update_fields=["calendar"])
        for priority, (response, resolution) in DEMO_TARGETS[code].items():
            SlaTarget.objects.get_or_create(
                tenant=tenant,
                sla=slas[code],
                priority=priority,
                defaults={
                    "response_minutes": response * 60 if response else None,
                    "resolution_minutes": resolution * 60,
                },
            )
        _levels(tenant, slas[code], people.get("manager"))
    SlaSettings.objects.get_or_create(tenant=tenant, defaults={"default_sla": slas["SILVER"]})


def _levels(tenant: Tenant, sla: ServiceLevelAgreement, manager) -> None:
    """The dispatchers at 75 %, the service managers at 100 %, the demo manager by name at 150 %
    (only on Gold: the named-person example)."""
    levels = [(75, EscalationRole.DISPATCHER, None), (100, EscalationRole.SERVICE_MANAGER, None)]
    if sla.code == "GOLD" and manager is not None:
        levels.append((150, "", manager))
    for percent, role, user in levels:
        EscalationLevel.objects.get_or_create(
            tenant=tenant, sla=sla, percent=percent, defaults={"role": role, "user": user}
        )


def _calendar(tenant: Tenant) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.for_tenant(tenant).filter(is_default=True).first()
    if calendar is None:
        calendar, _ = BusinessCalendar.objects.get_or_create(
            tenant=tenant,
            name=CALENDAR_NAMES.get(tenant.country, "Business days"),
        )
        if not calendar.is_default:
            calendar.is_default = True
            calendar.save(update_fields=["is_default"])
    for year in DEMO_YEARS:
        for date, name in public_holidays(tenant.country, year):
            Holiday.objects.get_or_create(
                tenant=tenant, calendar=calendar, date=date, defaults={"name": name}
            )
    if not WorkingWindow.objects.for_tenant(tenant).filter(calendar=calendar).exists():
        WorkingWindow.objects.bulk_create(
            WorkingWindow(
                tenant=tenant, calendar=calendar, weekday=day, start_time=start, end_time=end
            )
            for day in calendar.working_days
            for start, end in LUNCH_BREAK
        )
    return calendar
