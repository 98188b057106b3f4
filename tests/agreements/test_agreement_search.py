"""The agreement picker's search endpoint (agreements:agreement_search, the order list's
agreement filter over LONG_LIST agreements, decision 0028): the tenant's real agreements whose
number, description or customer's name has every typed word, at most PICKER_LIMIT of them from
one query, for the roles that may see agreements."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from tenancy.roles import Role
from tests.factories import AgreementFactory, CustomerFactory
from tests.service_orders.request_helpers import contact_of
from web.pickers import PICKER_LIMIT

pytestmark = pytest.mark.django_db

URL = reverse("agreements:agreement_search")


def _search(client, text: str) -> list[dict]:
    response = client.get(URL, {"q": text})
    assert response.status_code == 200
    return response.json()["results"]


def _values(results) -> list[str]:
    return [row["value"] for row in results]


@pytest.fixture
def manager(client_for, manager_a):
    return client_for(manager_a)


@pytest.fixture
def heating(tenant_a):
    """An agreement of Nordic Boilers, and one of another customer that matches nothing typed
    below."""
    nordic = CustomerFactory(tenant=tenant_a, name="Nordic Boilers")
    wanted = AgreementFactory(customer=nordic, number="HC-2026-07", description="Heating care")
    AgreementFactory(
        customer=CustomerFactory(tenant=tenant_a, name="Southern Pumps"),
        number="PM-0001",
        description="Pump maintenance",
    )
    return wanted


@pytest.mark.parametrize("text", ["hc-2026", "HEATING", "care", "nordic", "  boilers  "])
def test_finds_by_number_description_or_customer_name(manager, heating, text):
    assert _search(manager, text) == [
        {"value": str(heating.pk), "text": f"{heating.number} · {heating.description}"}
    ]


def test_every_typed_word_must_match_somewhere(manager, heating):
    assert _values(_search(manager, "nordic care")) == [str(heating.pk)]  # customer + description
    assert _values(_search(manager, "hc-2026 heating nordic")) == [str(heating.pk)]
    assert _search(manager, "nordic pump") == []  # each word matches, but not the same agreement
    assert _search(manager, "heating boilerplate") == []


def test_leaves_out_templates(manager, tenant_a, heating):
    AgreementFactory(
        customer=None, tenant=tenant_a, is_template=True, description="Heating care template"
    )
    assert _values(_search(manager, "heating")) == [str(heating.pk)]


def test_never_returns_another_tenants_agreements(
    manager, client_for, manager_b, tenant_b, heating
):
    theirs = AgreementFactory(
        customer=CustomerFactory(tenant=tenant_b, name="Nordic Boilers"),
        number="HC-2026-07",
        description="Heating care",
    )
    for text in ("nordic", "hc-2026-07", "heating", ""):
        assert str(theirs.pk) not in _values(_search(manager, text))
    # ...and the other tenant finds its own only.
    assert _values(_search(client_for(manager_b), "nordic")) == [str(theirs.pk)]


def test_answers_at_most_the_picker_limit_by_number_in_one_query(
    manager, tenant_a, django_assert_max_num_queries
):
    customer = CustomerFactory(tenant=tenant_a, name="Acme Heating")
    for n in reversed(range(PICKER_LIMIT + 5)):
        AgreementFactory(customer=customer, number=f"AC-{n:03d}")
    _search(manager, "acme")  # warm the session
    # session, user, memberships, tenant scope (4), the search
    with django_assert_max_num_queries(10):
        results = _search(manager, "acme")
    assert [row["text"].split(" · ")[0] for row in results] == [
        f"AC-{n:03d}" for n in range(PICKER_LIMIT)
    ]


def test_nothing_typed_lists_the_first_by_number(manager, heating):
    assert [row["text"] for row in _search(manager, "")] == [
        "HC-2026-07 · Heating care",
        "PM-0001 · Pump maintenance",
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.TENANT_ADMIN, 200),
        (Role.SERVICE_MANAGER, 200),
        (Role.DISPATCHER, 200),  # who filters the order list
        (Role.TECHNICIAN, 403),
    ],
)
def test_who_may_search(client_for, make_member, tenant_a, heating, role, status):
    client = client_for(make_member(tenant_a, role))
    assert client.get(URL, {"q": "heating"}).status_code == status


def test_a_customer_contact_may_not_search_even_for_its_own_customer(client_for, tenant_a, heating):
    contact = contact_of(tenant_a, customer=heating.customer)
    assert client_for(contact.user).get(URL, {"q": "heating"}).status_code == 403


def test_a_stranger_is_sent_to_sign_in(client, heating):
    response = client.get(URL, {"q": "heating"})
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
