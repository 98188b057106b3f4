"""The returns pages: list with filters and CSV, a new return, lines with errors beside the
field, arrival and dispositions through the pages, 409 on a lost race, the RMA PDF in the
customer's language, the panels on the customer and invoice pages, the reasons table, and
constant query counts."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from invoicing.models import Invoice, InvoiceKind
from returns import services
from returns.documents import render_return_pdf
from returns.models import Disposition, ReturnCredit, ReturnOrder, ReturnReason, ReturnState
from tests.factories import CustomerFactory, ReturnReasonFactory

from .isolation_cases_returns import goods_line, issued_goods, new_return, open_return_with_line

pytestmark = pytest.mark.django_db


def _detail(pk):
    return reverse("returns:return_detail", args=[pk])


def test_list_filters_and_csv(client_for, manager_a, tenant_a):
    open_order, _line, _invoice = open_return_with_line(tenant_a)
    created = new_return(tenant_a, issued_goods(tenant_a).customer)
    client = client_for(manager_a)
    page = client.get(reverse("returns:return_list"), {"state": "open"})
    assert page.status_code == 200
    assert open_order.number.encode() in page.content
    assert _detail(created.pk).encode() not in page.content
    export = client.get(reverse("returns:return_list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert len(rows) == 1 + 2
    assert {open_order.number, created.number} == {row[0] for row in rows[1:]}


def test_list_runs_a_constant_number_of_queries(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    for _ in range(2):
        open_return_with_line(tenant_a)
    client = client_for(manager_a)
    client.get(reverse("returns:return_list"))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("returns:return_list"))
    for _ in range(8):
        open_return_with_line(tenant_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("returns:return_list"))
    assert response.content.count(b'data-testid="return-state"') >= 10


def _return_with_lines(tenant, count):
    invoice = issued_goods(tenant, quantity="50")
    order = new_return(tenant, invoice.customer)
    for _ in range(count):
        services.line_add(
            tenant=tenant,
            by=None,
            return_id=order.pk,
            invoice_line_id=goods_line(invoice).pk,
            quantity=Decimal("1"),
        )
    services.return_open(tenant=tenant, by=None, return_id=order.pk)
    lines = list(order.lines.all())
    for line in lines:
        services.arrival_register(
            tenant=tenant, by=None, return_id=order.pk, line_id=line.pk, quantity=Decimal("1")
        )
    for line in lines[: count // 2]:
        services.disposition_set(
            tenant=tenant,
            by=None,
            return_id=order.pk,
            line_id=line.pk,
            disposition=Disposition.REPLACE_CREDIT,
        )
    return order


def test_detail_page_runs_a_constant_number_of_queries(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    small = _return_with_lines(tenant_a, 2)
    large = _return_with_lines(tenant_a, 12)
    client = client_for(manager_a)
    client.get(_detail(small.pk))
    with django_assert_max_num_queries(40) as few:
        client.get(_detail(small.pk))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_detail(large.pk))
    assert response.content.count(b'data-testid="credit-note"') == 6
    assert response.content.count(b'data-testid="replacement-order"') == 6


def test_new_return_errors_beside_the_field_and_a_double_submit_creates_one(
    client_for, manager_a, tenant_a
):
    customer = CustomerFactory(tenant=tenant_a)
    reason = ReturnReasonFactory(tenant=tenant_a)
    client = client_for(manager_a)
    page = client.get(reverse("returns:return_create"))
    token = re.search(rb'name="submission_token" value="([^"]+)"', page.content).group(1).decode()
    bad = client.post(
        reverse("returns:return_create"),
        {
            "customer": customer.pk,
            "reason": reason.pk,
            "deadline": "2000-01-01",
            "submission_token": token,
        },
    )
    assert bad.status_code == 400
    assert "The deadline cannot be in the past." in bad.content.decode()
    assert not ReturnOrder.objects.exists()
    deadline = tenant_a.today().replace(year=tenant_a.today().year + 1).isoformat()
    data = {
        "customer": customer.pk,
        "reason": reason.pk,
        "deadline": deadline,
        "submission_token": token,
    }
    first = client.post(reverse("returns:return_create"), data)
    second = client.post(reverse("returns:return_create"), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert ReturnOrder.objects.count() == 1


def test_more_than_invoiced_is_refused_beside_the_quantity(client_for, manager_a, tenant_a):
    invoice = issued_goods(tenant_a, quantity="2")
    order = new_return(tenant_a, invoice.customer)
    client = client_for(manager_a)
    page = client.get(_detail(order.pk))
    assert goods_line(invoice).description.encode() in page.content
    token = re.search(rb'name="submission_token" value="([^"]+)"', page.content).group(1).decode()
    response = client.post(
        reverse("returns:line_add", args=[order.pk]),
        {
            "invoice_line": goods_line(invoice).pk,
            "quantity": "3",
            "submission_token": token,
        },
    )
    assert response.status_code == 400
    assert "At most 2 can still be returned" in response.content.decode()
    assert not order.lines.exists()


def test_a_lost_race_answers_409_with_the_current_state(client_for, manager_a, tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    client = client_for(manager_a)
    response = client.post(reverse("returns:return_open", args=[order.pk]), {"confirmed": "True"})
    assert response.status_code == 409
    assert b'data-testid="refusal"' in response.content
    assert b'data-state="open"' in response.content
    services.disposition_set(
        tenant=tenant_a, by=None, return_id=order.pk, line_id=line.pk, disposition="scrap"
    )
    again = client.post(
        reverse("returns:disposition_set", args=[order.pk, line.pk]),
        {"disposition": "credit", "confirmed": "True"},
    )
    assert again.status_code == 409
    assert not ReturnCredit.objects.exists()


def test_the_manager_takes_a_return_to_a_credit_note_through_the_pages(
    client_for, manager_a, tenant_a
):
    invoice = issued_goods(tenant_a, quantity="2", unit_price="80.00")
    order = new_return(tenant_a, invoice.customer)
    services.line_add(
        tenant=tenant_a,
        by=None,
        return_id=order.pk,
        invoice_line_id=goods_line(invoice).pk,
        quantity=Decimal("2"),
    )
    client = client_for(manager_a)
    confirm = client.get(reverse("returns:return_open", args=[order.pk]))
    assert confirm.status_code == 200
    assert (
        client.post(
            reverse("returns:return_open", args=[order.pk]), {"confirmed": "True"}
        ).status_code
        == 302
    )
    line = order.lines.get()
    not_arrived = client.post(
        reverse("returns:disposition_set", args=[order.pk, line.pk]),
        {"disposition": "credit", "confirmed": "True"},
    )
    assert not_arrived.status_code == 400
    assert "register its arrival first" in not_arrived.content.decode()
    arrived = client.post(
        reverse("returns:arrival_register", args=[order.pk, line.pk]),
        {f"arrival-{line.pk}-quantity": "2"},
    )
    assert arrived.status_code == 302
    done = client.post(
        reverse("returns:disposition_set", args=[order.pk, line.pk]),
        {"disposition": "credit", "quantity": "1", "confirmed": "True"},
    )
    assert done.status_code == 302
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert note.net_total == Decimal("80.00")
    page = client.get(_detail(order.pk))
    assert note.number.encode() in page.content
    invoice_page = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    assert b'data-testid="invoice-returns"' in invoice_page.content
    assert order.number.encode() in invoice_page.content


def test_a_dispatcher_decides_dispositions_but_not_credits(client_for, dispatcher_a, tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    client = client_for(dispatcher_a)
    form = client.get(reverse("returns:disposition_set", args=[order.pk, line.pk]))
    assert form.status_code == 200
    assert b'value="credit"' not in form.content and b'value="scrap"' in form.content
    refused = client.post(
        reverse("returns:disposition_set", args=[order.pk, line.pk]),
        {"disposition": "credit", "confirmed": "True"},
    )
    assert refused.status_code == 400
    assert not ReturnCredit.objects.exists()


def test_technicians_see_no_returns(client_for, technician_a, tenant_a):
    assert client_for(technician_a).get(reverse("returns:return_list")).status_code == 403


def test_cancel_asks_first_and_then_cancels(client_for, manager_a, tenant_a):
    order = new_return(tenant_a, issued_goods(tenant_a).customer)
    client = client_for(manager_a)
    unconfirmed = client.post(reverse("returns:return_cancel", args=[order.pk]))
    assert unconfirmed.status_code == 200
    order.refresh_from_db()
    assert order.state == ReturnState.CREATED
    client.post(
        reverse("returns:return_cancel", args=[order.pk]),
        {"confirmed": "True", "reason": "Customer kept it"},
    )
    order.refresh_from_db()
    assert order.state == ReturnState.CANCELLED and order.cancel_reason == "Customer kept it"


def test_customer_page_shows_the_returns_panel(client_for, manager_a, tenant_a):
    order, _line, invoice = open_return_with_line(tenant_a)
    page = client_for(manager_a).get(
        reverse("customers:customer_detail", args=[invoice.customer_id])
    )
    assert b'data-testid="customer-returns"' in page.content
    assert order.number.encode() in page.content


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_rma_pdf_names_the_number_goods_and_deadline_in_the_customers_language(tenant_a):
    customer = CustomerFactory(tenant=tenant_a, language="pl")
    invoice = issued_goods(tenant_a, customer=customer)
    order = new_return(tenant_a, customer)
    services.line_add(
        tenant=tenant_a,
        by=None,
        return_id=order.pk,
        invoice_line_id=goods_line(invoice).pk,
        quantity=Decimal("1"),
    )
    text = _pdf_text(render_return_pdf(tenant=tenant_a, return_order=order))
    assert order.number in text
    assert goods_line(invoice).description in text
    assert invoice.number in text
    assert "Return authorisation" not in text  # Polish, not English


def test_the_pdf_page(client_for, manager_a, tenant_a):
    order = new_return(tenant_a, issued_goods(tenant_a).customer)
    response = client_for(manager_a).get(reverse("returns:return_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_reasons_are_kept_by_managers_with_unique_codes(
    client_for, manager_a, dispatcher_a, tenant_a
):
    client = client_for(manager_a)
    page = client.get(reverse("returns:reason_create"))
    token = re.search(rb'name="submission_token" value="([^"]+)"', page.content).group(1).decode()
    client.post(
        reverse("returns:reason_create"),
        {"code": "defect", "name": "Defective", "is_active": "on", "submission_token": token},
    )
    assert ReturnReason.objects.filter(tenant=tenant_a, code="defect").exists()
    page = client.get(reverse("returns:reason_create"))
    token = re.search(rb'name="submission_token" value="([^"]+)"', page.content).group(1).decode()
    duplicate = client.post(
        reverse("returns:reason_create"),
        {"code": "defect", "name": "Broken", "submission_token": token},
    )
    assert duplicate.status_code == 400
    assert "Another return reason has this code." in duplicate.content.decode()
    assert client_for(dispatcher_a).get(reverse("returns:reason_list")).status_code == 403


def test_a_disposition_posted_without_its_form_changes_nothing(client_for, manager_a, tenant_a):
    order, line, _invoice = open_return_with_line(tenant_a, arrived="2")
    response = client_for(manager_a).post(
        reverse("returns:disposition_set", args=[order.pk, line.pk]), {"disposition": "scrap"}
    )
    assert response.status_code == 200
    assert b'data-testid="disposition-form"' in response.content
    line.refresh_from_db()
    assert line.disposition == ""


def test_the_list_sorts_by_lines_without_disposition_and_finds_serials(
    client_for, manager_a, tenant_a
):
    decided, line, _invoice = open_return_with_line(tenant_a, quantity="1", arrived="1")
    services.disposition_set(
        tenant=tenant_a, by=None, return_id=decided.pk, line_id=line.pk, disposition="scrap"
    )
    waiting, waiting_line, _ = open_return_with_line(tenant_a)
    ReturnLine = type(waiting_line)
    ReturnLine.objects.filter(pk=waiting_line.pk).update(serial_number="SN-FIND-ME")
    client = client_for(manager_a)
    page = client.get(reverse("returns:return_list"), {"sort": "-open_line_count"}).content
    assert page.index(waiting.number.encode()) < page.index(decided.number.encode())
    found = client.get(reverse("returns:return_list"), {"q": "find-me"}).content
    assert waiting.number.encode() in found and decided.number.encode() not in found
