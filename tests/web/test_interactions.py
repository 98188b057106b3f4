"""The shared interaction pieces as users meet them on the pages: breadcrumbs on detail and form
pages, records mentioned as links, context actions, success messages, the searchable pickers'
search endpoints, and forms with defaults from the context, required marks, first-submit errors
and folded sections."""

import pytest
from django.urls import reverse

from agreements.models import Agreement, IntervalUnit
from customers.models import CustomerSite
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementTaskFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    MembershipFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceTaskFactory,
)
from tests.service_orders.request_helpers import contact_of
from web.pickers import PICKER_LIMIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(manager_a, client):
    client.force_login(manager_a)
    return client


def _crumbs(html: str) -> str:
    assert 'data-testid="breadcrumbs"' in html, "no breadcrumbs"
    return html.split('data-testid="breadcrumbs"')[1].split("</nav>")[0]


# --- Breadcrumbs and links ---------------------------------------------------------------------


def _pages(tenant):
    customer = CustomerFactory(tenant=tenant, name="Breadcrumb Ltd")
    site = CustomerSiteFactory(customer=customer, is_default=True)
    obj = ServiceObjectFactory(customer=customer, site=site)
    agreement = AgreementFactory(customer=customer)
    line = AgreementLineFactory(agreement=agreement)
    item = ItemFactory(tenant=tenant)
    task = ServiceTaskFactory(tenant=tenant)
    order = ServiceOrderFactory(customer=customer, agreement=agreement, site=site)
    calendar = BusinessCalendarFactory(tenant=tenant)
    return {
        "customers:customer_detail": [customer.pk],
        "customers:customer_edit": [customer.pk],
        "customers:customer_create": [],
        "customers:site_add": [customer.pk],
        "customers:site_edit": [customer.pk, site.pk],
        "customers:object_detail": [obj.pk],
        "customers:object_edit": [obj.pk],
        "customers:object_create": [],
        "customers:item_detail": [item.pk],
        "customers:item_edit": [item.pk],
        "customers:task_detail": [task.pk],
        "customers:task_edit": [task.pk],
        "customers:agreement_group_create": [],
        "customers:object_group_create": [],
        "agreements:agreement_detail": [agreement.pk],
        "agreements:agreement_edit": [agreement.pk],
        "agreements:agreement_create": [],
        "agreements:agreement_from_template": [],
        "agreements:line_create": [agreement.pk],
        "agreements:line_edit": [line.pk],
        "agreements:agreement_mark_template": [agreement.pk],
        "agreements:template_group_create": [],
        "service_orders:order_detail": [order.pk],
        "sla:calendar_detail": [calendar.pk],
        "sla:calendar_edit": [calendar.pk],
        "sla:calendar_create": [],
        "sla:sla_create": [],
        "service_orders:order_create": [],
        "service_orders:generation": [],
        "service_orders:generation_errors": [],
        "service_orders:stage_create": [],
    }


def test_every_detail_and_form_page_has_breadcrumbs(tenant_a, manager):
    for name, args in _pages(tenant_a).items():
        response = manager.get(reverse(name, args=args))
        assert response.status_code == 200, name
        crumbs = _crumbs(response.content.decode())
        assert 'aria-current="page"' in crumbs, name
        assert crumbs.count("<a href=") >= 1, name


def test_the_tenant_admins_form_pages_have_breadcrumbs(tenant_a, admin_a, client):
    client.force_login(admin_a)
    membership = MembershipFactory(tenant=tenant_a)
    for name, args in {
        "accounts:invite": [],
        "accounts:member_edit": [membership.pk],
        "accounts:numbers": [],
    }.items():
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        crumbs = _crumbs(response.content.decode())
        assert 'aria-current="page"' in crumbs and "<a href=" in crumbs, name


def test_a_confirmation_page_without_javascript_has_breadcrumbs(tenant_a, manager):
    order = ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a))
    page = manager.get(reverse("service_orders:order_cancel", args=[order.pk]))
    assert page.status_code == 200
    crumbs = _crumbs(page.content.decode())
    assert f'<a href="{reverse("service_orders:order_list")}">' in crumbs
    assert 'aria-current="page"' in crumbs and order.number in crumbs
    # In the dialog (htmx) the page around it has its own.
    dialog = manager.get(
        reverse("service_orders:order_cancel", args=[order.pk]), HTTP_HX_REQUEST="true"
    )
    assert 'data-testid="breadcrumbs"' not in dialog.content.decode()


def test_the_contacts_portal_pages_have_breadcrumbs(tenant_a, client):
    login = contact_of(tenant_a)
    client.force_login(login.user)
    for name in ("portal:request_create",):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        crumbs = _crumbs(response.content.decode())
        assert 'aria-current="page"' in crumbs, name
        assert f'<a href="{reverse("portal:request_list")}">' in crumbs, name


def test_the_agreement_page_links_its_customer_objects_and_tasks(tenant_a, manager):
    customer = CustomerFactory(tenant=tenant_a)
    agreement = AgreementFactory(customer=customer)
    link = AgreementObjectFactory(agreement=agreement)
    task_link = AgreementTaskFactory(agreement=agreement)
    html = manager.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content
    html = html.decode()
    assert f'href="{reverse("customers:customer_detail", args=[customer.pk])}"' in html
    assert f'href="{reverse("customers:object_detail", args=[link.service_object_id])}"' in html
    assert f'href="{reverse("customers:task_detail", args=[task_link.task_id])}"' in html
    assert reverse("agreements:agreement_list") in _crumbs(html)


def test_the_order_page_links_customer_agreement_and_site(tenant_a, manager):
    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer, name="North gate")
    agreement = AgreementFactory(customer=customer)
    order = ServiceOrderFactory(customer=customer, agreement=agreement, site=site)
    html = manager.get(reverse("service_orders:order_detail", args=[order.pk])).content.decode()
    customer_url = reverse("customers:customer_detail", args=[customer.pk])
    assert f'href="{customer_url}"' in html
    assert f'href="{reverse("agreements:agreement_detail", args=[agreement.pk])}"' in html
    assert f'href="{customer_url}#customer-sites" data-testid="site-link">North gate' in html


def test_the_customer_page_offers_a_new_agreement_and_object_for_that_customer(
    tenant_a, manager, dispatcher_a, client
):
    customer = CustomerFactory(tenant=tenant_a, name="Context Co")
    html = manager.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    new_agreement = f"{reverse('agreements:agreement_create')}?customer={customer.pk}"
    assert f'href="{new_agreement}"' in html
    assert f"{reverse('customers:object_create')}?customer={customer.pk}" in html
    form = manager.get(new_agreement)
    assert form.context["form"]["customer"].value() == customer.pk
    assert "Context Co" in _crumbs(form.content.decode())
    client.force_login(dispatcher_a)  # may see customers, may not create agreements
    html = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="new-agreement"' not in html


# --- Success messages --------------------------------------------------------------------------


def test_adding_a_site_in_place_confirms_it(tenant_a, manager):
    customer = CustomerFactory(tenant=tenant_a)
    response = manager.post(
        reverse("customers:site_add", args=[customer.pk]),
        {"name": "Depot", "street": "Long 1", "postal_code": "00-950", "city": "Gdańsk"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="customer-sites"' in html
    assert 'id="messages" aria-live="polite" hx-swap-oob="true"' in html
    assert "added." in html.split('id="messages"')[1]


def test_linking_an_object_to_an_agreement_confirms_it(tenant_a, manager):
    customer = CustomerFactory(tenant=tenant_a)
    agreement = AgreementFactory(customer=customer)
    obj = ServiceObjectFactory(customer=customer)
    response = manager.post(
        reverse("agreements:agreement_object_add", args=[agreement.pk]),
        {"service_object": obj.pk},
        follow=True,
    )
    assert f"{obj} added to {agreement.number}." in response.content.decode()


# --- Pickers -----------------------------------------------------------------------------------


def test_the_customer_search_finds_by_name_number_or_city_within_the_tenant(
    tenant_a, tenant_b, manager
):
    wanted = CustomerFactory(tenant=tenant_a, name="Nordic Boilers")
    CustomerSiteFactory(customer=wanted, city="Tromsø")
    CustomerFactory(tenant=tenant_a, name="Southern Pumps")
    CustomerFactory(tenant=tenant_b, name="Nordic Rival")
    url = reverse("customers:customer_search")
    by_name = manager.get(url, {"q": "nordic"}).json()["results"]
    assert by_name == [{"value": str(wanted.pk), "text": str(wanted)}]
    assert manager.get(url, {"q": "troms"}).json()["results"][0]["value"] == str(wanted.pk)
    assert manager.get(url, {"q": wanted.number}).json()["results"][0]["value"] == str(wanted.pk)
    assert manager.get(url, {"q": "nordic boil"}).json()["results"][0]["text"] == str(wanted)


def test_the_search_endpoints_are_limited_and_run_one_query(
    tenant_a, manager, django_assert_max_num_queries
):
    for index in range(PICKER_LIMIT + 5):
        customer = CustomerFactory(tenant=tenant_a, name=f"Acme {index:02d}")
        ServiceObjectFactory(customer=customer, name=f"Acme boiler {index}")
        ItemFactory(tenant=tenant_a, name=f"Acme part {index}")
    manager.get(reverse("customers:customer_search"), {"q": "acme"})
    for name in ("customers:customer_search", "customers:object_search", "customers:item_search"):
        # session, user, memberships, tenant scope (4), the search
        with django_assert_max_num_queries(10):
            results = manager.get(reverse(name), {"q": "acme"}).json()["results"]
        assert len(results) == PICKER_LIMIT, name


def test_the_object_search_keeps_to_the_customer(tenant_a, manager):
    mine = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a), name="Chiller A")
    ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a), name="Chiller B")
    url = reverse("customers:object_search")
    results = manager.get(url, {"q": "chiller", "customer": mine.customer_id}).json()["results"]
    assert [row["value"] for row in results] == [str(mine.pk)]


def test_the_search_endpoints_need_the_capability(tenant_a, make_member, client):
    client.force_login(make_member(tenant_a, Role.TECHNICIAN))
    for name in ("customers:customer_search", "customers:object_search", "customers:item_search"):
        assert client.get(reverse(name), {"q": "a"}).status_code == 403


def _select_tag(html: str, name: str) -> str:
    return (
        html.split(f'name="{name}"')[0].rsplit("<select", 1)[1]
        + html.split(f'name="{name}"')[1].split(">")[0]
    )


@pytest.mark.parametrize(
    ("url_name", "field", "search"),
    [
        ("agreements:agreement_create", "customer", "customers:customer_search"),
        ("customers:object_create", "customer", "customers:customer_search"),
        ("service_orders:order_create", "customer", "customers:customer_search"),
        # People: the technician an order is assigned to, searched among the options.
        ("service_orders:order_create", "assigned_technician", ""),
    ],
)
def test_pickers_are_plain_selects_marked_for_the_script(
    tenant_a, manager, url_name, field, search
):
    html = manager.get(reverse(url_name)).content.decode()
    select = _select_tag(html, field)
    assert "data-fl-picker" in select
    if search:
        assert f'data-fl-search-url="{reverse(search)}"' in select
    assert "tom-select-2.6.2/tom-select.complete.min.js" in html


# --- Forms -------------------------------------------------------------------------------------


def test_the_agreement_customer_is_marked_required_and_refused_on_the_first_submit(
    tenant_a, manager
):
    page = manager.get(reverse("agreements:agreement_create")).content.decode()
    label = page.split('for="id_customer"')[1].split("</label>")[0]
    assert 'class="text-danger">*</span>' in label
    assert 'aria-required="true"' in page.split('name="customer"')[1].split(">")[0]
    response = manager.post(reverse("agreements:agreement_create"), {"currency": "EUR"})
    errors = response.context["form"].errors
    assert "Choose a customer." in errors["customer"]
    assert "description" in errors and "start_date" in errors  # all at once, first time
    assert not Agreement.objects.exists()
    template = manager.post(
        reverse("agreements:agreement_create"), {"is_template": "on", "currency": "EUR"}
    )
    assert "customer" not in template.context["form"].errors


def test_a_new_site_is_in_the_tenants_country(tenant_a, manager):
    tenant_a.country = "EE"
    tenant_a.save(update_fields=["country"])
    customer = CustomerFactory(tenant=tenant_a)
    form = manager.get(reverse("customers:site_add", args=[customer.pk])).context["form"]
    assert form["country"].value() == "EE"


def test_a_new_object_preselects_the_customers_only_site(tenant_a, manager):
    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer)
    url = f"{reverse('customers:object_create')}?customer={customer.pk}"
    assert manager.get(url).context["form"]["site"].value() == site.pk
    CustomerSiteFactory(customer=customer, name="Second")
    assert manager.get(url).context["form"]["site"].value() is None
    default = CustomerSite.objects.get(pk=site.pk)
    default.is_default = True
    default.save(update_fields=["is_default"])
    assert manager.get(url).context["form"]["site"].value() == site.pk


def test_the_line_form_is_in_sections_yearly_by_default_with_details_folded(tenant_a, manager):
    agreement = AgreementFactory(customer=CustomerFactory(tenant=tenant_a))
    only = AgreementObjectFactory(agreement=agreement)
    response = manager.get(reverse("agreements:line_create", args=[agreement.pk]))
    form = response.context["form"]
    assert form["interval_unit"].value() == IntervalUnit.YEAR
    assert form["service_object"].value() == only.service_object_id
    html = response.content.decode()
    assert html.count('data-testid="section"') == 3
    folded = html.split("<details")[1].split("</details>")[0]
    assert " open" not in folded.split(">")[0]
    assert 'name="technician"' in folded and 'name="excluded_months"' in folded
    assert 'name="interval_unit"' not in folded

    # A field in the folded section with an error opens it.
    data = {"kind": "hour", "interval_unit": "month", "interval_count": "1"}
    data |= {"time_window": "days_around", "window_days_before": "-3", "quantity": "1"}
    refused = manager.post(reverse("agreements:line_create", args=[agreement.pk]), data)
    assert refused.context["form"].errors
    details = refused.content.decode().split("<details")[1].split(">")[0]
    assert " open" in details
