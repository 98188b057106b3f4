"""Demo data for agreements (a contract: see tenancy/demo.py and README).

``seed`` runs after the customers demo (customers, objects, items, tasks, agreement groups)
and lays per demo tenant: a template group with the template "Annual
boiler maintenance", one suspended agreement and five active ones that run from the start of
this month for fifteen months, with lines of different intervals, so that order generation
produces orders over the coming weeks. Idempotent: a record that exists is left alone.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from customers.models import AgreementGroup, Customer, Item, LineKind, ServiceObject, ServiceTask
from tenancy.models import Tenant, User

from . import services
from .models import Agreement, CombineRule, IntervalUnit, TemplateGroup, TimeWindow

TEMPLATE_GROUP = "Heating"
TEMPLATE = "Annual boiler maintenance"


@dataclass
class DemoLine:
    """One line of a demo agreement: ``on_object`` indexes the customer's objects (by number),
    ``task`` is a task code, ``item`` an item number, ``technician`` a demo login prefix."""

    description: str
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


@dataclass
class DemoAgreement:
    description: str
    customer: int  # index into the tenant's customers (by number)
    group: str
    combine_rule: str
    lines: list[DemoLine]
    suspended: bool = False


ACTIVE = [
    DemoAgreement(
        "Boiler room maintenance",
        0,
        "GOLD",
        CombineRule.PER_AGREEMENT,
        [
            DemoLine(
                "Weekly boiler check", IntervalUnit.WEEK, task="BOIL-INSP", exclude_holidays=True
            ),
            DemoLine(
                "Burner cleaning",
                IntervalUnit.MONTH,
                on_object=1,
                task="BURN-CLEAN",
                technician="tech2",
                excluded_months=[8],
                time_window=TimeWindow.SAME_WEEK,
            ),
            DemoLine(
                "Air-conditioning leak test",
                IntervalUnit.QUARTER,
                on_object=2,
                task="FGAS",
                start_on_31st=True,
            ),
        ],
    ),
    DemoAgreement(
        "Ventilation service",
        1,
        "SILVER",
        CombineRule.PER_OBJECT,
        [
            DemoLine(
                "Filter change, wing A",
                IntervalUnit.WEEK,
                count=2,
                task="FILTER",
                technician="tech2",
                time_window=TimeWindow.DAYS_AROUND,
                days_around=2,
            ),
            DemoLine(
                "Filters, wing A",
                IntervalUnit.WEEK,
                count=2,
                item="M-1002",
                technician="tech2",
                kind=LineKind.ITEM,
                quantity="2",
                unit_price=None,
            ),
            DemoLine(
                "Filter change, wing B",
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
        "Heat pump and server room cooling",
        2,
        "GOLD",
        CombineRule.PER_TECHNICIAN,
        [
            DemoLine(
                "Heat pump refrigerant check",
                IntervalUnit.QUARTER,
                task="FGAS",
                start_on_31st=True,
            ),
            DemoLine(
                "Server room air-conditioning filters",
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
        "Fire safety inspections",
        3,
        "BRONZE",
        CombineRule.PER_TASK,
        [
            DemoLine("Extinguishers, ground floor", IntervalUnit.MONTH, task="FIRE-EXT"),
            DemoLine(
                "Extinguishers, first floor", IntervalUnit.MONTH, on_object=1, task="FIRE-EXT"
            ),
            DemoLine(
                "Annual certification",
                IntervalUnit.YEAR,
                on_object=None,
                technician="",
                kind=LineKind.FEE,
                unit_price="450.00",
            ),
        ],
    ),
    DemoAgreement(
        "Water treatment plant",
        4,
        "SILVER",
        CombineRule.PER_AGREEMENT,
        [
            DemoLine(
                "Water quality test",
                IntervalUnit.WEEK,
                task="WATER-TEST",
                technician="tech2",
                exclude_holidays=True,
            ),
            DemoLine(
                "Sodium hypochlorite",
                IntervalUnit.WEEK,
                count=2,
                item="M-1001",
                technician="tech2",
                kind=LineKind.ITEM,
                quantity="25",
                unit_price=None,
            ),
            DemoLine(
                "Boiler inspection",
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
    "Cold store refrigeration",
    5,
    "BRONZE",
    CombineRule.PER_AGREEMENT,
    [DemoLine("Cold store leak test", IntervalUnit.MONTH, task="FGAS")],
    suspended=True,
)

TEMPLATE_LINES = [
    DemoLine(
        "Annual boiler inspection",
        IntervalUnit.YEAR,
        on_object=None,
        task="BOIL-INSP",
        technician="",
    ),
    DemoLine(
        "Burner cleaning",
        IntervalUnit.YEAR,
        on_object=None,
        task="BURN-CLEAN",
        technician="",
        excluded_months=[7, 8],
    ),
    DemoLine(
        "Call-out fee",
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


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _groups(tenant: Tenant) -> dict[str, AgreementGroup]:
    """The agreement groups that the customers demo laid (Gold, Silver, Bronze)."""
    return {group.code: group for group in AgreementGroup.objects.for_tenant(tenant)}


def _template(tenant: Tenant, people: dict[str, User], groups: dict[str, AgreementGroup]):
    manager = people["manager"]
    if Agreement.objects.for_tenant(tenant).filter(is_template=True, description=TEMPLATE).exists():
        return
    folder = TemplateGroup.objects.for_tenant(tenant).filter(name=TEMPLATE_GROUP).first()
    if folder is None:
        folder = services.template_group_create(
            tenant=tenant, by=manager, data={"name": TEMPLATE_GROUP, "parent": None}
        )
    template = services.agreement_create(
        tenant=tenant,
        by=manager,
        data={
            "is_template": True,
            "template_group": folder,
            "description": TEMPLATE,
            "group": groups["SILVER"],
            "start_date": _month_start(tenant.today()),
            "responsible": manager,
            "combine_rule": CombineRule.PER_OBJECT,
        },
    )
    _add_lines(tenant, people, template, TEMPLATE_LINES, objects=[])


def _agreement(tenant, people, groups, spec: DemoAgreement, customer, start, end) -> None:
    if Agreement.objects.for_tenant(tenant).filter(description=spec.description).exists():
        return
    manager = people["manager"]
    agreement = services.agreement_create(
        tenant=tenant,
        by=manager,
        data={
            "customer": customer,
            "description": spec.description,
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
        services.agreement_suspend(
            tenant=tenant,
            agreement_id=agreement.pk,
            by=manager,
            reason="Site closed for renovation",
        )


def _first_31st(on_or_after: datetime.date) -> datetime.date:
    day = on_or_after
    while day.day != 31:
        day += datetime.timedelta(days=1)
    return day


def _add_lines(tenant, people, agreement, lines: list[DemoLine], objects) -> None:
    manager = people["manager"]
    tasks = {task.code: task for task in ServiceTask.objects.for_tenant(tenant)}
    items = {item.number: item for item in Item.objects.for_tenant(tenant)}
    for spec in lines:
        task = tasks[spec.task] if spec.task else None
        if task is not None and not agreement.task_links.filter(task=task).exists():
            services.agreement_task_add(
                tenant=tenant, by=manager, agreement_id=agreement.pk, task=task
            )
        services.agreement_line_create(
            tenant=tenant,
            by=manager,
            agreement_id=agreement.pk,
            data={
                "kind": spec.kind,
                "description": spec.description,
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
                "start_date": _first_31st(agreement.start_date) if spec.start_on_31st else None,
                "quantity": Decimal(spec.quantity),
                "unit_price": Decimal(spec.unit_price) if spec.unit_price else None,
            },
        )
