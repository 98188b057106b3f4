"""Demo data for repairs, in each demo tenant's language (Polish for acme, Brazilian Portuguese
for globex): the repair code tables, the spare parts of the gas boiler, its BOM in two versions
(the first one ended when the second one came into force), the boiler's service BOM with the
parts changed over several repairs, and finished repair lines on the completed orders (which
also fill the resolution suggestions).

Idempotent: codes are found by code, parts by number; the BOM, the service BOM and the repair
lines are made only when the tenant has none yet.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from customers.models import Item, ServiceObject
from service_orders.models import OrderState, ServiceOrder, ServiceOrderLine
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User

from . import selectors, services
from .models import (
    BomAction,
    BomHistory,
    BomVersion,
    Condition,
    DiagnosisArea,
    DiagnosisCode,
    RepairLine,
    RepairStage,
    Resolution,
    ServiceBomLine,
    SymptomArea,
    SymptomCode,
)

MAIN_ITEM = "U-2001"  # the gas condensing boiler of customers.demo

# code, (Polish, Portuguese)
CONDITIONS = (
    ("DOWN", ("Nie działa", "Parado")),
    ("INTER", ("Działa z przerwami", "Funciona com falhas")),
    ("NOISE", ("Działa, ale hałasuje", "Funciona, mas com ruído")),
)
# area code, area names, [(code, names)]
SYMPTOMS = (
    (
        "HEAT",
        ("Ogrzewanie", "Aquecimento"),
        (
            ("NOHEAT", ("Brak grzania", "Não aquece")),
            ("IGNFAIL", ("Nie zapala palnika", "Não acende o queimador")),
        ),
    ),
    (
        "WATER",
        ("Układ wodny", "Circuito de água"),
        (
            ("LEAK", ("Wyciek wody", "Vazamento de água")),
            ("PRESS", ("Spadek ciśnienia", "Queda de pressão")),
        ),
    ),
)
DIAGNOSES = (
    (
        "ELEC",
        ("Elektryka i sterowanie", "Elétrica e controle"),
        (
            ("ELECTRODE", ("Zużyta elektroda zapłonowa", "Eletrodo de ignição gasto")),
            ("BOARD", ("Uszkodzona płytka sterująca", "Placa de controle com defeito")),
        ),
    ),
    (
        "HYDR",
        ("Hydraulika", "Hidráulica"),
        (
            ("PUMP", ("Zatarta pompa obiegowa", "Bomba de circulação travada")),
            ("SEAL", ("Nieszczelna uszczelka", "Vedação com vazamento")),
        ),
    ),
)
RESOLUTIONS = (
    ("ELECTRODE", ("Wymiana elektrody zapłonowej", "Troca do eletrodo de ignição")),
    ("PUMP", ("Wymiana pompy obiegowej", "Troca da bomba de circulação")),
    ("SEAL", ("Wymiana uszczelki", "Troca da vedação")),
    ("RESET", ("Reset i regulacja", "Reset e regulagem")),
)
# code, names, finished
STAGES = (
    ("DIAG", ("Diagnoza", "Diagnóstico"), False),
    ("PARTS", ("Oczekiwanie na części", "Aguardando peças"), False),
    ("REPAIR", ("Naprawa", "Em reparo"), False),
    ("DONE", ("Naprawione", "Reparado"), True),
)
# number, names, unit, cost, price
PARTS = (
    ("P-3001", ("Pompa obiegowa UPM3", "Bomba de circulação UPM3"), "450.00", "690.00"),
    ("P-3002", ("Pompa obiegowa UPM4", "Bomba de circulação UPM4"), "520.00", "780.00"),
    ("P-3003", ("Elektroda zapłonowa", "Eletrodo de ignição"), "35.00", "80.00"),
    ("P-3004", ("Płytka sterująca", "Placa de controle"), "610.00", "950.00"),
    ("P-3005", ("Uszczelka wymiennika", "Vedação do trocador"), "12.00", "30.00"),
)


def _language(tenant: Tenant) -> int:
    return 1 if tenant.country == "BR" else 0


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    with tenant_scope(tenant):
        codes = _codes(tenant)
        parts = _parts(tenant)
        manager = people.get("manager")
        tech = people.get("tech1") or manager
        boiler = Item.objects.for_tenant(tenant).filter(number=MAIN_ITEM).first()
        if boiler is not None and manager is not None:
            _boms(tenant, manager, boiler, parts)
            _service_bom(tenant, manager, tech, boiler, parts, codes)
        if manager is not None:
            _repair_lines(tenant, tech, codes)


def _codes(tenant: Tenant) -> dict:
    lang = _language(tenant)
    codes: dict = {}

    def row(model, code, names, position, **extra):
        obj, _ = model.objects.get_or_create(
            tenant=tenant,
            code=code,
            **({"area": extra.pop("area")} if "area" in extra else {}),
            defaults={"name": names[lang], "position": position, **extra},
        )
        return obj

    for n, (code, names) in enumerate(CONDITIONS):
        codes[("condition", code)] = row(Condition, code, names, n)
    for model, code_model, key, spec in (
        (SymptomArea, SymptomCode, "symptom", SYMPTOMS),
        (DiagnosisArea, DiagnosisCode, "diagnosis", DIAGNOSES),
    ):
        for n, (area_code, area_names, children) in enumerate(spec):
            area = row(model, area_code, area_names, n)
            codes[(f"{key}_area", area_code)] = area
            for m, (code, names) in enumerate(children):
                codes[(key, code)] = row(code_model, code, names, m, area=area)
    for n, (code, names) in enumerate(RESOLUTIONS):
        codes[("resolution", code)] = row(Resolution, code, names, n)
    for n, (code, names, finished) in enumerate(STAGES):
        codes[("stage", code)] = row(RepairStage, code, names, n, is_finished=finished)
    return codes


def _parts(tenant: Tenant) -> dict[str, Item]:
    lang = _language(tenant)
    parts = {}
    for number, names, cost, price in PARTS:
        parts[number], _ = Item.objects.get_or_create(
            tenant=tenant,
            number=number,
            defaults={
                "name": names[lang],
                "unit": ("szt.", "un")[lang],
                "cost_price": Decimal(cost),
                "sales_price": Decimal(price),
            },
        )
    return parts


def _boms(tenant: Tenant, manager: User, boiler: Item, parts: dict[str, Item]) -> None:
    """Version 1 from 2021 (pump UPM3), version 2 from 2024 (pump UPM4, two seals): both
    activated, so version 1 ended the day before version 2 began; a draft version 3."""
    if BomVersion.objects.for_tenant(tenant).filter(item=boiler).exists():
        return
    specs = (
        (datetime.date(2021, 1, 1), (("P-3001", 1), ("P-3003", 1), ("P-3004", 1), ("P-3005", 1))),
        (datetime.date(2024, 1, 1), (("P-3002", 1), ("P-3003", 1), ("P-3004", 1), ("P-3005", 2))),
    )
    notes = (
        ("Wersja fabryczna", "Versão de fábrica"),
        ("Nowa pompa UPM4 od 2024", "Nova bomba UPM4 a partir de 2024"),
    )
    lang = _language(tenant)
    last = None
    for (valid_from, lines), note in zip(specs, notes, strict=True):
        version = services.bom_version_create(
            tenant=tenant,
            by=manager,
            item=boiler,
            data={"valid_from": valid_from, "note": note[lang]},
        )
        for number, quantity in lines:
            services.bom_line_add(
                tenant=tenant,
                by=manager,
                version_id=version.pk,
                item=parts[number],
                quantity=Decimal(quantity),
            )
        services.bom_version_approve(tenant=tenant, by=manager, version_id=version.pk)
        last = services.bom_version_activate(tenant=tenant, by=manager, version_id=version.pk)
    services.bom_version_copy(tenant=tenant, by=manager, version_id=last.pk)


def _at(tenant: Tenant, day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tenant.zone)


DONE = (OrderState.COMPLETED, OrderState.POSTED)


def _done_work(tenant: Tenant) -> list[tuple[ServiceOrder, ServiceObject]]:
    """(order, object) of the completed orders' lines, oldest order first."""
    lines = (
        ServiceOrderLine.objects.for_tenant(tenant)
        .filter(order__state__in=DONE, service_object__isnull=False)
        .select_related("order", "service_object")
        .order_by("order__created_at", "order__number", "id")
    )
    seen, pairs = set(), []
    for line in lines:
        key = (line.order_id, line.service_object_id)
        if key not in seen:
            seen.add(key)
            pairs.append((line.order, line.service_object))
    return pairs


def _done_orders(tenant: Tenant, obj: ServiceObject) -> list[ServiceOrder]:
    return [order for order, target in _done_work(tenant) if target.pk == obj.pk]


def _service_bom(tenant, manager, tech, boiler: Item, parts, codes) -> None:
    """The boiler object: its service BOM from version 1 on its installation day, then the
    ignition electrode replaced (2023), the pump replaced by the newer model (2024) and a
    seal added (2025), each during a repair."""
    obj = ServiceObject.objects.for_tenant(tenant).filter(item=boiler).order_by("number").first()
    if obj is None or ServiceBomLine.objects.for_tenant(tenant).filter(service_object=obj).exists():
        return
    installed = obj.install_date or datetime.date(2021, 9, 14)
    version = selectors.bom_active_version(tenant=tenant, item_id=boiler.pk, on=installed)
    if version is None:
        return
    services.service_bom_create(
        tenant=tenant, by=manager, object_id=obj.pk, version=version, at=_at(tenant, installed)
    )
    orders = _done_orders(tenant, obj)

    def current(number: str) -> ServiceBomLine:
        return next(
            line
            for line in selectors.service_bom_current(tenant=tenant, obj=obj)
            if line.item.number == number
        )

    steps = (
        (datetime.date(2023, 2, 10), BomAction.REPLACE, "P-3003", None),
        (datetime.date(2024, 11, 5), BomAction.REPLACE, "P-3001", "P-3002"),
        (datetime.date(2025, 3, 18), BomAction.ADD, None, "P-3005"),
    )
    for n, (day, action, old, new) in enumerate(steps):
        history = services.service_bom_change(
            tenant=tenant,
            by=tech,
            object_id=obj.pk,
            change=services.PartChange(
                action=action,
                line_id=current(old).pk if old else None,
                item=parts[new] if new else None,
            ),
            at=_at(tenant, day),
        )
        if orders:  # the repair's order (completed by now, so named afterwards)
            BomHistory.objects.filter(tenant=tenant, pk=history.pk).update(
                order=orders[n % len(orders)]
            )


def _repair_lines(tenant: Tenant, tech: User, codes: dict) -> None:
    """Finished repair lines on the completed orders' objects: the symptom, what was found and
    what fixed it, so the suggestions have something to suggest."""
    if RepairLine.objects.for_tenant(tenant).exists():
        return
    work = _done_work(tenant)[:6]
    lang = _language(tenant)
    recipes = (
        ("HEAT", "IGNFAIL", "ELEC", "ELECTRODE", "ELECTRODE", "DOWN"),
        ("HEAT", "IGNFAIL", "ELEC", "BOARD", "RESET", "INTER"),
        ("WATER", "LEAK", "HYDR", "SEAL", "SEAL", "INTER"),
        ("HEAT", "NOHEAT", "HYDR", "PUMP", "PUMP", "DOWN"),
        ("HEAT", "IGNFAIL", "ELEC", "ELECTRODE", "ELECTRODE", "INTER"),
        ("WATER", "PRESS", "HYDR", "SEAL", "SEAL", "NOISE"),
    )
    titles = (
        ("Kocioł nie startuje", "Caldeira não liga"),
        ("Palnik gaśnie", "Queimador apaga"),
        ("Kapie spod kotła", "Pingando sob a caldeira"),
        ("Zimne kaloryfery", "Radiadores frios"),
        ("Błąd zapłonu", "Erro de ignição"),
        ("Spada ciśnienie", "Pressão caindo"),
    )
    for n, (order, target) in enumerate(work):
        s_area, s_code, d_area, d_code, resolution, condition = recipes[n % len(recipes)]
        when = min(order.created_at + datetime.timedelta(hours=1), timezone.now())
        first = services.repair_line_create(
            tenant=tenant,
            by=tech,
            order_id=order.pk,
            service_object=target,
            data={
                "title": titles[n % len(titles)][lang],
                "condition": codes[("condition", condition)],
                "symptom_area": codes[("symptom_area", s_area)],
                "symptom_code": codes[("symptom", s_code)],
                "diagnosis_area": codes[("diagnosis_area", d_area)],
                "diagnosis_code": codes[("diagnosis", d_code)],
                "resolution": codes[("resolution", resolution)],
            },
            stage=codes[("stage", "DONE")],
            at=when,
            check_order=False,
        )
        RepairLine.objects.filter(tenant=tenant, pk=first.pk).update(finished_at=when)
