"""Isolation cases for the returns URLs, and the record builders the returns tests share."""

import datetime
from decimal import Decimal

from invoicing.services import DraftLine, add_to_draft_invoice, invoice_issue
from returns import services
from tests.factories import CustomerFactory, ItemFactory, ReturnReasonFactory


def issued_goods(
    tenant,
    *,
    customer=None,
    quantity="3",
    unit_price="100.00",
    item=None,
    service_object=None,
    tax_rate=None,
    extra_lines=(),
):
    """An issued invoice with one line of goods (and ``extra_lines``: more DraftLines)."""
    customer = customer or CustomerFactory(tenant=tenant)
    item = item or ItemFactory(tenant=tenant, name="Pump")
    draft = add_to_draft_invoice(
        tenant=tenant,
        customer=customer,
        currency="EUR",
        lines=[
            DraftLine(
                description=item.name,
                quantity=Decimal(quantity),
                unit="pcs",
                unit_price=Decimal(unit_price),
                item=item,
                service_object=service_object,
                tax_rate=tax_rate,
                source="manual",
            ),
            *extra_lines,
        ],
    )
    return invoice_issue(tenant=tenant, by=None, invoice_id=draft.pk)


def goods_line(invoice):
    return invoice.lines.order_by("position", "id").first()


def new_return(tenant, customer, *, by=None, reason=None):
    return services.return_create(
        tenant=tenant,
        by=by,
        data={
            "customer": customer,
            "reason": reason or ReturnReasonFactory(tenant=tenant),
            "deadline": tenant.today() + datetime.timedelta(days=14),
            "notes": "",
        },
    )


def open_return_with_line(tenant, *, quantity="2", invoiced="3", arrived=None, **kwargs):
    """An open return of ``quantity`` from a fresh invoice of ``invoiced``; ``arrived`` of it
    registered as arrived."""
    invoice = issued_goods(tenant, quantity=invoiced, **kwargs)
    order = new_return(tenant, invoice.customer)
    line = services.line_add(
        tenant=tenant,
        by=None,
        return_id=order.pk,
        invoice_line_id=goods_line(invoice).pk,
        quantity=Decimal(quantity),
    )
    services.return_open(tenant=tenant, by=None, return_id=order.pk)
    if arrived:
        services.arrival_register(
            tenant=tenant, by=None, return_id=order.pk, line_id=line.pk, quantity=Decimal(arrived)
        )
    line.refresh_from_db()
    return order, line, invoice


def _created(tenant):
    invoice = issued_goods(tenant)
    return {"pk": new_return(tenant, invoice.customer).pk}


def _created_line(tenant):
    invoice = issued_goods(tenant)
    order = new_return(tenant, invoice.customer)
    line = services.line_add(
        tenant=tenant,
        by=None,
        return_id=order.pk,
        invoice_line_id=goods_line(invoice).pk,
        quantity=Decimal("1"),
    )
    return {"pk": order.pk, "line_pk": line.pk}


def _created_with_line(tenant):
    return {"pk": _created_line(tenant)["pk"]}


def _open(tenant):
    order, _line, _invoice = open_return_with_line(tenant, arrived="2")
    return {"pk": order.pk}


def _open_line(tenant):
    order, line, _invoice = open_return_with_line(tenant, arrived="1")
    return {"pk": order.pk, "line_pk": line.pk}


def _reason(tenant):
    return {"pk": ReturnReasonFactory(tenant=tenant).pk}


CASES = {
    "returns:return_detail": _created,
    "returns:return_edit": _created,
    "returns:return_pdf": _created,
    "returns:return_open": _created_with_line,
    "returns:return_cancel": _created,
    "returns:return_close": _open,
    "returns:line_add": _created,
    "returns:line_remove": _created_line,
    "returns:arrival_register": _open_line,
    "returns:disposition_set": _open_line,
    "returns:reason_edit": _reason,
}
