"""Demo invoicing data per demo tenant, in its country's language: the company's details on
invoices, the customers' commercial data (billing address, tax ID, terms, billing e-mail, a
customer group, one customer billed to another), and a history of invoices over the last months:
paid, partly paid, overdue, credited, plus an open draft.

Idempotent: the commercial data is set once (where empty), the invoices only while the tenant
has none (later runs, and the subscriptions' demo, add to them through the services).
"""

import datetime
from decimal import Decimal

from customers import services as customer_services
from customers.models import Customer, CustomerGroup, Item
from tenancy.models import Tenant, User

from . import services
from .models import Invoice, InvoicingSettings
from .services import DraftLine

SELLER = {
    "PL": {
        "legal_name": "Acme Serwis Sp. z o.o.",
        "address": "ul. Przemysłowa 12\n61-001 Poznań",
        "tax_id": "PL7781234567",
        "bank_account": "PL61 1090 1014 0000 0712 1981 2874",
        "default_tax_rate": Decimal("23"),
        "payment_terms_days": 14,
    },
    "BR": {
        "legal_name": "Globex Serviços Técnicos Ltda.",
        "address": "Av. Paulista, 1000 – Bela Vista\nSão Paulo – SP, 01310-100",
        "tax_id": "12.345.678/0001-90",
        "bank_account": "Banco do Brasil ag. 1234-5 c/c 67890-1",
        "default_tax_rate": Decimal("5"),
        "payment_terms_days": 30,
    },
}

GROUPS = {
    "PL": (("KORP", "Klienci korporacyjni"), ("PUB", "Sektor publiczny")),
    "BR": (("CORP", "Clientes corporativos"), ("PUB", "Setor público")),
}

# (description, quantity, unit, unit price) per country; the lines of the demo invoices.
LINES = {
    "PL": (
        ("Przegląd okresowy kotła", "1", "szt.", "450.00"),
        ("Roboczogodzina serwisanta", "3", "h", "120.00"),
        ("Filtr powietrza", "2", "szt.", "85.50"),
        ("Dojazd do klienta", "1", "szt.", "60.00"),
    ),
    "BR": (
        ("Manutenção preventiva do chiller", "1", "un", "1200.00"),
        ("Hora técnica", "4", "h", "180.00"),
        ("Filtro de ar", "2", "un", "95.90"),
        ("Deslocamento", "1", "un", "80.00"),
    ),
}

TEXTS = {
    "PL": {
        "credit": "Naliczono omyłkowo dojazd",
        "cancelled": "Usługa wykonana w ramach gwarancji",
        "reference": "Przelew",
    },
    "BR": {
        "credit": "Deslocamento cobrado por engano",
        "cancelled": "Serviço coberto pela garantia",
        "reference": "PIX",
    },
}


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    country = "BR" if tenant.country == "BR" else "PL"
    manager = people.get("manager")
    _settings(tenant, country, manager)
    customers = list(Customer.objects.for_tenant(tenant).order_by("number")[:6])
    if len(customers) < 4:
        return
    _commercial_data(tenant, country, customers, manager)
    if Invoice.objects.for_tenant(tenant).exists():
        return
    _invoices(tenant, country, customers, manager)


def _settings(tenant: Tenant, country: str, by) -> None:
    if InvoicingSettings.objects.for_tenant(tenant).exists():
        return
    services.invoicing_settings_update(tenant=tenant, by=by, data=SELLER[country])


def _commercial_data(tenant: Tenant, country: str, customers: list[Customer], by) -> None:
    groups = []
    for code, name in GROUPS[country]:
        group, _ = CustomerGroup.objects.get_or_create(
            tenant=tenant, code=code, defaults={"name": name}
        )
        groups.append(group)
    for index, customer in enumerate(customers):
        if customer.billing_address:
            continue
        site = customer.sites.order_by("-is_default", "id").first()
        data = {
            "billing_address": f"{site.street}\n{site.postal_code} {site.city}" if site else "",
            "tax_id": _tax_id(country, index),
            "payment_terms_days": 7 if index == 2 else None,
            "customer_group": groups[1] if index in (1, 4) else groups[0],
            "billing_email": customer.email,
        }
        # The last demo customer is billed to the first (a head office paying for a branch).
        if index == len(customers) - 1 and index > 0:
            data["invoice_account"] = customers[0]
        customer_services.customer_update(tenant=tenant, by=by, customer_id=customer.pk, data=data)


def _tax_id(country: str, index: int) -> str:
    if country == "BR":
        return f"{11 + index}.{222 + index:03d}.333/0001-{40 + index:02d}"
    return f"PL{5260000000 + index * 1111111}"


def _lines(country: str, picks, item: Item | None) -> list[DraftLine]:
    lines = []
    for n in picks:
        description, quantity, unit, price = LINES[country][n]
        lines.append(
            DraftLine(
                description=description,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=Decimal(price),
                source="manual",
                item=item if n == 2 else None,
                kind="item" if n == 2 else ("hour" if n == 1 else "fee"),
            )
        )
    return lines


def _invoices(tenant: Tenant, country: str, customers: list[Customer], by) -> None:
    """Five invoices issued over the last months, in date order (numbers follow dates): paid,
    partly paid, overdue, credited, recently issued; then an open draft."""
    today = tenant.today()
    item = Item.objects.for_tenant(tenant).order_by("number").first()
    texts = TEXTS[country]
    plan = [
        # (customer index, days ago issued, lines, what happens next)
        (0, 75, (0, 1, 2), "paid"),
        (1, 50, (0, 3), "partly"),
        (2, 40, (1, 2), "overdue"),
        (3, 20, (0, 1, 3), "credited"),
        (0, 3, (1, 2, 3), "open"),
    ]
    currency = tenant.currency
    for index, days_ago, picks, fate in plan:
        customer = customers[index]
        draft = services.add_to_draft_invoice(
            tenant=tenant,
            customer=customer,
            currency=currency,
            lines=_lines(country, picks, item),
            by=by,
        )
        issued_on = today - datetime.timedelta(days=days_ago)
        invoice = services.invoice_issue(
            tenant=tenant, by=by, invoice_id=draft.pk, issue_date=issued_on
        )
        if fate == "paid":
            services.payment_record(
                tenant=tenant,
                by=by,
                invoice_id=invoice.pk,
                amount=invoice.gross_total,
                paid_on=issued_on + datetime.timedelta(days=10),
                reference=f"{texts['reference']} {invoice.number}",
            )
        elif fate == "partly":
            services.payment_record(
                tenant=tenant,
                by=by,
                invoice_id=invoice.pk,
                amount=(invoice.gross_total / 2).quantize(Decimal("0.01")),
                paid_on=issued_on + datetime.timedelta(days=12),
                reference=f"{texts['reference']} {invoice.number}",
            )
        elif fate == "credited":
            # A travel charge credited first, then the rest: the invoice ends "credited".
            lines = list(invoice.lines.order_by("id"))
            services.credit_note_create(
                tenant=tenant,
                by=by,
                invoice_id=invoice.pk,
                amounts={lines[-1].pk: lines[-1].amount},
                reason=texts["credit"],
            )
            services.credit_note_create(
                tenant=tenant,
                by=by,
                invoice_id=invoice.pk,
                amounts={line.pk: line.amount for line in lines[:-1]},
                reason=texts["cancelled"],
            )
    services.add_to_draft_invoice(
        tenant=tenant,
        customer=customers[1],
        currency=currency,
        lines=_lines(country, (1, 3), item),
        by=by,
    )
