"""The invoicing pages: list with filters and CSV, detail, issue/cancel through the
confirmation, payments, credit notes, the PDF and the accounts-receivable view."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice, InvoiceKind, InvoiceState
from invoicing.services import payment_record
from tests.factories import CustomerFactory

from .isolation_cases_invoicing import draft_for, issued_for

pytestmark = pytest.mark.django_db


def test_list_filters_and_csv(client_for, manager_a, tenant_a):
    issued = issued_for(tenant_a)
    draft = draft_for(tenant_a)
    client = client_for(manager_a)
    page = client.get(reverse("invoicing:invoice_list"), {"state": "issued"})
    assert page.status_code == 200
    assert issued.number.encode() in page.content
    assert reverse("invoicing:invoice_detail", args=[draft.pk]).encode() not in page.content
    export = client.get(reverse("invoicing:invoice_list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert len(rows) == 1 + 2
    assert issued.number in [row[0] for row in rows[1:]]


def test_list_runs_a_constant_number_of_queries(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    for _ in range(3):
        issued_for(tenant_a)
    client = client_for(manager_a)
    client.get(reverse("invoicing:invoice_list"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("invoicing:invoice_list"))
    for _ in range(12):
        issued_for(tenant_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("invoicing:invoice_list"))


def test_detail_page_constant_queries(
    client_for, manager_a, tenant_a, django_assert_max_num_queries
):
    small = issued_for(tenant_a, amounts=("1.00",))
    large = issued_for(tenant_a, amounts=[f"{i}.00" for i in range(1, 20)])
    client = client_for(manager_a)
    client.get(reverse("invoicing:invoice_detail", args=[small.pk]))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("invoicing:invoice_detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("invoicing:invoice_detail", args=[large.pk]))
    assert response.status_code == 200


def test_issue_through_the_confirmation_then_a_second_issue_is_409(client_for, manager_a, tenant_a):
    draft = draft_for(tenant_a)
    client = client_for(manager_a)
    url = reverse("invoicing:invoice_issue", args=[draft.pk])
    asked = client.get(url)
    assert asked.status_code == 200
    assert Invoice.objects.get(pk=draft.pk).state == InvoiceState.DRAFT
    done = client.post(url, {"confirmed": "True"})
    assert done.status_code == 302
    assert Invoice.objects.get(pk=draft.pk).state == InvoiceState.ISSUED
    again = client.post(url, {"confirmed": "True"})
    assert again.status_code == 409
    assert b'data-testid="refusal"' in again.content


def test_issuing_an_empty_draft_shows_the_reason(client_for, manager_a, tenant_a):
    draft = draft_for(tenant_a, amounts=())
    response = client_for(manager_a).post(
        reverse("invoicing:invoice_issue", args=[draft.pk]), {"confirmed": "True"}
    )
    assert response.status_code == 400
    assert Invoice.objects.get(pk=draft.pk).sequence is None


def test_draft_line_by_hand_and_a_double_submit_adds_one_line(client_for, manager_a, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    client = client_for(manager_a)
    form = client.get(reverse("invoicing:draft_line_add"))
    token = form.context["form"].data.get("submission_token") or _token(form)
    data = {
        "customer": customer.pk,
        "currency": "EUR",
        "description": "Emergency call-out",
        "quantity": "1",
        "unit": "",
        "unit_price": "120.00",
        "tax_rate": "",
        "submission_token": token,
    }
    first = client.post(reverse("invoicing:draft_line_add"), data)
    second = client.post(reverse("invoicing:draft_line_add"), data)
    assert first.status_code == second.status_code == 302
    draft = Invoice.objects.get(tenant=tenant_a, customer=customer)
    assert draft.lines.count() == 1 and draft.net_total == Decimal("120.00")


def _token(response) -> str:
    import re

    found = re.search(rb'name="submission_token" value="([^"]+)"', response.content)
    return found.group(1).decode()


def test_bad_payment_shows_a_message_beside_the_field(client_for, manager_a, tenant_a):
    invoice = issued_for(tenant_a, amounts=("100.00",))
    client = client_for(manager_a)
    page = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    response = client.post(
        reverse("invoicing:payment_add", args=[invoice.pk]),
        {
            "amount": "500.00",
            "paid_on": tenant_a.today().isoformat(),
            "submission_token": _token(page),
        },
    )
    assert response.status_code == 400
    assert response.context["payment_form"].errors["amount"]
    assert not invoice.payments.exists()


def test_credit_note_page_refuses_more_than_invoiced(client_for, manager_a, tenant_a):
    invoice = issued_for(tenant_a, amounts=("100.00",))
    line = invoice.lines.get()
    client = client_for(manager_a)
    url = reverse("invoicing:credit_note_create", args=[invoice.pk])
    page = client.get(url)
    refused = client.post(
        url,
        {f"line_{line.pk}": "150.00", "reason": "Too much", "submission_token": _token(page)},
    )
    assert refused.status_code == 400
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    page = client.get(url)
    done = client.post(
        url,
        {f"line_{line.pk}": "100.00", "reason": "Wrong visit", "submission_token": _token(page)},
    )
    assert done.status_code == 302
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.CREDITED


def test_pdf_download(client_for, manager_a, tenant_a):
    invoice = issued_for(tenant_a)
    response = client_for(manager_a).get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_receivables_show_open_and_overdue(client_for, manager_a, tenant_a, time_machine):
    customer = CustomerFactory(tenant=tenant_a, payment_terms_days=7, name="Hotel Wawel")
    time_machine.move_to("2026-03-01 10:00Z", tick=False)
    overdue = issued_for(tenant_a, customer=customer, amounts=("100.00",))
    payment_record(
        tenant=tenant_a,
        by=None,
        invoice_id=overdue.pk,
        amount=Decimal("30.00"),
        paid_on=tenant_a.today(),
    )
    time_machine.move_to("2026-03-20 10:00Z", tick=False)
    issued_for(tenant_a, customer=customer, amounts=("50.00",))
    response = client_for(manager_a).get(reverse("invoicing:receivables"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, row = rows[0], rows[1]
    values = dict(zip(header, row, strict=True))
    assert Decimal(values["Open"]) == Decimal("70.00") + Decimal("50.00")
    assert Decimal(values["Overdue"]) == Decimal("70.00")


def test_technicians_and_dispatchers_see_no_invoices(client_for, technician_a, dispatcher_a):
    for user in (technician_a, dispatcher_a):
        assert client_for(user).get(reverse("invoicing:invoice_list")).status_code == 403


def test_the_invoicing_section_of_the_tenant_settings(client_for, admin_a, tenant_a):
    from invoicing.selectors import invoicing_settings

    data = {
        "name": tenant_a.name,
        "time_zone": tenant_a.time_zone,
        "currency": tenant_a.currency,
        "default_language": tenant_a.default_language,
        "country": tenant_a.country,
        "service_orders-horizon_days": "30",
        "invoicing-legal_name": "Alpha Serwis Sp. z o.o.",
        "invoicing-payment_terms_days": "21",
        "invoicing-default_tax_rate": "23",
        "invoicing-dispatchers_may_post": "on",
    }
    response = client_for(admin_a).post(reverse("accounts:settings"), data)
    assert response.status_code == 302
    found = invoicing_settings(tenant=tenant_a)
    assert (found.legal_name, found.payment_terms_days) == ("Alpha Serwis Sp. z o.o.", 21)
    assert found.default_tax_rate == Decimal("23") and found.dispatchers_may_post
    bad = client_for(admin_a).post(
        reverse("accounts:settings"), {**data, "invoicing-default_tax_rate": "150"}
    )
    assert bad.status_code in (200, 400)
    assert invoicing_settings(tenant=tenant_a).default_tax_rate == Decimal("23")
