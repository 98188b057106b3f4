"""Demo returns per demo tenant, in its country's language: the return reasons, a closed return
whose goods were credited (with its credit note), and an open return with part of its goods
arrived.

Idempotent: the reasons are made where missing, the returns only while the tenant has none.
"""

import datetime
from decimal import Decimal

from customers.models import Customer
from invoicing import selectors as invoicing_selectors
from invoicing.models import InvoiceState
from tenancy.models import Tenant, User

from . import services
from .models import Disposition, ReturnOrder, ReturnReason

REASONS = {
    "PL": (
        ("wada", "Wada fabryczna"),
        ("transport", "Uszkodzenie w transporcie"),
        ("pomylka", "Dostarczono niewłaściwy towar"),
        ("rezygnacja", "Rezygnacja z zakupu"),
    ),
    "BR": (
        ("defeito", "Defeito de fabricação"),
        ("transporte", "Avaria no transporte"),
        ("engano", "Item enviado por engano"),
        ("desistencia", "Desistência da compra"),
    ),
}

NOTES = {
    "PL": (
        "Filtr zapchany po dwóch tygodniach pracy – do zwrotu na koszt dostawcy.",
        "Klient odeśle filtry kurierem; jeden już dotarł.",
    ),
    "BR": (
        "Filtro entupido após duas semanas de uso – devolução por conta do fornecedor.",
        "O cliente enviará os filtros pela transportadora; um já chegou.",
    ),
}


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    country = "BR" if tenant.country == "BR" else "PL"
    manager = people.get("manager")
    reasons = _reasons(tenant, country, manager)
    if ReturnOrder.objects.for_tenant(tenant).exists():
        return
    goods = _goods(tenant)
    if len(goods) < 2:
        return
    deadline = tenant.today() + datetime.timedelta(days=14)
    closed_line, open_line = goods[0], goods[1]
    closed = _return(tenant, manager, closed_line, reasons[0], deadline, NOTES[country][0], "1")
    line = closed.lines.get()
    services.return_open(tenant=tenant, by=manager, return_id=closed.pk)
    services.arrival_register(
        tenant=tenant, by=manager, return_id=closed.pk, line_id=line.pk, quantity=line.quantity
    )
    services.disposition_set(
        tenant=tenant,
        by=manager,
        return_id=closed.pk,
        line_id=line.pk,
        disposition=Disposition.CREDIT,
    )
    services.return_close(tenant=tenant, by=manager, return_id=closed.pk)
    quantity = min(open_line.quantity, Decimal("2"))
    opened = _return(
        tenant, manager, open_line, reasons[1], deadline, NOTES[country][1], str(quantity)
    )
    line = opened.lines.get()
    services.return_open(tenant=tenant, by=manager, return_id=opened.pk)
    services.arrival_register(
        tenant=tenant, by=manager, return_id=opened.pk, line_id=line.pk, quantity=Decimal("1")
    )


def _reasons(tenant: Tenant, country: str, by) -> list[ReturnReason]:
    found = {reason.code: reason for reason in ReturnReason.objects.for_tenant(tenant)}
    for code, name in REASONS[country]:
        if code not in found:
            found[code] = services.reason_save(
                tenant=tenant, by=by, data={"code": code, "name": name, "is_active": True}
            )
    return [found[code] for code, _name in REASONS[country]]


def _goods(tenant: Tenant) -> list:
    """Item lines of issued or paid invoices of two different customers."""
    goods, seen = [], set()
    for customer in Customer.objects.for_tenant(tenant).order_by("number"):
        line = (
            invoicing_selectors.customer_returnable_lines(tenant=tenant, customer=customer)
            .filter(
                item__isnull=False,
                invoice__state__in=[InvoiceState.ISSUED, InvoiceState.PAID],
            )
            .first()
        )
        if line is not None and customer.pk not in seen:
            goods.append(line)
            seen.add(customer.pk)
        if len(goods) == 2:
            break
    return goods


def _return(tenant, by, invoice_line, reason, deadline, note, quantity) -> ReturnOrder:
    order = services.return_create(
        tenant=tenant,
        by=by,
        data={
            "customer": invoice_line.invoice.customer,
            "reason": reason,
            "deadline": deadline,
            "notes": note,
        },
    )
    services.line_add(
        tenant=tenant,
        by=by,
        return_id=order.pk,
        invoice_line_id=invoice_line.pk,
        quantity=Decimal(quantity),
    )
    return order
