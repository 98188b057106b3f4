"""Demo data for agreements (a contract: see tenancy/demo.py and README).

``seed`` runs after the customers demo (customers, objects, items, tasks, agreement groups)
and lays per demo tenant: a template group with the template "Annual boiler maintenance", one
suspended agreement and five active ones that run from the start of this month for fifteen
months, with lines of different intervals, so that order generation produces orders over the
coming weeks. Every text is in the tenant's language (Polish for acme, Brazilian Portuguese for
globex, English elsewhere). Idempotent: a record that exists is left alone.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from customers.models import AgreementGroup, Customer, Item, LineKind, ServiceObject, ServiceTask
from tenancy.models import Tenant, User

from . import services
from .models import (
    Agreement,
    AgreementRate,
    CombineRule,
    IntervalUnit,
    RateKind,
    TemplateGroup,
    TimeWindow,
)

# Each demo text in English, Polish and Brazilian Portuguese; _say picks the tenant's.
type Texts = tuple[str, str, str]

TEMPLATE_GROUP: Texts = ("Heating", "Ogrzewanie", "Aquecimento")
TEMPLATE: Texts = (
    "Annual boiler maintenance",
    "Roczna konserwacja kotła",
    "Manutenção anual da caldeira",
)
SUSPEND_REASON: Texts = (
    "Site closed for renovation",
    "Obiekt zamknięty na czas remontu",
    "Local fechado para reforma",
)


def _say(tenant: Tenant, texts: Texts) -> str:
    """The text in the tenant's language."""
    language = tenant.default_language
    return texts[1] if language == "pl" else texts[2] if language == "pt-br" else texts[0]


@dataclass
class DemoLine:
    """One line of a demo agreement: ``on_object`` indexes the customer's objects (by number),
    ``task`` is a task code, ``item`` an item number, ``technician`` a demo login prefix."""

    description: Texts
    unit: str
    count: int = 1
    on_object: int | None = 0
    task: str | None = None
    item: str | None = None
    technician: str = "tech1"
    kind: str = LineKind.HOUR
    excluded_months: list[int] = field(default_factory=list)
    exclude_holidays: bool = False
    time_window: str = TimeWindow.EXACT
    days_around: int = 0
    quantity: str = "1"
    unit_price: str | None = "120.00"
    start_on_31st: bool = False
    start_in_days: int = 0  # the line starts this many days after the agreement


# What the office tells the technician, and the customer on the receipt, about a task of the
# agreement (copied onto every generated order).
TASK_NOTES: dict[str, tuple[Texts, Texts]] = {
    "BOIL-INSP": (
        (
            "Boiler room key at the reception desk; report any smell of gas at once.",
            "Klucz do kotłowni w recepcji; każdy zapach gazu zgłaszać natychmiast.",
            "Chave da casa de máquinas na recepção; comunique imediatamente qualquer cheiro de "
            "gás.",
        ),
        (
            "Flue gas values measured and within limits unless noted below.",
            "Parametry spalin zmierzone, w normie, o ile poniżej nie zaznaczono inaczej.",
            "Valores dos gases de combustão medidos e dentro dos limites, salvo indicação abaixo.",
        ),
    ),
    "FGAS": (
        (
            "Bring the leak detector; the F-gas log book is in the plant room.",
            "Zabrać wykrywacz nieszczelności; książka F-gazowa leży w maszynowni.",
            "Levar o detector de vazamentos; o livro de registro de gases fluorados fica na "
            "sala técnica.",
        ),
        (
            "Leak test recorded in the F-gas log book as the regulation requires.",
            "Kontrolę szczelności wpisano do książki F-gazowej zgodnie z przepisami.",
            "Teste de vazamento registrado no livro de gases fluorados, como exige a norma.",
        ),
    ),
}


@dataclass
class DemoAgreement:
    description: Texts
    customer: int  # index into the tenant's customers (by number)
    group: str
    combine_rule: str
    lines: list[DemoLine]
    suspended: bool = False


ACTIVE = [
    DemoAgreement(
        ("Boiler room maintenance", "Serwis kotłowni", "Manutenção da casa de máquinas"),
        0,
        "GOLD",
        CombineRule.PER_AGREEMENT,
        [
            DemoLine(
                (
                    "Weekly boiler check",
                    "Cotygodniowa kontrola kotła",
                    "Verificação semanal da caldeira",
                ),
                IntervalUnit.WEEK,
                task="BOIL-INSP",
                exclude_holidays=True,
            ),
            DemoLine(
                ("Burner cleaning", "Czyszczenie palnika", "Limpeza do queimador"),
                IntervalUnit.MONTH,
                on_object=1,
                task="BURN-CLEAN",
                technician="tech2",
                excluded_months=[8],
                time_window=TimeWindow.SAME_WEEK,
            ),
            # Due mid-quarter, any open day of its month: generation puts it on the weekly
            # check's visit of that month (one trip).
            DemoLine(
                (
                    "Safety valve test",
                    "Próba zaworu bezpieczeństwa",
                    "Teste da válvula de segurança",
                ),
                IntervalUnit.QUARTER,
                task="BOIL-INSP",
                time_window=TimeWindow.SAME_MONTH,
                start_in_days=10,
            ),
            DemoLine(
                (
                    "Air-conditioning leak test",
                    "Kontrola szczelności klimatyzacji",
                    "Teste de vazamento do ar-condicionado",
                ),
                IntervalUnit.QUARTER,
                on_object=2,
                task="FGAS",
                start_on_31st=True,
            ),
        ],
    ),
    DemoAgreement(
        ("Ventilation service", "Serwis wentylacji", "Manutenção da ventilação"),
        1,
        "SILVER",
        CombineRule.PER_OBJECT,
        [
            DemoLine(
                ("Filter change, wing A", "Wymiana filtrów, skrzydło A", "Troca de filtros, ala A"),
                IntervalUnit.WEEK,
                count=2,
                task="FILTER",
                technician="tech2",
                time_window=TimeWindow.DAYS_AROUND,
                days_around=2,
            ),
            DemoLine(
                ("Filters, wing A", "Filtry, skrzydło A", "Filtros, ala A"),
                IntervalUnit.WEEK,
                count=2,
                item="M-1002",
                technician="tech2",
                kind=LineKind.ITEM,
                quantity="2",
                unit_price=None,
            ),
            DemoLine(
                ("Filter change, wing B", "Wymiana filtrów, skrzydło B", "Troca de filtros, ala B"),
                IntervalUnit.WEEK,
                count=2,
                on_object=1,
                task="FILTER",
                technician="tech2",
                time_window=TimeWindow.DAYS_AROUND,
                days_around=2,
            ),
        ],
    ),
    DemoAgreement(
        (
            "Heat pump and server room cooling",
            "Pompa ciepła i chłodzenie serwerowni",
            "Bomba de calor e climatização da sala de servidores",
        ),
        2,
        "GOLD",
        CombineRule.PER_TECHNICIAN,
        [
            DemoLine(
                (
                    "Heat pump refrigerant check",
                    "Kontrola czynnika chłodniczego pompy ciepła",
                    "Verificação do fluido refrigerante da bomba de calor",
                ),
                IntervalUnit.QUARTER,
                task="FGAS",
                start_on_31st=True,
            ),
            DemoLine(
                (
                    "Server room air-conditioning filters",
                    "Filtry klimatyzacji serwerowni",
                    "Filtros do ar-condicionado da sala de servidores",
                ),
                IntervalUnit.MONTH,
                on_object=1,
                task="FILTER",
                technician="tech2",
                excluded_months=[8],
                exclude_holidays=True,
                time_window=TimeWindow.SAME_MONTH,
            ),
        ],
    ),
    DemoAgreement(
        (
            "Fire safety inspections",
            "Przeglądy ochrony przeciwpożarowej",
            "Inspeções de segurança contra incêndio",
        ),
        3,
        "BRONZE",
        CombineRule.PER_TASK,
        [
            DemoLine(
                ("Extinguishers, ground floor", "Gaśnice, parter", "Extintores, térreo"),
                IntervalUnit.MONTH,
                task="FIRE-EXT",
            ),
            DemoLine(
                ("Extinguishers, first floor", "Gaśnice, piętro 1", "Extintores, 1º piso"),
                IntervalUnit.MONTH,
                on_object=1,
                task="FIRE-EXT",
            ),
            DemoLine(
                ("Annual certification", "Coroczne poświadczenie przeglądu", "Certificação anual"),
                IntervalUnit.YEAR,
                on_object=None,
                technician="",
                kind=LineKind.FEE,
                unit_price="450.00",
            ),
        ],
    ),
    DemoAgreement(
        ("Water treatment plant", "Stacja uzdatniania wody", "Estação de tratamento de água"),
        4,
        "SILVER",
        CombineRule.PER_AGREEMENT,
        [
            DemoLine(
                ("Water quality test", "Badanie jakości wody", "Análise da qualidade da água"),
                IntervalUnit.WEEK,
                task="WATER-TEST",
                technician="tech2",
                exclude_holidays=True,
            ),
            DemoLine(
                ("Sodium hypochlorite", "Podchloryn sodu", "Hipoclorito de sódio"),
                IntervalUnit.WEEK,
                count=2,
                item="M-1001",
                technician="tech2",
                kind=LineKind.ITEM,
                quantity="25",
                unit_price=None,
            ),
            DemoLine(
                ("Boiler inspection", "Przegląd kotła", "Inspeção da caldeira"),
                IntervalUnit.MONTH,
                count=6,
                on_object=1,
                task="BOIL-INSP",
                excluded_months=[8],
            ),
        ],
    ),
]

SUSPENDED = DemoAgreement(
    ("Cold store refrigeration", "Serwis komory chłodniczej", "Refrigeração da câmara frigorífica"),
    5,
    "BRONZE",
    CombineRule.PER_AGREEMENT,
    [
        DemoLine(
            (
                "Cold store leak test",
                "Kontrola szczelności komory chłodniczej",
                "Teste de vazamento da câmara frigorífica",
            ),
            IntervalUnit.MONTH,
            task="FGAS",
        )
    ],
    suspended=True,
)

TEMPLATE_LINES = [
    DemoLine(
        ("Annual boiler inspection", "Roczny przegląd kotła", "Inspeção anual da caldeira"),
        IntervalUnit.YEAR,
        on_object=None,
        task="BOIL-INSP",
        technician="",
    ),
    DemoLine(
        ("Burner cleaning", "Czyszczenie palnika", "Limpeza do queimador"),
        # Quarterly, not yearly: a yearly line excluding July and August would never fall due
        # in a template started in July (the line form refuses that).
        IntervalUnit.QUARTER,
        on_object=None,
        task="BURN-CLEAN",
        technician="",
        excluded_months=[7, 8],
    ),
    DemoLine(
        ("Call-out fee", "Opłata za dojazd", "Taxa de deslocamento"),
        IntervalUnit.YEAR,
        on_object=None,
        technician="",
        kind=LineKind.FEE,
        unit_price="60.00",
    ),
]


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    groups = _groups(tenant)
    _template(tenant, people, groups)
    start = _month_start(tenant.today())
    end = start + relativedelta(months=15) - datetime.timedelta(days=1)
    customers = list(Customer.objects.for_tenant(tenant).order_by("number"))
    for spec in [*ACTIVE, SUSPENDED]:
        _agreement(tenant, people, groups, spec, customers[spec.customer], start, end)
    _rate_cards(tenant, people, groups)


# Rate cards: the Gold group's defaults, and the first agreement's own rates and commercial data.
CALL_OUT: Texts = ("Call-out", "Dojazd do klienta", "Deslocamento")
CUSTOMER_REFERENCE: Texts = ("PO-2026-0142", "ZAM/2026/0142", "PC 2026-0142")


def _rate_cards(tenant: Tenant, people: dict[str, User], groups: dict[str, AgreementGroup]):
    manager = people["manager"]
    gold = groups.get("GOLD")
    if gold is None or AgreementRate.objects.for_tenant(tenant).filter(group=gold).exists():
        return
    currency = tenant.currency
    tasks = ServiceTask.objects.for_tenant(tenant).exclude(category="").order_by("code")
    categories = list(dict.fromkeys(task.category for task in tasks))
    entries = [
        {"kind": RateKind.HOUR, "sales_price": "110.00", "cost_price": "60.00"},
        {"kind": RateKind.EXPENSE, "markup_percent": "10"},
        {
            "kind": RateKind.FEE,
            "description": _say(tenant, CALL_OUT),
            "sales_price": "80.00",
            "cost_price": "35.00",
        },
    ]
    if categories:
        entries.append(
            {
                "kind": RateKind.HOUR,
                "task_category": categories[0],
                "sales_price": "130.00",
                "cost_price": "65.00",
            }
        )
    for entry in entries:
        services.rate_create(tenant=tenant, by=manager, group=gold, data=_rate(currency, entry))
    first = (
        Agreement.objects.for_tenant(tenant)
        .filter(description=_say(tenant, ACTIVE[0].description), is_template=False)
        .select_related("customer")
        .first()
    )
    if first is None:
        return
    contact = first.customer.contacts.filter(is_archived=False).order_by("-is_primary").first()
    services.agreement_update(
        tenant=tenant,
        by=manager,
        agreement_id=first.pk,
        data={"contact": contact, "customer_reference": _say(tenant, CUSTOMER_REFERENCE)},
    )
    task = first.task_links.select_related("task").order_by("task__code").first()
    if task is not None:
        services.rate_create(
            tenant=tenant,
            by=manager,
            agreement_id=first.pk,
            data=_rate(
                first.currency,
                {
                    "kind": RateKind.HOUR,
                    "task": task.task,
                    "sales_price": "145.00",
                    "cost_price": "70.00",
                },
            ),
        )


def _rate(currency: str, entry: dict) -> dict:
    data = {"currency": currency, "task": None, "item": None, "task_category": ""}
    for key, value in entry.items():
        is_money = key in ("sales_price", "cost_price", "markup_percent")
        data[key] = Decimal(value) if is_money else value
    return data


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _groups(tenant: Tenant) -> dict[str, AgreementGroup]:
    """The agreement groups that the customers demo laid (Gold, Silver, Bronze)."""
    return {group.code: group for group in AgreementGroup.objects.for_tenant(tenant)}


def _template(tenant: Tenant, people: dict[str, User], groups: dict[str, AgreementGroup]):
    manager = people["manager"]
    description = _say(tenant, TEMPLATE)
    templates = Agreement.objects.for_tenant(tenant).filter(is_template=True)
    if templates.filter(description=description).exists():
        return
    folder_name = _say(tenant, TEMPLATE_GROUP)
    folder = TemplateGroup.objects.for_tenant(tenant).filter(name=folder_name).first()
    if folder is None:
        folder = services.template_group_create(
            tenant=tenant, by=manager, data={"name": folder_name, "parent": None}
        )
    template = services.agreement_create(
        tenant=tenant,
        by=manager,
        data={
            "is_template": True,
            "template_group": folder,
            "description": description,
            "group": groups["SILVER"],
            "start_date": _month_start(tenant.today()),
            "responsible": manager,
            "combine_rule": CombineRule.PER_OBJECT,
        },
    )
    _add_lines(tenant, people, template, TEMPLATE_LINES, objects=[])


def _agreement(tenant, people, groups, spec: DemoAgreement, customer, start, end) -> None:
    description = _say(tenant, spec.description)
    if Agreement.objects.for_tenant(tenant).filter(description=description).exists():
        return
    manager = people["manager"]
    agreement = services.agreement_create(
        tenant=tenant,
        by=manager,
        data={
            "customer": customer,
            "description": description,
            "group": groups[spec.group],
            "start_date": start,
            "end_date": end,
            "responsible": manager,
            "preferred_technician": people.get("tech1"),
            "combine_rule": spec.combine_rule,
        },
    )
    objects = list(
        ServiceObject.objects.for_tenant(tenant).filter(customer=customer).order_by("number")
    )
    for service_object in objects:
        services.agreement_object_add(
            tenant=tenant, by=manager, agreement_id=agreement.pk, service_object=service_object
        )
    _add_lines(tenant, people, agreement, spec.lines, objects)
    services.agreement_activate(tenant=tenant, agreement_id=agreement.pk, by=manager)
    if spec.suspended:
        # Until the renovation is over: resumed by the daily job at the start of next month.
        services.agreement_suspend(
            tenant=tenant,
            agreement_id=agreement.pk,
            by=manager,
            reason=_say(tenant, SUSPEND_REASON),
            resume_on=_month_start(tenant.today()) + relativedelta(months=1),
        )


def _first_31st(on_or_after: datetime.date) -> datetime.date:
    day = on_or_after
    while day.day != 31:
        day += datetime.timedelta(days=1)
    return day


def _line_start(agreement, spec: DemoLine) -> datetime.date | None:
    if spec.start_on_31st:
        return _first_31st(agreement.start_date)
    if spec.start_in_days:
        return agreement.start_date + datetime.timedelta(days=spec.start_in_days)
    return None


def _add_lines(tenant, people, agreement, lines: list[DemoLine], objects) -> None:
    manager = people["manager"]
    tasks = {task.code: task for task in ServiceTask.objects.for_tenant(tenant)}
    items = {item.number: item for item in Item.objects.for_tenant(tenant)}
    for spec in lines:
        task = tasks[spec.task] if spec.task else None
        if task is not None and not agreement.task_links.filter(task=task).exists():
            internal, for_customer = TASK_NOTES.get(task.code, (None, None))
            services.agreement_task_add(
                tenant=tenant,
                by=manager,
                agreement_id=agreement.pk,
                task=task,
                internal_note=_say(tenant, internal) if internal else "",
                customer_note=_say(tenant, for_customer) if for_customer else "",
            )
        services.agreement_line_create(
            tenant=tenant,
            by=manager,
            agreement_id=agreement.pk,
            data={
                "kind": spec.kind,
                "description": _say(tenant, spec.description),
                "service_object": objects[spec.on_object] if spec.on_object is not None else None,
                "task": task,
                "item": items[spec.item] if spec.item else None,
                "technician": people[spec.technician] if spec.technician else None,
                "interval_unit": spec.unit,
                "interval_count": spec.count,
                "excluded_months": spec.excluded_months,
                "exclude_holidays": spec.exclude_holidays,
                "time_window": spec.time_window,
                "window_days_before": spec.days_around,
                "window_days_after": spec.days_around,
                "start_date": _line_start(agreement, spec),
                "quantity": Decimal(spec.quantity),
                "unit_price": Decimal(spec.unit_price) if spec.unit_price else None,
            },
        )
