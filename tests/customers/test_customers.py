"""Customers: create with a sequence number, edit, list (search, filter, sort, CSV), the detail
page with sites, contacts, object tree, agreements and orders, and deleting only unused ones."""

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerContact, CustomerSite
from tenancy.models import AuditEvent
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager(manager_a, client):
    client.force_login(manager_a)
    return client


def _errors(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


# --- Create and edit -----------------------------------------------------------------------------


def test_manager_creates_a_customer_and_sees_its_number(manager, tenant_a):
    response = manager.post(
        reverse("customers:customer_create"),
        {"name": "Hotel Wawel", "email": "desk@wawel.test", "is_active": "on"},
        follow=True,
    )
    customer = Customer.objects.get(tenant=tenant_a)
    assert customer.number == "C-000001"
    assert response.redirect_chain[-1][0] == reverse(
        "customers:customer_detail", args=[customer.pk]
    )
    assert "Customer Hotel Wawel created with number C-000001." in response.content.decode()
    assert AuditEvent.objects.filter(tenant=tenant_a, action="customer.create").count() == 1

    manager.post(reverse("customers:customer_create"), {"name": "Second", "is_active": "on"})
    assert Customer.objects.get(tenant=tenant_a, name="Second").number == "C-000002"


def test_a_double_submit_creates_one_customer(manager, tenant_a):
    page = manager.get(reverse("customers:customer_create")).content.decode()
    token = page.split('name="submission_token" value="')[1].split('"')[0]
    data = {"name": "Once", "is_active": "on", "submission_token": token}
    first = manager.post(reverse("customers:customer_create"), data)
    second = manager.post(reverse("customers:customer_create"), data)
    assert first.url == second.url
    assert Customer.objects.filter(tenant=tenant_a, name="Once").count() == 1


def test_manager_edits_a_customer(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="Old name")
    group = AgreementGroupFactory(tenant=tenant_a, name="Gold")
    response = manager.post(
        reverse("customers:customer_edit", args=[customer.pk]),
        {"name": "New name", "language": "pl", "default_agreement_group": group.pk},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.language, customer.is_active) == ("New name", "pl", False)
    assert customer.default_agreement_group == group


def test_another_tenants_agreement_group_is_refused(manager, tenant_a, tenant_b):
    customer = CustomerFactory(tenant=tenant_a)
    foreign = AgreementGroupFactory(tenant=tenant_b)
    response = manager.post(
        reverse("customers:customer_edit", args=[customer.pk]),
        {"name": "X", "default_agreement_group": foreign.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "valid choice" in _errors(response, "default_agreement_group")
    customer.refresh_from_db()
    assert customer.default_agreement_group is None


def test_a_customer_without_a_name_is_refused(manager, tenant_a):
    response = manager.post(reverse("customers:customer_create"), {"name": " "})
    assert "required" in _errors(response, "name")
    assert not Customer.objects.filter(tenant=tenant_a).exists()


# --- List ----------------------------------------------------------------------------------------


def test_customer_list_searches_filters_sorts_and_exports(manager, tenant_a, tenant_b):
    hotel = CustomerFactory(tenant=tenant_a, number="C-000010", name="Hotel Wawel")
    CustomerSiteFactory(customer=hotel, city="Kraków", is_default=True)
    CustomerFactory(tenant=tenant_a, number="C-000011", name="Hospital", is_active=False)
    CustomerFactory(tenant=tenant_a, number="C-000012", name="Bakery")
    CustomerFactory(tenant=tenant_b, number="C-000013", name="Hotel Foreign")
    url = reverse("customers:customer_list")

    def names(params):
        return [c.name for c in manager.get(url, params).context["rows"]]

    assert names({"q": "hotel"}) == ["Hotel Wawel"]
    assert names({"q": "000012"}) == ["Bakery"]
    assert names({"status": "inactive"}) == ["Hospital"]
    assert names({}) == ["Bakery", "Hospital", "Hotel Wawel"]
    assert names({"sort": "-name"}) == ["Hotel Wawel", "Hospital", "Bakery"]
    assert names({"sort": "-number"}) == ["Bakery", "Hospital", "Hotel Wawel"]

    csv = manager.get(url, {"format": "csv", "status": "active"}).content.decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("Number,Customer name,City")
    assert "C-000010,Hotel Wawel,Kraków" in csv
    assert "Hospital" not in csv and "Foreign" not in csv


def test_customer_list_pages_and_runs_a_constant_number_of_queries(
    manager, tenant_a, django_assert_max_num_queries
):
    for index in range(35):
        customer = CustomerFactory(tenant=tenant_a, name=f"Customer {index:02d}")
        CustomerSiteFactory(customer=customer, is_default=True)
        ServiceObjectFactory(customer=customer)
    with django_assert_max_num_queries(12):
        response = manager.get(reverse("customers:customer_list"))
    assert len(response.context["rows"]) == 25
    page_two = manager.get(reverse("customers:customer_list"), {"page": 2})
    assert len(page_two.context["rows"]) == 10


# --- Detail --------------------------------------------------------------------------------------


def test_customer_page_shows_sites_contacts_object_tree_agreements_and_orders(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, name="Hotel Wawel", phone="+48 12 000")
    CustomerSiteFactory(customer=customer, name="Main building", street="Grodzka 1")
    CustomerContactFactory(customer=customer, name="Katarzyna Nowak", is_primary=True)
    boiler = ServiceObjectFactory(customer=customer, number="OBJ-1", name="Boiler")
    ServiceObjectFactory(customer=customer, number="OBJ-2", name="Burner", parent=boiler)
    ServiceObjectFactory(customer=customer, number="OBJ-0", name="Air conditioner")
    agreement = AgreementFactory(customer=customer, description="Boiler care")

    page = manager.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()

    assert "+48 12 000" in page
    assert "Main building" in page and "Grodzka 1" in page
    assert "Katarzyna Nowak" in page
    tree = page.split('data-testid="object-tree"')[1].split("</ul>")[0]
    # Tree order: roots by number, each followed by its parts (indented one level).
    assert tree.index("Air conditioner") < tree.index("Boiler") < tree.index("Burner")
    assert 'margin-left: 1rem">' in tree.split("Boiler")[1]
    assert reverse("agreements:agreement_detail", args=[agreement.pk]) in page
    assert "Boiler care" in page
    orders = reverse("service_orders:customer_orders") + f"?customer={customer.pk}"
    assert f'hx-get="{orders}"' in page
    assert reverse("service_orders:order_list") + f"?customer={customer.pk}" in page


def test_customer_page_runs_a_constant_number_of_queries(
    manager, tenant_a, django_assert_max_num_queries
):
    customer = CustomerFactory(tenant=tenant_a)
    for _ in range(5):
        CustomerSiteFactory(customer=customer)
        CustomerContactFactory(customer=customer)
    parent = None
    for index in range(35):
        parent = ServiceObjectFactory(customer=customer, parent=parent if index % 2 else None)
    for _ in range(5):
        AgreementFactory(customer=customer)
    # One query per panel (the returns and subscriptions panels made it 16), none per row.
    with django_assert_max_num_queries(16):
        response = manager.get(reverse("customers:customer_detail", args=[customer.pk]))
    assert response.content.decode().count('href="/objects/') >= 35


def test_dispatcher_reads_the_customer_page_without_edit_buttons(dispatcher_a, tenant_a, client):
    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer)
    client.force_login(dispatcher_a)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert site.name in page
    for hidden in (
        reverse("customers:customer_edit", args=[customer.pk]),
        reverse("customers:site_add", args=[customer.pk]),
        reverse("customers:site_edit", args=[customer.pk, site.pk]),
        reverse("customers:object_create"),
    ):
        assert hidden not in page


# --- Sites and contacts --------------------------------------------------------------------------


def _site_data(**overrides) -> dict:
    data = {"name": "Main", "street": "ul. Grodzka 12", "postal_code": "31-006", "city": "Kraków"}
    data.update(overrides)
    return data


def test_first_site_becomes_the_default_and_a_second_default_takes_over(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    url = reverse("customers:site_add", args=[customer.pk])
    assert manager.post(url, _site_data(name="Hotel")).status_code == 302
    hotel = CustomerSite.objects.get(customer=customer, name="Hotel")
    assert hotel.is_default

    manager.post(url, _site_data(name="Laundry"))
    assert not CustomerSite.objects.get(customer=customer, name="Laundry").is_default

    manager.post(url, _site_data(name="Spa", is_default="on"))
    defaults = CustomerSite.objects.filter(customer=customer, is_default=True)
    assert [site.name for site in defaults] == ["Spa"]


def test_site_edit_and_delete(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer, name="Old")
    response = manager.post(
        reverse("customers:site_edit", args=[customer.pk, site.pk]),
        _site_data(name="Renamed", country="PL"),
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.country) == ("Renamed", "PL")
    url = reverse("customers:site_delete", args=[customer.pk, site.pk])
    manager.post(url)  # without the confirmation nothing happens
    assert CustomerSite.objects.filter(pk=site.pk).exists()
    question = manager.get(url).content.decode()
    assert f"Remove the service site {site} of {customer.name}?" in question
    response = manager.post(url, {"confirmed": "1"}, follow=True)
    assert f"{site} removed." in response.content.decode()
    assert not CustomerSite.objects.filter(pk=site.pk).exists()


def test_a_site_without_street_and_city_is_refused_beside_the_fields(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    response = manager.post(
        reverse("customers:site_add", args=[customer.pk]), _site_data(street="", city="")
    )
    assert response.status_code == 200
    assert "required" in _errors(response, "street")
    assert "required" in _errors(response, "city")
    assert not CustomerSite.objects.filter(customer=customer).exists()


def test_site_form_inside_the_customer_page_with_htmx(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    url = reverse("customers:site_add", args=[customer.pk])

    form = manager.get(url, **HTMX).content.decode()
    assert form.lstrip().startswith('<div id="site-form"')
    assert "<html" not in form

    invalid = manager.post(url, _site_data(city=""), **HTMX).content.decode()
    assert invalid.lstrip().startswith('<div id="site-form"')
    assert 'data-field="city"' in invalid and "invalid-feedback" in invalid

    saved = manager.post(url, _site_data(name="Warehouse"), **HTMX)
    assert saved["HX-Retarget"] == "#customer-sites"
    assert saved["HX-Reswap"] == "outerHTML"
    html = saved.content.decode()
    assert html.lstrip().startswith('<section id="customer-sites"')
    assert "Warehouse" in html


def test_a_site_of_another_customer_is_not_found(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    other_site = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a))
    url = reverse("customers:site_edit", args=[customer.pk, other_site.pk])
    assert manager.get(url).status_code == 404
    assert manager.post(url, _site_data(name="Hijacked")).status_code == 404
    other_site.refresh_from_db()
    assert other_site.name != "Hijacked"


def test_one_primary_contact_per_customer(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    url = reverse("customers:contact_add", args=[customer.pk])
    manager.post(url, {"name": "Anna", "email": "anna@example.test"})
    manager.post(url, {"name": "Jan", "is_primary": "on"})
    primary = CustomerContact.objects.filter(customer=customer, is_primary=True)
    assert [contact.name for contact in primary] == ["Jan"]

    anna = CustomerContact.objects.get(customer=customer, name="Anna")
    response = manager.post(
        reverse("customers:contact_edit", args=[customer.pk, anna.pk]),
        {"name": "Anna", "email": "not-an-email"},
    )
    assert "valid email" in _errors(response, "email")
    url = reverse("customers:contact_delete", args=[customer.pk, anna.pk])
    assert "<html" not in manager.get(url, **HTMX).content.decode()  # the dialog's content
    manager.post(url, **HTMX)
    assert CustomerContact.objects.filter(pk=anna.pk).exists()
    response = manager.post(url, {"confirmed": "1"}, **HTMX)
    assert response.headers["HX-Redirect"].startswith(
        reverse("customers:customer_detail", args=[customer.pk])
    )
    assert not CustomerContact.objects.filter(pk=anna.pk).exists()


# --- Delete --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_dependant",
    [
        lambda customer: ServiceObjectFactory(customer=customer),
        lambda customer: AgreementFactory(customer=customer),
        lambda customer: ServiceOrderFactory(customer=customer),
    ],
    ids=["object", "agreement", "order"],
)
def test_a_customer_in_use_cannot_be_deleted(manager, tenant_a, make_dependant):
    customer = CustomerFactory(tenant=tenant_a)
    make_dependant(customer)
    response = manager.post(
        reverse("customers:customer_delete", args=[customer.pk]), {"confirmed": "1"}, follow=True
    )
    assert "cannot be deleted. Deactivate it instead." in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_an_unused_customer_is_deleted_with_its_sites_and_contacts(manager, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    CustomerSiteFactory(customer=customer)
    CustomerContactFactory(customer=customer)
    url = reverse("customers:customer_delete", args=[customer.pk])
    assert "cannot be undone" in manager.get(url).content.decode()
    assert manager.post(url).status_code == 200  # skipped the confirmation: nothing deleted
    assert Customer.objects.filter(pk=customer.pk).exists()
    response = manager.post(url, {"confirmed": "1"})
    assert response.url == reverse("customers:customer_list")
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not CustomerSite.objects.filter(customer_id=customer.pk).exists()
    assert AuditEvent.objects.filter(tenant=tenant_a, action="customer.delete").exists()
