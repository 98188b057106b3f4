"""Demo subscriptions per demo tenant, in its language: three groups (monthly in advance,
quarterly in arrears, yearly with revenue accrual), a price list, and active subscriptions that
started months ago. Billing runs month by month since then, so the run history, the fees and the
customers' drafts exist; the yearly fee's invoice is issued, so its accruals are scheduled and
the months that have ended are recognised.

Runs after the customers', agreements' and invoicing demos. Idempotent: nothing is added while
the tenant has subscription groups.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from customers.models import Customer
from invoicing.services import invoice_issue
from tenancy.models import Tenant, User

from .models import (
    AccrualPeriod,
    Fee,
    PeriodKind,
    PriceListRow,
    ReductionKind,
    RunTrigger,
    SubscriptionGroup,
    Timing,
)
from .services import subscriptions as services
from .services.accruals import accruals_post
from .services.billing import billing_run

type Texts = tuple[str, str, str]

GROUPS: list[tuple[str, Texts, str, str, bool]] = [
    (
        "MONTHLY",
        (
            "Monthly maintenance (in advance)",
            "Abonament miesięczny (z góry)",
            "Mensalidade de manutenção (antecipada)",
        ),
        PeriodKind.MONTH,
        Timing.ADVANCE,
        False,
    ),
    (
        "QUARTER",
        (
            "Quarterly service (in arrears)",
            "Serwis kwartalny (z dołu)",
            "Serviço trimestral (postecipado)",
        ),
        PeriodKind.QUARTER,
        Timing.ARREARS,
        False,
    ),
    (
        "YEARLY",
        (
            "Annual support plan (accrued)",
            "Roczny pakiet wsparcia (rozliczany w czasie)",
            "Plano anual de suporte (apropriado)",
        ),
        PeriodKind.YEAR,
        Timing.ADVANCE,
        True,
    ),
]

# (group code, description, base price or None for the price list, months ago it started)
SUBSCRIPTIONS: list[tuple[str, Texts, str | None, int]] = [
    (
        "MONTHLY",
        (
            "Boiler room maintenance fee",
            "Opłata za utrzymanie kotłowni",
            "Taxa de manutenção da casa de caldeiras",
        ),
        "450.00",
        5,
    ),
    (
        "MONTHLY",
        (
            "Remote monitoring of the heat pumps",
            "Zdalny monitoring pomp ciepła",
            "Monitoramento remoto das bombas de calor",
        ),
        None,
        4,
    ),
    (
        "QUARTER",
        ("Air-conditioning inspections", "Przeglądy klimatyzacji", "Inspeções de ar-condicionado"),
        None,
        7,
    ),
    (
        "YEARLY",
        ("24/7 emergency support", "Wsparcie awaryjne 24/7", "Suporte emergencial 24 horas"),
        "6000.00",
        2,
    ),
]
REDUCTION: Texts = (
    "Site closed for two days",
    "Obiekt zamknięty przez dwa dni",
    "Local fechado por dois dias",
)
ONE_OFF: Texts = (
    "Set-up of the monitoring",
    "Uruchomienie monitoringu",
    "Instalação do monitoramento",
)
# Price list: (group code or None for generic, period, price in the tenant's currency).
PRICES = [(None, PeriodKind.MONTH, "180.00"), ("QUARTER", PeriodKind.QUARTER, "1350.00")]


def _say(tenant: Tenant, texts: Texts) -> str:
    language = tenant.default_language
    return texts[1] if language == "pl" else texts[2] if language == "pt-br" else texts[0]


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    if SubscriptionGroup.objects.for_tenant(tenant).exists():
        return
    customers = list(Customer.objects.for_tenant(tenant).order_by("number")[:4])
    if len(customers) < 2:
        return
    manager = people.get("manager")
    today = tenant.today()
    groups = {}
    for code, name, period, timing, accrue in GROUPS:
        groups[code] = services.group_create(
            tenant=tenant,
            by=manager,
            data={
                "code": code,
                "name": _say(tenant, name),
                "period": period,
                "timing": timing,
                "accrue": accrue,
                "accrual_period": AccrualPeriod.MONTH,
            },
        )
    first_of_year = today.replace(month=1, day=1) - relativedelta(years=1)
    for code, period, price in PRICES:
        PriceListRow.objects.create(
            tenant=tenant,
            group=groups[code] if code else None,
            period=period,
            currency=tenant.currency,
            valid_from=first_of_year,
            price=Decimal(price),
        )
    subscriptions = []
    for index, (code, description, price, months_ago) in enumerate(SUBSCRIPTIONS):
        start = today.replace(day=1) - relativedelta(months=months_ago)
        if code != "MONTHLY":
            start += datetime.timedelta(days=9)  # mid-period: the first fee is prorated
        subscription = services.subscription_create(
            tenant=tenant,
            by=manager,
            data={
                "customer": customers[index % len(customers)],
                "group": groups[code],
                "description": _say(tenant, description),
                "base_price": Decimal(price) if price else None,
                "currency": tenant.currency,
                "start_date": start,
            },
        )
        services.subscription_activate(tenant=tenant, subscription_id=subscription.pk, by=manager)
        subscriptions.append(subscription)
    last_month = today.replace(day=1) - relativedelta(months=1)
    services.reduction_add(
        tenant=tenant,
        subscription_id=subscriptions[0].pk,
        by=manager,
        data={
            "kind": ReductionKind.DAYS,
            "start_date": last_month + datetime.timedelta(days=9),
            "end_date": last_month + datetime.timedelta(days=10),
            "reason": _say(tenant, REDUCTION),
        },
    )
    services.one_off_add(
        tenant=tenant,
        subscription_id=subscriptions[1].pk,
        by=manager,
        data={
            "description": _say(tenant, ONE_OFF),
            "charge_on": today.replace(day=1) - relativedelta(months=4),
            "amount": Decimal("350.00"),
        },
    )
    # Billing as the daily job would have run it: month by month, then today.
    month = today.replace(day=1) - relativedelta(months=7)
    while month < today:
        billing_run(tenant=tenant, through=month, trigger=RunTrigger.SCHEDULE)
        month += relativedelta(months=1)
    billing_run(tenant=tenant, through=today, trigger=RunTrigger.MANUAL, by=manager)
    # The yearly fee's invoice was issued: its revenue is recognised month by month.
    yearly = Fee.objects.for_tenant(tenant).filter(
        subscription=subscriptions[-1], invoice_id__isnull=False
    )
    for invoice_id in set(yearly.values_list("invoice_id", flat=True)):
        invoice_issue(tenant=tenant, by=manager, invoice_id=invoice_id)
    accruals_post(tenant=tenant, through=today)
