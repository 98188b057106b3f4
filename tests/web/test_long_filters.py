"""Long filter lists search the server (web.forms.ValuesChoiceField with ``search``, decision
0028): over LONG_LIST choices the select holds only the empty choice and the chosen record,
marked for the picker to ask the server; up to LONG_LIST it lists every choice as before. Here
LONG_LIST is made small (3); the fields are the order list's customer and agreement filters, then
the customer of a new order, the generation page's filters and the web request list's.
"""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from customers.models import Customer
from service_orders.forms import OrderFilterForm
from service_orders.models import ServiceOrder
from tests.factories import AgreementFactory, CustomerFactory, ServiceOrderFactory
from web.forms import FieldlineFormRenderer, ValuesChoiceField
from web.pickers import PickerSelect

pytestmark = pytest.mark.django_db

LIST = reverse("service_orders:order_list")
LONG = 3


@pytest.fixture(autouse=True)
def _long_list(monkeypatch):
    monkeypatch.setattr("web.pickers.LONG_LIST", LONG)


def _customers(tenant, count: int) -> list:
    return [CustomerFactory(tenant=tenant, name=f"Customer {n:03d}") for n in range(count)]


def _select(html: str, name: str) -> str:
    """The one <select> named ``name`` in ``html``, options included."""
    found = re.findall(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert len(found) == 1, found
    return found[0]


def _options(select: str) -> list[str]:
    return re.findall(r"<option [^>]*>[^<]*</option>", select)


def _filter_html(form, name: str) -> str:
    form.is_valid()  # as the order list does (filters()) before the page renders it
    return _select(str(form[name]), name)


def test_a_long_list_holds_only_the_empty_choice_and_the_chosen_one(tenant_a):
    _customers(tenant_a, LONG)
    chosen = CustomerFactory(tenant=tenant_a, name="Kowalski & Syn <Gdańsk>")
    html = _filter_html(OrderFilterForm({"customer": str(chosen.pk)}, tenant=tenant_a), "customer")
    assert _options(html) == [
        '<option value="">All customers</option>',
        f'<option value="{chosen.pk}" selected>{chosen.number} · Kowalski &amp; Syn '
        "&lt;Gdańsk&gt;</option>",
    ]
    assert escape(str(chosen)) in html  # the label Customer.__str__ gives
    assert " data-fl-search-only" in html and " data-fl-picker" in html
    assert f'data-fl-search-url="{reverse("customers:customer_search")}"' in html


def test_a_long_agreement_list_searches_the_agreement_endpoint(tenant_a):
    agreements = [AgreementFactory(customer=c) for c in _customers(tenant_a, LONG + 1)]
    chosen = agreements[2]
    html = _filter_html(
        OrderFilterForm({"agreement": str(chosen.pk)}, tenant=tenant_a), "agreement"
    )
    assert _options(html) == [
        '<option value="">All agreements</option>',
        f'<option value="{chosen.pk}" selected>{escape(str(chosen))}</option>',
    ]
    assert " data-fl-search-only" in html
    assert f'data-fl-search-url="{reverse("agreements:agreement_search")}"' in html


def test_with_nothing_chosen_a_long_list_holds_only_the_empty_choice(tenant_a):
    _customers(tenant_a, LONG + 1)
    for data in ({}, {"customer": ""}):
        html = _filter_html(OrderFilterForm(data, tenant=tenant_a), "customer")
        assert _options(html) == ['<option value="" selected>All customers</option>']
        assert " data-fl-search-only" in html


def test_the_chosen_one_comes_from_the_validation_read_without_another_query(tenant_a):
    customers = _customers(tenant_a, LONG + 5)
    form = OrderFilterForm({"customer": str(customers[-1].pk)}, tenant=tenant_a)
    form.is_valid()
    with CaptureQueriesContext(connection) as rendering:
        html = _select(str(form["customer"]), "customer")
    # One query: the choices, read as values, at most LONG_LIST + 1 of them.
    assert len(rendering.captured_queries) == 1
    assert f"LIMIT {LONG + 1}" in rendering.captured_queries[0]["sql"]
    assert f'value="{customers[-1].pk}" selected' in html


@pytest.mark.parametrize("value", ["not-a-number", "999999999", "foreign"])
def test_a_bad_or_foreign_value_is_refused_beside_the_field_with_no_stray_option(
    tenant_a, tenant_b, client_for, manager_a, value
):
    mine = _customers(tenant_a, LONG + 1)
    ServiceOrderFactory(customer=mine[0], number="MINE-1")
    foreign = CustomerFactory(tenant=tenant_b, name="Other Tenant Ltd")
    if value == "foreign":
        value = str(foreign.pk)
    response = client_for(manager_a).get(LIST, {"customer": value})
    assert response.status_code == 200
    assert response.context["filters"].errors["customer"]
    html = response.content.decode()
    group = html.split('data-field="customer"')[1].split('data-field="agreement"')[0]
    assert "invalid-feedback" in group  # the message beside the field
    assert _options(_select(html, "customer")) == ['<option value="">All customers</option>']
    assert "Other Tenant Ltd" not in html
    assert "MINE-1" in html  # the bad filter is not applied


def test_a_list_up_to_long_list_lists_every_choice(tenant_a):
    customers = _customers(tenant_a, LONG)
    chosen = customers[1]
    html = _filter_html(OrderFilterForm({"customer": str(chosen.pk)}, tenant=tenant_a), "customer")
    assert _options(html) == [
        '<option value="">All customers</option>',
        *(
            f'<option value="{c.pk}"{" selected" if c == chosen else ""}>{escape(str(c))}</option>'
            for c in customers
        ),
    ]
    assert "data-fl-search-only" not in html and "data-fl-search-url" not in html
    # One more customer and it is a long list.
    CustomerFactory(tenant=tenant_a)
    html = _filter_html(OrderFilterForm({"customer": str(chosen.pk)}, tenant=tenant_a), "customer")
    assert len(_options(html)) == 2 and " data-fl-search-only" in html


def test_a_field_without_a_search_endpoint_lists_every_choice_however_many(tenant_a):
    _customers(tenant_a, LONG * 3)

    class Form(forms.Form):
        customer = ValuesChoiceField(
            queryset=Customer.objects.filter(tenant=tenant_a).order_by("name"),
            required=False,
            empty_label="Any",
            label_fields=("name",),
            label_of=lambda name: name,
        )

    form = Form({"customer": ""}, renderer=FieldlineFormRenderer())
    html = _filter_html(form, "customer")
    assert len(_options(html)) == LONG * 3 + 1
    assert "data-fl-search-only" not in html


def _query_counts(client, url: str, requests: list[dict]) -> list[int]:
    """The queries of each request of ``url`` (with each of ``requests``' parameters)."""
    client.get(url)  # warm the session
    counts = []
    for params in requests:
        with CaptureQueriesContext(connection) as few:
            assert client.get(url, params).status_code == 200
        counts.append(len(few.captured_queries))
    return counts


def test_the_order_list_reads_as_many_queries_however_many_customers(
    tenant_a, client_for, manager_a, django_assert_max_num_queries
):
    """Over LONG_LIST the page reads the same queries for 5 customers as for 50 (with one of
    them chosen too), and writes two options per filter whatever their number."""
    customers = _customers(tenant_a, LONG + 2)
    for customer in customers:
        ServiceOrderFactory(customer=customer, agreement=AgreementFactory(customer=customer))
    client = client_for(manager_a)
    requests = [{}, {"customer": str(customers[0].pk)}]
    counts = _query_counts(client, LIST, requests)
    more = _customers(tenant_a, 45)
    for customer in more:
        AgreementFactory(customer=customer)
    for params, count in zip(requests, counts, strict=True):
        with django_assert_max_num_queries(count):
            response = client.get(LIST, params)
        html = response.content.decode()
        assert len(_options(_select(html, "customer"))) == (2 if params else 1)
        assert len(_options(_select(html, "agreement"))) == 1
        assert more[-1].name not in html


def test_without_javascript_a_customers_or_agreements_page_leads_to_its_filtered_orders(
    tenant_a, client_for, dispatcher_a
):
    """A long filter offers only the chosen record without JavaScript: the record's own page
    links to the order list filtered by it, which then shows that record chosen."""
    customers = _customers(tenant_a, LONG + 1)
    wanted = customers[0]
    agreement = AgreementFactory(customer=wanted)
    ServiceOrderFactory(customer=wanted, agreement=agreement, number="WANTED-1")
    ServiceOrderFactory(customer=wanted, number="WANTED-2")
    ServiceOrderFactory(customer=customers[1], number="OTHER-1")
    client = client_for(dispatcher_a)
    for page, field, record, shown in (
        (reverse("customers:customer_detail", args=[wanted.pk]), "customer", wanted, 2),
        (reverse("agreements:agreement_detail", args=[agreement.pk]), "agreement", agreement, 1),
    ):
        link = f"{LIST}?{field}={record.pk}"
        assert f'href="{link}"' in client.get(page).content.decode(), page
        response = client.get(link)
        numbers = [order.number for order in response.context["rows"]]
        assert sorted(numbers) == ["WANTED-1", "WANTED-2"][:shown]
        html = response.content.decode()
        assert _options(_select(html, field))[1] == (
            f'<option value="{record.pk}" selected>{escape(str(record))}</option>'
        )


# The forms of other order pages with a customer or agreement of a long list.

NEW_ORDER = reverse("service_orders:order_create")


def test_the_new_order_page_holds_only_the_chosen_customer_and_none_of_their_records(
    tenant_a, client_for, dispatcher_a
):
    """Before a customer is chosen the page offers no agreement, site, contact or object (every
    customer's would be thousands); after, the chosen customer and its own records only."""
    customers = _customers(tenant_a, LONG + 2)
    wanted = customers[-1]
    agreement = AgreementFactory(customer=wanted)
    AgreementFactory(customer=customers[0])
    client = client_for(dispatcher_a)

    html = client.get(NEW_ORDER).content.decode()
    select = _select(html, "customer")
    assert len(_options(select)) == 1 and " data-fl-search-only" in select
    assert "are offered once it is chosen" in html
    assert len(_options(_select(html, "agreement"))) == 1  # "No agreement" only

    # Chosen (?customer= from the customer's page, or the picker's reload), without validation.
    html = client.get(NEW_ORDER, {"customer": wanted.pk}).content.decode()
    assert _options(_select(html, "customer"))[1:] == [
        f'<option value="{wanted.pk}" selected>{escape(str(wanted))}</option>'
    ]
    assert [o for o in _options(_select(html, "agreement")) if 'value=""' not in o] == [
        f'<option value="{agreement.pk}">{escape(str(agreement))}</option>'
    ]
    assert "are offered once it is chosen" not in html


def test_a_customer_of_a_long_list_is_chosen_and_the_order_created(
    tenant_a, client_for, dispatcher_a
):
    wanted = _customers(tenant_a, LONG + 2)[-1]
    response = client_for(dispatcher_a).post(
        NEW_ORDER, {"customer": wanted.pk, "description": "Leaking valve", "priority": "normal"}
    )
    assert response.status_code == 302
    created = ServiceOrder.objects.get(tenant=tenant_a, description="Leaking valve")
    assert created.customer == wanted


def test_the_new_order_page_reads_as_many_queries_however_many_customers(
    tenant_a, client_for, dispatcher_a, django_assert_max_num_queries
):
    customers = _customers(tenant_a, LONG + 2)
    client = client_for(dispatcher_a)
    requests = [{}, {"customer": str(customers[0].pk)}]
    counts = _query_counts(client, NEW_ORDER, requests)
    for customer in _customers(tenant_a, 45):
        AgreementFactory(customer=customer)
    for params, count in zip(requests, counts, strict=True):
        with django_assert_max_num_queries(count):
            html = client.get(NEW_ORDER, params).content.decode()
        assert len(_options(_select(html, "customer"))) == (2 if params else 1)


def test_the_generation_page_and_the_request_list_search_their_long_lists(
    tenant_a, client_for, manager_a
):
    customers = _customers(tenant_a, LONG + 2)
    agreements = [AgreementFactory(customer=customer) for customer in customers]
    client = client_for(manager_a)
    html = client.get(
        reverse("service_orders:generation"), {"agreement": agreements[1].pk}
    ).content.decode()
    select = _select(html, "agreement")
    assert _options(select)[1:] == [
        f'<option value="{agreements[1].pk}" selected>{escape(str(agreements[1]))}</option>'
    ]
    assert f'data-fl-search-url="{reverse("agreements:agreement_search")}"' in select
    assert len(_options(_select(html, "customer"))) == 1
    html = client.get(reverse("service_orders:request_list")).content.decode()
    select = _select(html, "customer")
    assert len(_options(select)) == 1 and " data-fl-search-only" in select


# Any picker with a search endpoint (web.pickers.PickerSelect with ``search``): a customer field
# of a ModelForm, an item line's item.


class _PickedForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(),
        widget=PickerSelect(search="customers:customer_search"),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, renderer=FieldlineFormRenderer(), **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(tenant=tenant).order_by("name")


def test_a_long_picker_holds_only_the_chosen_one_read_with_the_list_in_one_query(tenant_a):
    customers = _customers(tenant_a, LONG + 2)
    chosen = customers[-1]  # past the first LONG_LIST + 1 rows read
    empty = escape(str(_PickedForm(tenant=tenant_a).fields["customer"].empty_label))
    # Unbound: the first LONG_LIST + 1 and the chosen one; bound, the validation's read too.
    for form, reads in (
        (_PickedForm(initial={"customer": chosen.pk}, tenant=tenant_a), 2),
        (_PickedForm({"customer": str(chosen.pk)}, tenant=tenant_a), 3),
    ):
        with CaptureQueriesContext(connection) as rendering:
            html = _select(str(form["customer"]), "customer")
        assert len(rendering.captured_queries) == reads
        assert _options(html) == [
            f'<option value="">{empty}</option>',
            f'<option value="{chosen.pk}" selected>{escape(str(chosen))}</option>',
        ]
        assert " data-fl-search-only" in html and " data-fl-picker" in html
    html = _select(str(_PickedForm(tenant=tenant_a)["customer"]), "customer")
    assert _options(html) == [f'<option value="" selected>{empty}</option>']
    html = _select(str(_PickedForm({"customer": "x"}, tenant=tenant_a)["customer"]), "customer")
    assert _options(html) == [f'<option value="">{empty}</option>']


def test_a_short_picker_lists_every_choice_from_one_query(tenant_a):
    customers = _customers(tenant_a, LONG)
    form = _PickedForm(initial={"customer": customers[0].pk}, tenant=tenant_a)
    with CaptureQueriesContext(connection) as rendering:
        html = _select(str(form["customer"]), "customer")
    assert len(rendering.captured_queries) == 1
    assert len(_options(html)) == LONG + 1 and f'value="{customers[0].pk}" selected' in html
    assert "data-fl-search-only" not in html
    assert f'data-fl-search-url="{reverse("customers:customer_search")}"' in html


def test_another_tenants_customer_in_the_new_order_link_shows_nothing_of_it(
    tenant_a, tenant_b, client_for, dispatcher_a
):
    _customers(tenant_a, LONG + 2)
    foreign = CustomerFactory(tenant=tenant_b, name="Other Tenant Ltd")
    AgreementFactory(customer=foreign)
    html = client_for(dispatcher_a).get(NEW_ORDER, {"customer": foreign.pk}).content.decode()
    assert len(_options(_select(html, "customer"))) == 1
    assert len(_options(_select(html, "agreement"))) == 1
    assert "Other Tenant Ltd" not in html
