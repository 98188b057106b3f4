"""The demo agreements: groups, a template, one suspended and five active agreements running at
least fourteen months ahead that generate orders over the coming weeks; seeding twice changes
nothing."""

import datetime

import pytest
import time_machine

from agreements import demo, selectors
from agreements.models import (
    Agreement,
    AgreementLine,
    AgreementRate,
    AgreementState,
    AgreementSuspension,
    IntervalUnit,
    TemplateGroup,
)
from customers import demo as customers_demo
from customers.models import AgreementGroup
from service_orders.services.generation import generation_plan
from sla import demo as sla_demo
from tenancy.context import tenant_scope
from tenancy.demo import seed_people
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 7, 20)


def _seed() -> dict:
    people = seed_people()
    for slug, tenant_people in people.items():
        tenant = Tenant.objects.get(slug=slug)
        with tenant_scope(tenant):
            sla_demo.seed(tenant=tenant, people=tenant_people)
            customers_demo.seed(tenant=tenant, people=tenant_people)
            demo.seed(tenant=tenant, people=tenant_people)
    return people


def _counts() -> tuple[int, ...]:
    return (
        Agreement.objects.count(),
        AgreementLine.objects.count(),
        AgreementGroup.objects.count(),
        TemplateGroup.objects.count(),
        AgreementSuspension.objects.count(),
    )


@time_machine.travel(datetime.datetime(2026, 7, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_each_demo_tenant_gets_agreements_that_generate_orders():
    people = _seed()
    for slug in ("acme", "globex"):
        tenant = Tenant.objects.get(slug=slug)
        agreements = Agreement.objects.filter(tenant=tenant)
        groups = AgreementGroup.objects.filter(tenant=tenant).select_related("default_sla")
        assert {(g.code, g.default_sla.code) for g in groups} == {
            ("GOLD", "GOLD"),
            ("SILVER", "SILVER"),
            ("BRONZE", "BRONZE"),
        }
        template = agreements.get(is_template=True)
        assert (
            template.description
            == {
                "acme": "Roczna konserwacja kotła",
                "globex": "Manutenção anual da caldeira",
            }[slug]
        )
        assert template.template_group is not None and template.lines.count() == 3

        assert agreements.filter(state=AgreementState.SUSPENDED).count() == 1
        active = agreements.filter(state=AgreementState.ACTIVE)
        assert active.count() == 5
        for agreement in active:
            assert agreement.start_date == datetime.date(2026, 7, 1)
            assert agreement.end_date >= datetime.date(2027, 9, 20)  # 14 months ahead
            assert agreement.responsible == people[slug]["manager"]
            assert agreement.object_links.exists() and agreement.lines.exists()
        lines = AgreementLine.objects.filter(agreement__in=active)
        technicians = set(lines.values_list("technician__email", flat=True))
        assert {f"tech1@{slug}.test", f"tech2@{slug}.test"} <= technicians
        units = {(line.interval_unit, line.interval_count) for line in lines}
        assert {
            (IntervalUnit.WEEK, 1),
            (IntervalUnit.WEEK, 2),
            (IntervalUnit.MONTH, 1),
            (IntervalUnit.QUARTER, 1),
        } <= units
        assert lines.filter(excluded_months__contains=[8]).exists()
        assert lines.filter(exclude_holidays=True).exists()
        assert lines.filter(interval_unit=IntervalUnit.QUARTER, start_date__day=31).exists()

        plan = generation_plan(
            tenant=tenant, period_start=TODAY, period_end=TODAY + datetime.timedelta(days=30)
        )
        planned_for = {order.agreement.pk for order in plan}
        assert planned_for == set(active.values_list("pk", flat=True))
        assert len(plan) >= 10


@time_machine.travel(datetime.datetime(2026, 7, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_seeding_twice_changes_nothing():
    _seed()
    before = _counts()
    _seed()
    assert _counts() == before


@time_machine.travel(datetime.datetime(2026, 7, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_each_demo_tenant_has_a_group_rate_card_and_an_agreement_with_its_own():
    _seed()
    fee = {"acme": "Dojazd do klienta", "globex": "Deslocamento"}
    for slug in ("acme", "globex"):
        tenant = Tenant.objects.get(slug=slug)
        gold = AgreementGroup.objects.get(tenant=tenant, code="GOLD")
        group_rates = AgreementRate.objects.filter(group=gold)
        assert {rate.kind for rate in group_rates} == {"hour", "expense", "fee"}
        assert group_rates.filter(description=fee[slug], currency=tenant.currency).exists()
        first = Agreement.objects.get(tenant=tenant, description=DEMO_TEXTS[slug]["agreements"])
        assert first.contact is not None and first.customer_reference
        own = selectors.agreement_rates(tenant=tenant, agreement=first)
        task = first.rates.get().task
        assert own.price(kind="hour", task=task).unit_price == first.rates.get().sales_price
        assert own.price(kind="fee", description=fee[slug]).unit_price > 0


# What each demo tenant's people read: Polish in acme, Brazilian Portuguese in globex.
DEMO_TEXTS = {
    "acme": {
        "agreements": "Serwis kotłowni",
        "lines": "Cotygodniowa kontrola kotła",
        "suspension": "Obiekt zamknięty na czas remontu",
        "template_group": "Ogrzewanie",
        "groups": {"Złota", "Srebrna", "Brązowa"},
        "slas": {"Złoty", "Srebrny", "Brązowy"},
        "sla_description": "Reakcja następnego dnia roboczego.",
        "calendar": "Dni robocze Polska",
        "unit": "szt.",
        "skill": "instalacje gazowe",
        "person": ("Marta", "Kowalska"),
    },
    "globex": {
        "agreements": "Manutenção da casa de máquinas",
        "lines": "Verificação semanal da caldeira",
        "suspension": "Local fechado para reforma",
        "template_group": "Aquecimento",
        "groups": {"Ouro", "Prata", "Bronze"},
        "slas": {"Ouro", "Prata", "Bronze"},
        "sla_description": "Atendimento no próximo dia útil.",
        "calendar": "Dias úteis Brasil",
        "unit": "un.",
        "skill": "gás",
        "person": ("Mariana", "Ferreira"),
    },
}
ENGLISH_DEMO_WORDS = ("maintenance", "check", "cleaning", "Gold", "Silver", "renovation", "pcs")


@time_machine.travel(datetime.datetime(2026, 7, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize("slug", DEMO_TEXTS)
def test_each_demo_tenant_has_its_records_in_its_language(slug):
    from customers.models import Item, ServiceTask
    from sla.models import BusinessCalendar, ServiceLevelAgreement

    people = _seed()
    tenant = Tenant.objects.get(slug=slug)
    texts = DEMO_TEXTS[slug]
    agreements = Agreement.objects.filter(tenant=tenant)
    assert agreements.filter(description=texts["agreements"]).exists()
    lines = AgreementLine.objects.filter(tenant=tenant)
    assert lines.filter(description=texts["lines"]).exists()
    suspension = AgreementSuspension.objects.get(tenant=tenant)
    assert suspension.reason == texts["suspension"]
    assert TemplateGroup.objects.get(tenant=tenant).name == texts["template_group"]
    groups = set(AgreementGroup.objects.filter(tenant=tenant).values_list("name", flat=True))
    assert groups == texts["groups"]
    slas = ServiceLevelAgreement.objects.filter(tenant=tenant)
    assert set(slas.values_list("name", flat=True)) == texts["slas"]
    assert slas.get(code="BRONZE").description == texts["sla_description"]
    assert BusinessCalendar.objects.get(tenant=tenant, is_default=True).name == texts["calendar"]
    assert Item.objects.get(tenant=tenant, number="M-1002").unit == texts["unit"]
    assert ServiceTask.objects.get(tenant=tenant, code="BOIL-INSP").required_skill == texts["skill"]
    manager = people[slug]["manager"]
    assert (manager.first_name, manager.last_name) == texts["person"]
    written = [
        *agreements.values_list("description", flat=True),
        *lines.values_list("description", flat=True),
        *slas.values_list("description", flat=True),
        *groups,
    ]
    for text in written:
        assert not any(word in text for word in ENGLISH_DEMO_WORDS), text
