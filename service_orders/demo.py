"""Demo data for service orders: the tenant's stage tree in its language, orders made by hand in
every lifecycle state but "posted" (each with its timeline), tech1's open orders for today and the
coming days, and the orders the demo agreements generate over the coming weeks.

Idempotent: the tree is created once; each hand-made order is recognised by its description; the
generation creates every occurrence exactly once.
"""

import base64
import datetime
import io
from decimal import Decimal

from django.utils import timezone, translation
from PIL import Image, ImageDraw

from customers.models import ContactLogin, Customer, ServiceObject, ServiceTask
from tenancy.context import tenant_scope
from tenancy.models import Tenant, User

from . import selectors
from .models import GenerationTrigger, OrderStage, OrderState, ServiceOrder, WebRequest
from .services import lines, orders, signoff, stages, web_requests
from .services.generation import generation_run
from .services.stages import DefaultStage

MODIFY = {"can_modify": True, "can_cancel": True}
DONE = {"can_modify": False, "can_cancel": False, "can_post": True, "stops_sla": True}
CANCELLED = {"can_modify": False, "can_cancel": False, "stops_sla": True, "requires_reason": True}
HOLD = {**MODIFY, "stops_sla": True, "requires_reason": True, "back_allowed": True}

# Stage names and reasons per tenant language: (code, name, state, parent, flags, reasons).
TREES = {
    "pl": [
        ("new", "Nowe", OrderState.NEW, None, {**MODIFY, "can_delete": True}, ()),
        ("scheduled", "Zaplanowane", OrderState.SCHEDULED, "new", MODIFY, ()),
        ("travel", "W drodze", OrderState.IN_PROGRESS, "scheduled", MODIFY, ()),
        ("work", "W realizacji", OrderState.IN_PROGRESS, "travel", MODIFY, ()),
        (
            "hold",
            "Wstrzymane",
            OrderState.ON_HOLD,
            "work",
            HOLD,
            (
                ("parts", "Oczekiwanie na części"),
                ("customer", "Klient nieobecny"),
                ("access", "Brak dostępu do obiektu"),
            ),
        ),
        ("done", "Zakończone", OrderState.COMPLETED, "work", DONE, ()),
        (
            "cancelled",
            "Anulowane",
            OrderState.CANCELLED,
            None,
            CANCELLED,
            (
                ("customer", "Rezygnacja klienta"),
                ("duplicate", "Zlecenie zdublowane"),
                ("not_needed", "Praca niepotrzebna"),
                ("agreement", "Poza zakresem umowy"),
            ),
        ),
    ],
    "pt-br": [
        ("new", "Nova", OrderState.NEW, None, {**MODIFY, "can_delete": True}, ()),
        ("scheduled", "Agendada", OrderState.SCHEDULED, "new", MODIFY, ()),
        ("travel", "A caminho", OrderState.IN_PROGRESS, "scheduled", MODIFY, ()),
        ("work", "Em execução", OrderState.IN_PROGRESS, "travel", MODIFY, ()),
        (
            "hold",
            "Pausada",
            OrderState.ON_HOLD,
            "work",
            HOLD,
            (
                ("parts", "Aguardando peças"),
                ("customer", "Cliente ausente"),
                ("access", "Sem acesso ao local"),
            ),
        ),
        ("done", "Concluída", OrderState.COMPLETED, "work", DONE, ()),
        (
            "cancelled",
            "Cancelada",
            OrderState.CANCELLED,
            None,
            CANCELLED,
            (
                ("customer", "Desistência do cliente"),
                ("duplicate", "Ordem duplicada"),
                ("not_needed", "Serviço desnecessário"),
                ("agreement", "Fora da cobertura do contrato"),
            ),
        ),
    ],
}

# Hand-made orders: (description per language, the stage codes it goes through, days from today,
# assigned to tech1, the reason of its last step). Descriptions identify them on a second run.
ORDERS = [
    ({"pl": "Kocioł głośno pracuje", "pt-br": "Caldeira fazendo barulho"}, [], 0, True, ""),
    (
        {"pl": "Przegląd klimatyzacji w biurze", "pt-br": "Revisão do ar-condicionado"},
        ["scheduled"],
        0,
        True,
        "",
    ),
    (
        {"pl": "Wymiana filtra w centrali", "pt-br": "Troca de filtro da central"},
        ["scheduled", "travel"],
        1,
        True,
        "",
    ),
    (
        {"pl": "Naprawa pompy obiegowej", "pt-br": "Conserto da bomba de circulação"},
        ["scheduled", "travel", "work"],
        2,
        True,
        "",
    ),
    (
        {"pl": "Wyciek przy zaworze", "pt-br": "Vazamento na válvula"},
        ["scheduled", "travel", "work", "hold"],
        3,
        True,
        "parts",
    ),
    (
        {"pl": "Uruchomienie nowego kotła", "pt-br": "Partida da nova caldeira"},
        ["scheduled", "travel", "work", "done"],
        -2,
        False,
        "",
    ),
    (
        {"pl": "Kontrola szczelności instalacji", "pt-br": "Teste de estanqueidade"},
        ["cancelled"],
        -1,
        False,
        "customer",
    ),
]


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    language = tenant.default_language
    _seed_tree(tenant, language)
    _seed_orders(tenant, people, language)
    _seed_sla_orders(tenant, people, language)
    _seed_web_requests(tenant, people)
    today = tenant.today()
    with tenant_scope(tenant):
        horizon = selectors.order_generation_settings(tenant=tenant).horizon_days
    generation_run(
        tenant=tenant,
        period_start=today,
        period_end=today + datetime.timedelta(days=horizon),
        trigger=GenerationTrigger.COMMAND,
        by=people.get("manager"),
    )
    _post_completed(tenant, people)


def _post_completed(tenant: Tenant, people: dict[str, User]) -> None:
    """Post the completed hand-made orders to their customers' draft invoices (so the demo has
    posted orders); a later run finds nothing left to post."""
    from .services.posting import orders_post, postable_orders

    with tenant_scope(tenant):
        ids = list(postable_orders(tenant=tenant).values_list("pk", flat=True))
        orders_post(tenant=tenant, by=people.get("manager"), order_ids=ids)


def _seed_tree(tenant: Tenant, language: str) -> None:
    if OrderStage.objects.for_tenant(tenant).exists():
        return
    spec = TREES.get(language)
    if spec is None:
        stages.stage_tree_ensure(tenant=tenant)
        return
    stages.stage_tree_create(
        tenant=tenant,
        stages=[
            DefaultStage(code, name, state, parent, flags, reasons)
            for code, name, state, parent, flags, reasons in spec
        ],
    )


def _seed_orders(tenant: Tenant, people: dict[str, User], language: str) -> None:
    customers = list(Customer.objects.for_tenant(tenant).order_by("number")[:4])
    if not customers:
        return
    dispatcher = people.get("dispatcher") or people.get("manager")
    tech1 = people.get("tech1")
    today = tenant.today()
    task = ServiceTask.objects.for_tenant(tenant).order_by("code").first()
    with translation.override(language):
        for n, (descriptions, path, days, assigned, reason_code) in enumerate(ORDERS):
            description = descriptions.get(language, descriptions["pl"])
            if ServiceOrder.objects.for_tenant(tenant).filter(description=description).exists():
                continue
            customer = customers[n % len(customers)]
            obj = ServiceObject.objects.for_tenant(tenant).filter(customer=customer).first()
            day = today + datetime.timedelta(days=days)
            order = orders.order_create(
                tenant=tenant,
                by=dispatcher,
                data={
                    "customer": customer,
                    "description": description,
                    "priority": "high" if n % 3 == 0 else "normal",
                    "preferred_date": day,
                    "window_start": day - datetime.timedelta(days=1),
                    "window_end": day + datetime.timedelta(days=2),
                    "objects": [obj] if obj else [],
                    "tasks": [task] if task else [],
                    "assigned_technician": tech1 if assigned else None,
                },
            )
            for step, code in enumerate(path):
                to_stage = OrderStage.objects.for_tenant(tenant).get(code=code)
                last = step == len(path) - 1
                reason = to_stage.reasons.filter(code=reason_code).first() if last else None
                if code == "cancelled":
                    orders.order_cancel(
                        tenant=tenant,
                        by=dispatcher,
                        order_id=order.pk,
                        reason="",
                        reason_code_id=reason.pk if reason else None,
                    )
                    continue
                if code == "done":
                    _sign_off(tenant, order, tech1 or dispatcher, language)
                stages.order_stage_move(
                    tenant=tenant,
                    order_id=order.pk,
                    to_stage_id=to_stage.pk,
                    by=tech1
                    if code in ("travel", "work", "hold", "done") and tech1
                    else dispatcher,
                    reason_code_id=reason.pk if reason else None,
                )


# Orders on the Gold SLA whose clocks show every status: (description per language, the share of
# the resolution target used by now — open orders — or, for completed ones, the share used when
# they were completed, and the stage codes they go through). Their creation is backdated so that
# much working time has passed, then they move through their stages: the stage log and the clock
# agree, as they would had it all happened in real time.
SLA_ORDERS = [
    ({"pl": "Awaria pompy ciepła — zgłoszenie pilne", "pt-br": "Bomba de calor parada"}, 20, []),
    (
        {"pl": "Nieszczelny zawór w kotłowni", "pt-br": "Válvula vazando na casa de máquinas"},
        85,
        ["scheduled"],
    ),
    (
        {"pl": "Brak ogrzewania w hali magazynowej", "pt-br": "Sem aquecimento no galpão"},
        130,
        ["scheduled", "travel", "work"],
    ),
    (
        {"pl": "Wymiana czujnika temperatury", "pt-br": "Troca do sensor de temperatura"},
        40,
        ["scheduled", "travel", "work", "done"],
    ),
    (
        {"pl": "Naprawa sterownika klimatyzacji", "pt-br": "Conserto do controlador do ar"},
        160,
        ["scheduled", "travel", "work", "done"],
    ),
]
LATE_REASONS = {
    "pl": "Czekaliśmy na część od producenta.",
    "pt-br": "Aguardamos a peça do fabricante.",
}


def _seed_sla_orders(tenant: Tenant, people: dict[str, User], language: str) -> None:
    """Open orders on track, at risk and breached; completed orders met and breached."""
    from sla.models import ServiceLevelAgreement

    from .models import OrderClock, StageLog
    from .services import sla_clock

    gold = ServiceLevelAgreement.objects.for_tenant(tenant).filter(code="GOLD").first()
    customer = Customer.objects.for_tenant(tenant).order_by("number").first()
    dispatcher = people.get("dispatcher") or people.get("manager")
    tech1 = people.get("tech1") or dispatcher
    if gold is None or customer is None or dispatcher is None:
        return
    for descriptions, share, path in SLA_ORDERS:
        description = descriptions.get(language, descriptions["pl"])
        if ServiceOrder.objects.for_tenant(tenant).filter(description=description).exists():
            continue
        with tenant_scope(tenant):
            order = orders.order_create(
                tenant=tenant,
                by=dispatcher,
                data={
                    "customer": customer,
                    "description": description,
                    "priority": "normal",
                    "sla": gold,
                    "assigned_technician": tech1 if path else None,
                },
            )
            clock = OrderClock.objects.for_tenant(tenant).filter(order=order).first()
            if clock is None:
                continue
            now = timezone.now()
            created = sla_clock.demo_created_at(tenant=tenant, clock=clock, share=share, now=now)
            # The order was made then: its creation, its clock's and its first log line.
            ServiceOrder.objects.for_tenant(tenant).filter(pk=order.pk).update(created_at=created)
            OrderClock.objects.for_tenant(tenant).filter(pk=clock.pk).update(created_at=created)
            StageLog.objects.for_tenant(tenant).filter(order=order).update(at=created)
            sla_clock.clock_recompute(tenant=tenant, clock_id=clock.pk, now=now)
            for code in path:
                if code == "done":
                    _sign_off(tenant, order, tech1, language)
                stages.order_stage_move(
                    tenant=tenant,
                    order_id=order.pk,
                    to_stage_id=OrderStage.objects.for_tenant(tenant).get(code=code).pk,
                    by=tech1 if code in ("travel", "work", "done") else dispatcher,
                    late_reason=LATE_REASONS.get(language, "") if share > 100 else "",
                )


# The customer who signs the completed demo order's work receipt, per language.
SIGNERS = {"pl": "Anna Wiśniewska", "pt-br": "Ana Pereira"}


def _demo_signature() -> str:
    """A signature as the pad sends it: a PNG data URL of a few strokes."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 150), (120, 60), (170, 150), (230, 70), (300, 140)], fill="#111", width=4)
    draw.line([(320, 120), (420, 90), (560, 110)], fill="#111", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _sign_off(tenant: Tenant, order: ServiceOrder, technician: User, language: str) -> None:
    """The completed demo order gets an hour of work and the customer's signed receipt."""
    lines.line_add_hours(
        tenant=tenant,
        by=technician,
        order_id=order.pk,
        hours=Decimal("1.5"),
        description={"pl": "Uruchomienie i regulacja palnika"}.get(
            language, "Partida e ajuste do queimador"
        ),
    )
    signoff.order_sign_off(
        tenant=tenant,
        by=technician,
        order_id=order.pk,
        signer_name=SIGNERS.get(language, SIGNERS["pl"]),
        signature=_demo_signature(),
    )


# The demo contact's requests per language: (description, accepted?). One waits for the
# dispatcher, one was accepted and is an order now.
WEB_REQUESTS = {
    "pl": [
        ("Kocioł w kotłowni głośno pracuje i gaśnie co kilka godzin.", False),
        ("Prosimy o przegląd klimatyzacji w sali konferencyjnej przed latem.", True),
    ],
    "pt-br": [
        ("A caldeira está fazendo barulho e desliga a cada poucas horas.", False),
        ("Pedimos a revisão do ar-condicionado da sala de reuniões antes do verão.", True),
    ],
}


def _seed_web_requests(tenant: Tenant, people: dict[str, User]) -> None:

    login = (
        ContactLogin.objects.for_tenant(tenant)
        .filter(user__email=f"contact@{tenant.slug}.test")
        .select_related("customer", "contact", "user")
        .first()
    )
    if login is None:
        return
    dispatcher = people.get("dispatcher") or people.get("manager")
    objects = list(
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer=login.customer, is_active=True)
        .order_by("number")[:2]
    )
    today = tenant.today()
    specs = WEB_REQUESTS.get(tenant.default_language, WEB_REQUESTS["pl"])
    for n, (description, accepted) in enumerate(specs):
        if WebRequest.objects.for_tenant(tenant).filter(description=description).exists():
            continue
        created = web_requests.web_request_submit(
            tenant=tenant,
            by=login.user,
            customer=login.customer,
            contact=login.contact,
            data={
                "service_object": objects[n % len(objects)] if objects else None,
                "description": description,
                "preferred_date": today + datetime.timedelta(days=7 + 7 * n),
            },
        )
        if accepted and dispatcher is not None:
            web_requests.web_request_accept(
                tenant=tenant, by=dispatcher, request_id=created.pk, priority="normal"
            )
