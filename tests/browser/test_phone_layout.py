"""Every role's main pages on a phone (375 px) and on a laptop (1280 px), on the full demo data
plus records with long names and unbreakable words: nothing scrolls sideways (neither the page
nor anything inside it, tables included), and every action button is within the screen.

The same run takes the screenshots the user guides show (docs/screenshots/): each role's home
and main pages at both widths, in English and Polish. They are written to docs/screenshots/ when
FIELDLINE_SCREENSHOTS=1 (refresh them that way before a release and commit them); otherwise to
the test's temporary folder, so an ordinary run leaves the working tree alone.
"""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from PIL import Image

from agreements.models import AgreementState, RateKind
from customers.models import Customer
from repairs.models import BomVersion, RepairStage
from service_orders.models import GenerationRun, OrderState, WebRequest
from sla.models import BusinessCalendar
from subscriptions.models import BillingRun, SubscriptionGroup
from tenancy.models import Membership, Tenant, User
from tenancy.roles import Role
from tests.factories.agreements import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementRateFactory,
    AgreementSuspensionFactory,
)
from tests.factories.customers import (
    AgreementGroupFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceTaskFactory,
)
from tests.factories.repairs import BomHistoryFactory, RepairLineFactory, ServiceBomLineFactory
from tests.factories.returns import ReturnReasonFactory
from tests.factories.service_orders import (
    GenerationErrorFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    ServiceOrderObjectFactory,
)
from tests.factories.sla import HolidayFactory, ServiceLevelAgreementFactory
from tests.factories.tenancy import UserFactory

from .layout import PHONE, WIDE, assert_fits

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
LANGUAGES = ("en", "pl")

LONG_NAME = (
    "Przedsiębiorstwo Wielobranżowe Usług Technicznych i Serwisowych Konstanty Ildefons "
    "Gałczyński i Wspólnicy Spółka z ograniczoną odpowiedzialnością Spółka komandytowa"
)
LONG_WORD = "Wärmepumpenwartungsvertragsverlängerungsbestätigungsschreiben-2026-ABCDEFGHIJK"
LONG_TEXT = (
    "Coroczny przegląd kotłów gazowych, pomp ciepła i central wentylacyjnych wraz z wymianą "
    "filtrów, uszczelek, kontrolą szczelności instalacji i sporządzeniem protokołu"
)


@pytest.fixture
def data(transactional_db):
    """The acme demo tenant (Polish) with records long enough to break a careless layout."""
    call_command("seed_demo", verbosity=0)
    acme = Tenant.objects.get(slug="acme")
    customer = CustomerFactory(
        tenant=acme,
        number="C-900001",
        name=LONG_NAME,
        email="dzial.techniczny.serwis.i.utrzymanie.ruchu@przedsiebiorstwo-wielobranzowe.pl",
        phone="+48 22 123 45 67 wew. 1234",
    )
    CustomerSiteFactory(
        customer=customer,
        name="Zakład produkcyjny nr 3",
        street=LONG_TEXT[:190],
        city="Kędzierzyn-Koźle",
        is_default=True,
    )
    CustomerContactFactory(
        customer=customer,
        name="Małgorzata Brzęczyszczykiewicz-Grzegorzewska",
        email="malgorzata.brzeczyszczykiewicz-grzegorzewska@przedsiebiorstwo-wielobranzowe.pl",
    )
    item = ItemFactory(tenant=acme, number="POMPA-CIEPLA-XL-2026", name=LONG_TEXT[:190])
    group = ServiceObjectGroupFactory(tenant=acme, code="CIEPLO", name=LONG_TEXT[:110])
    task = ServiceTaskFactory(tenant=acme, code="PRZEGLAD-ROCZNY", name=LONG_TEXT[:190])
    parent = ServiceObjectFactory(
        customer=customer, number="OBJ-900001", name="Kotłownia główna, budynek C"
    )
    obj = ServiceObjectFactory(
        customer=customer,
        number="OBJ-900002",
        name=LONG_TEXT[:190],
        serial_number=LONG_WORD[:80],
        item=item,
        group=group,
        parent=parent,
    )
    sla = ServiceLevelAgreementFactory(
        tenant=acme, code="PREMIUM-24H", name=LONG_TEXT[:110], description=LONG_TEXT
    )
    agreement_group = AgreementGroupFactory(
        tenant=acme, code="PLATYNA", name="Platynowy pakiet serwisowy", default_sla=sla
    )
    agreement = AgreementFactory(
        customer=customer,
        number="AG-900001",
        group=agreement_group,
        description=LONG_TEXT[:190],
        state=AgreementState.ACTIVE,
        end_date=datetime.date(2027, 12, 31),
    )
    AgreementObjectFactory(agreement=agreement, service_object=obj)
    for position in (10, 20, 30):
        AgreementLineFactory(
            agreement=agreement,
            position=position,
            description=LONG_TEXT[:190],
            service_object=obj,
            task=task,
            item=item,
            quantity=Decimal("12.5"),
            unit_price=Decimal("123456.78"),
        )
    # Rate cards: the agreement's own (a fee with a long description) over its group's.
    AgreementRateFactory(
        agreement=agreement,
        kind=RateKind.FEE,
        description=LONG_TEXT[:120],
        sales_price=Decimal("123456.78"),
        cost_price=Decimal("98765.43"),
    )
    AgreementRateFactory(agreement=None, group=agreement_group, task=task)
    AgreementSuspensionFactory(
        agreement=agreement,
        suspended_from=datetime.date(2026, 2, 1),
        resumed_on=datetime.date(2026, 2, 14),
        reason=LONG_TEXT[:190],
    )
    order = ServiceOrderFactory(
        customer=customer,
        number="SO-900001",
        agreement=agreement,
        description=LONG_TEXT[:190],
        preferred_date=datetime.date(2026, 12, 24),
        window_start=datetime.date(2026, 12, 21),
        window_end=datetime.date(2026, 12, 31),
        calendar_conflict=True,
    )
    for _ in range(3):
        ServiceOrderLineFactory(
            order=order,
            description=LONG_TEXT[:190],
            service_object=obj,
            task=task,
            item=item,
            quantity=Decimal("12.5"),
            unit_price=Decimal("123456.78"),
        )
    run = GenerationRun.objects.filter(tenant=acme).order_by("pk").first()
    GenerationErrorFactory(run=run, tenant=acme, agreement=agreement, message=LONG_TEXT * 2)
    calendar = BusinessCalendar.objects.filter(tenant=acme).order_by("pk").first()
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 8, 14), name=LONG_TEXT[:110])
    colleague = UserFactory(
        email="konstanty.ildefons.galczynski.kierownik.serwisu@przedsiebiorstwo.pl",
        first_name="Konstanty Ildefons",
        last_name="Gałczyński-Brzęczyszczykiewicz",
    )
    Membership.objects.create(tenant=acme, user=colleague, role=Role.SERVICE_MANAGER)
    contact_requests = WebRequest.objects.filter(tenant=acme).order_by("pk")
    invoice = _issued_invoice(acme, customer, item)
    repairs = _repairs(acme, customer, obj, item)
    return {
        **repairs,
        "invoice": invoice,
        "web_request": contact_requests.first(),
        "contact_order": contact_requests.filter(order__isnull=False).first().order,
        "customer": customer,
        "object": obj,
        "item": item,
        "task": task,
        "agreement": agreement,
        "agreement_group": agreement_group,
        "order": order,
        "run": run,
        "sla": sla,
        "calendar": calendar,
        "member": Membership.objects.get(tenant=acme, user=colleague),
        "subscription": _long_subscription(acme, customer),
        "billing_run": BillingRun.objects.filter(tenant=acme).order_by("pk").first(),
        "return": _long_return(acme, invoice),
    }


def _long_return(tenant, invoice):
    """An open return of the long invoice's goods, partly arrived, one line split off by a
    disposition (the demo's returns are there too)."""
    from returns import services as return_services

    reason = ReturnReasonFactory(tenant=tenant, code="USZKODZENIE", name=LONG_TEXT[:110])
    order = return_services.return_create(
        tenant=tenant,
        by=None,
        data={
            "customer": invoice.customer,
            "reason": reason,
            "deadline": tenant.today() + datetime.timedelta(days=14),
            "notes": LONG_TEXT,
        },
    )
    for line in invoice.lines.order_by("id")[:2]:
        return_services.line_add(
            tenant=tenant,
            by=None,
            return_id=order.pk,
            invoice_line_id=line.pk,
            quantity=Decimal("12.5"),
            serial_number=LONG_WORD[:80],
        )
    return_services.return_open(tenant=tenant, by=None, return_id=order.pk)
    first = order.lines.order_by("id").first()
    return_services.arrival_register(
        tenant=tenant, by=None, return_id=order.pk, line_id=first.pk, quantity=Decimal("10")
    )
    return_services.disposition_set(
        tenant=tenant,
        by=None,
        return_id=order.pk,
        line_id=first.pk,
        disposition="scrap",
        quantity=Decimal("4"),
        note=LONG_TEXT[:300],
    )
    return order


def _repairs(tenant, customer, obj, item) -> dict:
    """tech1's order for the long object with a repair line, the object's service BOM with a
    long serial, and the demo's BOM versions (repairs pages)."""
    tech1 = User.objects.get(email="tech1@acme.test")
    order = ServiceOrderFactory(
        customer=customer,
        number="SO-900002",
        description=LONG_TEXT[:190],
        assigned_technician=tech1,
        state=OrderState.IN_PROGRESS,
    )
    ServiceOrderObjectFactory(order=order, service_object=obj)
    line = RepairLineFactory(
        order=order,
        service_object=obj,
        item=item,
        title=LONG_TEXT[:190],
        note=LONG_TEXT,
        stage=RepairStage.objects.get(tenant=tenant, code="DIAG"),
        technician=tech1,
    )
    part = ServiceBomLineFactory(service_object=obj, item=item, serial_number=LONG_WORD[:80])
    BomHistoryFactory(new_line=part, service_object=obj, order=order, technician=tech1)
    versions = list(BomVersion.objects.filter(tenant=tenant).order_by("number"))
    return {
        "repair_order": order,
        "repair_line": line,
        "bom": versions[0],
        "bom_other": versions[1],
    }


def _long_subscription(tenant, customer):
    """An active subscription with a long description, billed, with a reduction and a one-off
    fee (the subscription page's worst case)."""
    from subscriptions.services import subscriptions as subscription_services
    from subscriptions.services.billing import billing_run

    group = SubscriptionGroup.objects.filter(tenant=tenant).order_by("pk").first()
    subscription = subscription_services.subscription_create(
        tenant=tenant,
        by=None,
        data={
            "customer": customer,
            "group": group,
            "description": LONG_TEXT[:190],
            "base_price": Decimal("123456.78"),
            "currency": "PLN",
            "start_date": tenant.today().replace(day=1) - datetime.timedelta(days=40),
        },
    )
    subscription_services.subscription_activate(
        tenant=tenant, subscription_id=subscription.pk, by=None
    )
    subscription_services.one_off_add(
        tenant=tenant,
        subscription_id=subscription.pk,
        by=None,
        data={"description": LONG_TEXT[:190], "charge_on": tenant.today(), "amount": Decimal("1")},
    )
    billing_run(tenant=tenant)
    return subscription


def _issued_invoice(tenant, customer, item):
    """An issued invoice with long lines, partly paid (the invoice pages' worst case)."""
    from invoicing.services import DraftLine, add_to_draft_invoice, invoice_issue, payment_record

    draft = add_to_draft_invoice(
        tenant=tenant,
        customer=customer,
        currency="PLN",
        lines=[
            DraftLine(
                description=LONG_TEXT[:190],
                quantity=Decimal("12.5"),
                unit="h",
                unit_price=Decimal("123456.78"),
                item=item,
                period_start=datetime.date(2026, 3, 1),
                period_end=datetime.date(2026, 3, 31),
            )
            for _ in range(3)
        ],
    )
    invoice = invoice_issue(tenant=tenant, by=None, invoice_id=draft.pk)
    payment_record(
        tenant=tenant,
        by=None,
        invoice_id=invoice.pk,
        amount=Decimal("1000.00"),
        paid_on=tenant.today(),
        reference=LONG_TEXT[:80],
    )
    return invoice


def _pages(role: str, data: dict) -> dict[str, str]:
    """The role's main pages: {short name: path}; the short names make screenshot names."""
    office = {
        "home": "/",
        "customers": "/customers/",
        "customer": f"/customers/{data['customer'].pk}/",
        "objects": "/objects/",
        "object": f"/objects/{data['object'].pk}/",
        "object-groups": "/objects/groups/",
        "items": "/items/",
        "item": f"/items/{data['item'].pk}/",
        "tasks": "/tasks/",
        "task": f"/tasks/{data['task'].pk}/",
        "agreements": "/agreements/",
        "agreement": f"/agreements/{data['agreement'].pk}/",
        "agreement-groups": "/agreements/groups/",
        "template-groups": "/agreements/template-groups/",
        "rate-cards": "/agreements/rate-cards/",
        "group-rates": f"/agreements/groups/{data['agreement_group'].pk}/rates/",
        "objects-bulk": f"/agreements/{data['agreement'].pk}/objects/bulk/",
        "lines-copy": f"/agreements/{data['agreement'].pk}/lines/copy/",
        "orders": "/orders/",
        "order": f"/orders/{data['order'].pk}/",
        "lines-from-agreement": f"/orders/{data['order'].pk}/lines/from-agreement/",
        "slas": "/sla/levels/",
        "sla": f"/sla/levels/{data['sla'].pk}/",
        "calendars": "/sla/calendars/",
        "calendar": f"/sla/calendars/{data['calendar'].pk}/",
        "holiday-import": f"/sla/calendars/{data['calendar'].pk}/holidays/import/",
        "sla-settings": "/sla/settings/",
        "import": "/import/",
        "customer-groups": "/customers/groups/",
        "invoices": "/invoices/",
        "invoice": f"/invoices/{data['invoice'].pk}/",
        "receivables": "/invoices/receivables/",
        "posting": "/orders/posting/",
        "sla-compliance": "/orders/sla-compliance/",
        "notifications": "/notifications/",
        "returns": "/returns/",
        "return": f"/returns/{data['return'].pk}/",
        "return-disposition": (
            f"/returns/{data['return'].pk}/lines/"
            f"{data['return'].lines.filter(disposition='').order_by('-id').first().pk}/disposition/"
        ),
        "return-reasons": "/returns/reasons/",
        "repair-codes": "/repairs/codes/",
        "symptom-codes": "/repairs/codes/symptom-codes/",
        "boms": "/repairs/boms/",
        "bom": f"/repairs/boms/{data['bom'].pk}/",
        "bom-compare": f"/repairs/boms/{data['bom'].pk}/compare/?other={data['bom_other'].pk}",
        "service-bom": f"/repairs/objects/{data['object'].pk}/parts/",
        "part-change": f"/repairs/objects/{data['object'].pk}/parts/change/",
        "repair-line": f"/repairs/lines/{data['repair_line'].pk}/",
        "dispatch-board": "/dispatch/",
        "dispatch-week": "/dispatch/?view=week",
        "teams": "/dispatch/teams/",
        "technicians": "/dispatch/technicians/",
        "absences": "/dispatch/absences/",
    }
    generation = {
        "generation": "/orders/generate/",
        "runs": "/orders/generate/runs/",
        "run": f"/orders/generate/runs/{data['run'].pk}/",
        "errors": "/orders/generate/errors/",
    }
    billing = {
        "subscriptions": "/subscriptions/",
        "subscription": f"/subscriptions/{data['subscription'].pk}/",
        "subscription-groups": "/subscriptions/groups/",
        "price-list": "/subscriptions/prices/",
        "billing": "/subscriptions/billing/",
        "billing-runs": "/subscriptions/billing/runs/",
        "billing-run": f"/subscriptions/billing/runs/{data['billing_run'].pk}/",
        "indexation": "/subscriptions/indexation/",
        "deferred-revenue": "/subscriptions/deferred-revenue/",
        "draft-invoices": "/invoices/?state=draft",
        "issue-drafts": "/invoices/issue-drafts/?state=draft",
    }
    if role == "manager":
        return {**office, **generation, **billing}
    if role == "dispatcher":
        readable = ("home", "customers", "customer", "objects", "object", "items", "item")
        readable += ("customer-groups",)
        readable += ("agreements", "agreement", "orders", "order", "slas", "calendars")
        readable += ("returns", "return")
        return {name: office[name] for name in readable} | {
            "calendar": office["calendar"],
            "notifications": "/notifications/",
            "requests": "/orders/requests/",
            "request": f"/orders/requests/{data['web_request'].pk}/",
            "dispatch-board": "/dispatch/",
            "dispatch-week": "/dispatch/?view=week",
        }
    if role == "contact":
        return {
            "home": "/",
            "new-request": "/portal/new/",
            "requests": "/portal/requests/",
            "request": f"/portal/requests/{data['web_request'].pk}/",
            "orders": "/portal/orders/",
            "order": f"/portal/orders/{data['contact_order'].pk}/",
        }
    if role == "technician":
        order = data["repair_order"].pk
        return {
            "home": "/",
            "account": "/account/",
            "repair-order": f"/orders/my/{order}/",
            "repair-new": f"/repairs/orders/{order}/new/",
            "repair-line": f"/repairs/lines/{data['repair_line'].pk}/",
            "parts": f"/repairs/objects/{data['object'].pk}/parts/?order={order}",
            "part-change": f"/repairs/objects/{data['object'].pk}/parts/change/?order={order}",
            "my-week": "/dispatch/my-week/",
            "my-calendar": "/dispatch/my-calendar/",
        }
    return {
        "home": "/",
        "users": "/settings/users/",
        "user": f"/settings/users/{data['member'].pk}/",
        "activity": "/settings/activity/",
        "settings": "/settings/tenant/",
        "numbers": "/settings/numbers/",
        "orders": "/orders/",
        "import": "/import/",
    }


# The screenshots of the guides: {role: pages}, each at both widths in both languages.
SHOTS = {
    "manager": ("home", "orders", "order", "agreement"),
    "dispatcher": ("home", "orders"),
    "technician": ("home",),
    "admin": ("home", "users"),
    "contact": ("home", "new-request", "request"),
}
LOGINS = {
    "manager": "manager@acme.test",
    "dispatcher": "dispatcher@acme.test",
    "technician": "tech1@acme.test",
    "admin": "admin@acme.test",
    "contact": "contact@acme.test",
}


def _sign_in(page, live_server, email: str, language: str) -> None:
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )


# Where a screenshot of a long page looks: the part the guide talks about.
SHOT_FOCUS = {"agreement": "[data-testid=line-table]", "order": "[data-testid=order-lines]"}


def _screenshot(page, folder: Path, name: str, focus: str | None) -> None:
    """The visible screen as a 256-colour PNG (a third of the size, the same to the eye)."""
    if focus:
        page.locator(focus).scroll_into_view_if_needed()
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)
    assert path.stat().st_size > 5_000, f"{name}: the screenshot looks empty"


@pytest.mark.parametrize("role", list(LOGINS))
def test_main_pages_fit_a_phone_and_a_laptop(role, data, page, live_server, tmp_path):
    folder = SCREENSHOTS if os.environ.get("FIELDLINE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pages = _pages(role, data)
    for language in LANGUAGES:
        _sign_in(page, live_server, LOGINS[role], language)
        for viewport in (PHONE, WIDE):
            page.set_viewport_size(viewport)
            for name, path in pages.items():
                if language != LANGUAGES[0] and name not in SHOTS[role]:
                    continue  # every page once; the guides' pages in each language
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, f"{role} {path}: {response.status}"
                assert page.locator("html").get_attribute("lang") == language
                assert_fits(page, viewport["width"])
                if name in SHOTS[role]:
                    shot = f"{role}-{name}-{viewport['width']}-{language}"
                    _screenshot(page, folder, shot, SHOT_FOCUS.get(name))


def test_a_list_is_cards_on_a_phone_and_a_table_on_a_laptop(data, page, live_server):
    """The list component: on a phone each row is a card with its title, facts, badge and
    action, sort and filters fold into a panel; on a laptop a table with every column."""
    _sign_in(page, live_server, LOGINS["manager"], "en")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/objects/groups/")
    table = page.get_by_role("table")
    expect_header_hidden = page.locator("main table thead")
    assert not expect_header_hidden.is_visible()
    card = table.locator("tbody tr").filter(has_text="CIEPLO")
    assert card.locator(".fl-role-title").is_visible()
    assert card.get_by_role("link", name="Edit").is_visible()
    assert card.locator("td[data-label]").filter(has_text="CIEPLO").is_visible()
    # The filters and the sort are folded away until asked for.
    search = page.get_by_label("Code or name")
    assert not search.is_visible()
    page.get_by_test_id("list-tools-toggle").click()
    search.wait_for(state="visible")
    page.get_by_label("Sort by").select_option(label="Code, descending")
    search.fill("CIEP")
    page.locator("[data-testid=list-filters] button[type=submit]").click()
    page.wait_for_url("**/objects/groups/?*")
    assert "sort=-code" in page.url and "q=CIEP" in page.url
    assert table.locator("tbody tr").count() == 1
    # Filtered: the panel stays open and says how many filters apply.
    assert search.is_visible()
    assert page.get_by_test_id("list-tools-toggle").inner_text().strip().endswith("1")

    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/orders/")
    headers = page.locator("main table thead th")
    assert headers.count() >= 9  # every column of the order list, none hidden at this width
    for index in range(headers.count()):
        assert headers.nth(index).is_visible()
    assert not page.get_by_label("Sort by").is_visible()
    # Long text is cut with an ellipsis; the full text is in its title.
    cut = page.locator("main table tbody .fl-trunc-text").filter(has_text=LONG_TEXT[:40]).first
    assert cut.get_attribute("title").startswith(LONG_TEXT[:60])
    assert cut.evaluate("el => el.scrollWidth > el.clientWidth")


def test_filters_stay_reachable_without_javascript(data, browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    _sign_in(page, live_server, LOGINS["manager"], "en")
    page.goto(f"{live_server.url}/customers/")
    search = page.get_by_label("Number or name")
    assert search.is_visible()
    search.fill("Wielobranżowe")
    page.locator("[data-testid=list-filters] button[type=submit]").click()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert Customer.objects.get(name=LONG_NAME).number in rows.first.inner_text()
    context.close()
