"""The web request pages: the customer contact's portal (new request with photos, their
customer's requests and orders and nothing else), the dispatcher's list and decisions (accept
once, reject with a reason through the confirmation, 409 when someone else decided first) and the
technician's request from an order. Constant query counts on the new lists."""

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from customers.models import ServiceObject
from service_orders.capabilities import REQUEST_SERVICE
from service_orders.models import (
    OrderPhoto,
    Origin,
    ServiceOrder,
    WebRequest,
    WebRequestPhoto,
    WebRequestState,
)
from service_orders.services import web_requests
from tests.factories import (
    CustomerFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    WebRequestFactory,
)
from web.submissions import new_token

from .request_helpers import contact_of, not_a_photo, photo
from .technician_helpers import assigned_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def login(tenant_a):
    return contact_of(tenant_a)


@pytest.fixture
def contact(client_for, login):
    return client_for(login.user)


def _object(login) -> ServiceObject:
    return ServiceObject.objects.get(customer=login.customer)


def _post_request(client, login, **data):
    payload = {
        "service_object": _object(login).pk,
        "description": "The boiler leaks",
        "submission_token": new_token(),
        **data,
    }
    return client.post(reverse("portal:request_create"), payload)


# --- The contact's portal -------------------------------------------------------------------------


def test_the_contacts_home_shows_their_tiles_and_portal(tenant_a, login, contact):
    WebRequestFactory(customer=login.customer)
    ServiceOrderFactory(customer=login.customer)
    ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a))  # another customer's
    page = contact.get(reverse("home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="tile-contact_open_requests"' in html
    assert page.context["tiles"][0]["context"]["count"] == 1
    assert page.context["tiles"][1]["context"]["count"] == 1
    for name in ("portal:request_create", "portal:request_list", "portal:order_list"):
        assert reverse(name) in html
    assert f'href="{reverse("service_orders:order_list")}"' not in html


def test_a_contact_sends_a_request_with_a_photo_once(tenant_a, login, contact):
    token = new_token()
    response = _post_request(contact, login, photos=[photo()], submission_token=token)
    created = WebRequest.objects.get(tenant=tenant_a)
    assert response.status_code == 302
    assert response.url == reverse("portal:request_detail", args=[created.pk])
    assert created.customer == login.customer and created.contact == login.contact
    assert WebRequestPhoto.objects.filter(request=created).count() == 1
    # A double tap: the same form again creates nothing more.
    again = _post_request(contact, login, photos=[photo()], submission_token=token)
    assert again.status_code == 302 and again.url == response.url
    assert WebRequest.objects.filter(tenant=tenant_a).count() == 1
    page = contact.get(response.url).content.decode()
    assert created.number in page and "The boiler leaks" in page
    photo_url = reverse(
        "portal:request_photo",
        args=[created.pk, WebRequestPhoto.objects.get(request=created).pk],
    )
    assert photo_url in page
    assert contact.get(photo_url).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": "  "}, "description"),
        ({"photos": [not_a_photo()]}, "photos"),
    ],
)
def test_bad_input_is_refused_beside_the_field(tenant_a, login, contact, data, field):
    response = _post_request(contact, login, **data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'data-field="{field}"' in response.content.decode()
    assert not WebRequest.objects.filter(tenant=tenant_a).exists()


def test_a_tampered_request_for_another_customers_object_is_refused(tenant_a, login, contact):
    theirs = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    response = _post_request(contact, login, service_object=theirs.pk)
    assert response.status_code == 400
    assert response.context["form"].errors["service_object"]
    assert not WebRequest.objects.filter(tenant=tenant_a).exists()
    # The form offers the contact's own objects only.
    page = contact.get(reverse("portal:request_create")).content.decode()
    assert _object(login).name in page and theirs.name not in page


def test_a_contact_sees_only_their_customers_requests_and_orders(tenant_a, login, contact):
    mine = WebRequestFactory(customer=login.customer, description="Our leak")
    other_customer = CustomerFactory(tenant=tenant_a)
    theirs = WebRequestFactory(customer=other_customer, description="Their leak")
    my_order = ServiceOrderFactory(customer=login.customer, description="Our visit")
    their_order = ServiceOrderFactory(customer=other_customer, description="Their visit")
    requests_page = contact.get(reverse("portal:request_list")).content.decode()
    assert "Our leak" in requests_page and "Their leak" not in requests_page
    orders_page = contact.get(reverse("portal:order_list")).content.decode()
    assert "Our visit" in orders_page and "Their visit" not in orders_page
    assert contact.get(reverse("portal:request_detail", args=[mine.pk])).status_code == 200
    assert contact.get(reverse("portal:order_detail", args=[my_order.pk])).status_code == 200
    assert contact.get(reverse("portal:request_detail", args=[theirs.pk])).status_code == 404
    assert contact.get(reverse("portal:order_detail", args=[their_order.pk])).status_code == 404


def test_another_customers_object_is_not_offered_nor_reachable(tenant_a, login, contact):
    theirs = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    assert contact.get(reverse("customers:object_detail", args=[theirs.pk])).status_code in (
        403,
        404,
    )
    assert contact.get(
        reverse("customers:object_detail", args=[_object(login).pk])
    ).status_code in (
        403,
        404,
    )


def _office_urls(resolver=None, namespace=""):
    """Every URL pattern of the project whose view asks for a capability other than the
    portal's, with 1 for each id."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _office_urls(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            capability = getattr(entry.callback, "required_capability", None)
            if capability is None or capability == REQUEST_SERVICE:
                continue
            kwargs = {
                name: "hour" if converter.__class__.__name__ == "StringConverter" else 1
                for name, converter in entry.pattern.converters.items()
            }
            yield reverse(f"{namespace}{entry.name}", kwargs=kwargs)


def test_every_office_page_is_closed_to_a_contact(tenant_a, login, contact):
    ServiceOrderFactory(customer=login.customer)
    urls = list(_office_urls())
    assert len(urls) > 50
    opened = {}
    for url in urls:
        for method in (contact.get, contact.post):
            status = method(url).status_code
            if status not in (403, 404):
                opened[url] = status
    assert opened == {}


def test_a_technician_cannot_use_the_portal(tenant_a, technician_a, client_for):
    client = client_for(technician_a)
    assert client.get(reverse("portal:request_list")).status_code == 403
    assert client.get(reverse("portal:request_create")).status_code == 403


def test_the_contacts_order_page_shows_the_status_without_internal_details(
    tenant_a, login, contact, technician_a
):
    order = ServiceOrderFactory(
        customer=login.customer, assigned_technician=technician_a, state="in_progress"
    )
    ServiceOrderLineFactory(
        order=order, service_object=_object(login), unit_price=Decimal("987.65")
    )
    page = contact.get(reverse("portal:order_detail", args=[order.pk]))
    html = page.content.decode()
    assert order.number in html and order.stage.name in html
    assert _object(login).name in html
    assert technician_a.first_name in html and technician_a.last_name not in html
    assert f'href="{reverse("service_orders:order_detail", args=[order.pk])}"' not in html
    assert "987" not in html  # no prices of the order's lines


# --- The dispatcher -------------------------------------------------------------------------------


def _submitted(tenant, login, **data):
    return web_requests.web_request_submit(
        tenant=tenant,
        by=login.user,
        customer=login.customer,
        contact=login.contact,
        data={"service_object": _object(login), "description": "Boiler leaks", **data},
    )


def test_the_list_shows_waiting_requests_first_and_filters(tenant_a, login, dispatcher_a, client):
    decided = _submitted(tenant_a, login)
    web_requests.web_request_reject(
        tenant=tenant_a, by=dispatcher_a, request_id=decided.pk, reason="Duplicate"
    )
    waiting = _submitted(tenant_a, login)
    client.force_login(dispatcher_a)
    rows = list(client.get(reverse("service_orders:request_list")).context["rows"])
    assert [r.pk for r in rows] == [waiting.pk, decided.pk]
    filtered = client.get(reverse("service_orders:request_list"), {"state": "rejected"})
    assert [r.pk for r in filtered.context["rows"]] == [decided.pk]
    other = client.get(
        reverse("service_orders:request_list"),
        {"customer": CustomerFactory(tenant=tenant_a).pk},
    )
    assert list(other.context["rows"]) == []
    home = client.get(reverse("home"))
    tile = next(t for t in home.context["tiles"] if t["tile"].key == "web_requests_waiting")
    assert tile["context"]["count"] == 1


def test_accepting_twice_with_one_form_makes_one_order_and_a_late_accept_is_a_409(
    tenant_a, login, dispatcher_a, manager_a, client, mailoutbox
):
    created = _submitted(tenant_a, login, photos=[photo()])
    client.force_login(dispatcher_a)
    url = reverse("service_orders:request_accept", args=[created.pk])
    token = new_token()
    first = client.post(url, {"priority": "high", "submission_token": token})
    order = ServiceOrder.objects.get(tenant=tenant_a)
    assert first.status_code == 302
    assert first.url == reverse("service_orders:order_detail", args=[order.pk])
    assert order.origin == Origin.WEB_REQUEST and order.priority == "high"
    assert OrderPhoto.objects.filter(order=order).count() == 1
    double = client.post(url, {"priority": "high", "submission_token": token})
    assert double.status_code == 302 and double.url == first.url
    client.force_login(manager_a)
    late = client.post(url, {"priority": "low", "submission_token": new_token()})
    assert late.status_code == 409
    assert order.number in late.content.decode()
    assert late.context["web_request"].state == WebRequestState.ACCEPTED
    assert ServiceOrder.objects.filter(tenant=tenant_a).count() == 1
    # The order's page names the request it came from.
    client.force_login(dispatcher_a)
    order_page = client.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert (
        reverse("service_orders:request_detail", args=[created.pk]) in order_page.content.decode()
    )
    # The contact sees the outcome and the order.
    client.force_login(login.user)
    page = client.get(reverse("portal:request_detail", args=[created.pk])).content.decode()
    assert reverse("portal:order_detail", args=[order.pk]) in page


def test_rejecting_asks_for_a_reason_through_the_confirmation(
    tenant_a, login, dispatcher_a, client
):
    created = _submitted(tenant_a, login)
    client.force_login(dispatcher_a)
    url = reverse("service_orders:request_reject", args=[created.pk])
    assert client.get(url).status_code == 200
    # A one-click POST without the confirmation changes nothing.
    assert client.post(url, {"reason": "No"}).status_code == 200
    empty = client.post(url, {"confirmed": "True", "reason": " "})
    assert empty.status_code == 400
    created.refresh_from_db()
    assert created.state == WebRequestState.SUBMITTED
    done = client.post(url, {"confirmed": "True", "reason": "Not covered by the contract"})
    assert done.status_code == 302
    created.refresh_from_db()
    assert created.state == WebRequestState.REJECTED
    again = client.post(url, {"confirmed": "True", "reason": "Again"})
    assert again.status_code == 409
    client.force_login(login.user)
    page = client.get(reverse("portal:request_detail", args=[created.pk])).content.decode()
    assert "Not covered by the contract" in page


def test_a_contact_or_technician_cannot_decide(tenant_a, login, technician_a, client_for):
    created = _submitted(tenant_a, login)
    for user in (login.user, technician_a):
        client = client_for(user)
        url = reverse("service_orders:request_accept", args=[created.pk])
        assert client.post(url, {"priority": "normal"}).status_code == 403
    created.refresh_from_db()
    assert created.state == WebRequestState.SUBMITTED


# --- The technician -------------------------------------------------------------------------------


def test_a_technician_requests_more_work_for_the_customer_of_their_order(
    tenant_a, technician_a, client_for
):
    order = assigned_order(tenant_a, technician_a)
    obj = ServiceObjectFactory(customer=order.customer)
    client = client_for(technician_a)
    url = reverse("service_orders:technician_request", args=[order.pk])
    assert client.get(url).status_code == 200
    theirs = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    refused = client.post(
        url,
        {"service_object": theirs.pk, "description": "x", "submission_token": new_token()},
    )
    assert refused.status_code == 400 and refused.context["form"].errors["service_object"]
    done = client.post(
        url,
        {
            "service_object": obj.pk,
            "description": "The second pump rattles",
            "photos": [photo()],
            "submission_token": new_token(),
        },
    )
    assert done.status_code == 302
    created = WebRequest.objects.get(tenant=tenant_a)
    assert created.customer == order.customer and created.submitted_by == technician_a
    assert created.contact is None


def test_a_technician_cannot_request_for_an_order_not_theirs(
    tenant_a, technician_a, make_member, client_for
):
    from tenancy.roles import Role

    order = assigned_order(tenant_a, make_member(tenant_a, Role.TECHNICIAN))
    client = client_for(technician_a)
    url = reverse("service_orders:technician_request", args=[order.pk])
    assert client.get(url).status_code == 404


# --- Constant query counts ------------------------------------------------------------------------


def _requests(tenant, login, count: int) -> None:
    for _ in range(count):
        WebRequestFactory(
            customer=login.customer,
            service_object=_object(login),
            submitted_by=login.user,
            contact=login.contact,
        )


@pytest.mark.parametrize(
    ("user", "url_name"),
    [
        ("dispatcher", "service_orders:request_list"),
        ("contact", "portal:request_list"),
        ("contact", "portal:order_list"),
    ],
)
def test_the_lists_run_a_constant_number_of_queries(
    tenant_a, login, dispatcher_a, client, django_assert_max_num_queries, user, url_name
):
    client.force_login(dispatcher_a if user == "dispatcher" else login.user)
    url = reverse(url_name)
    _requests(tenant_a, login, 3)
    for _ in range(3):
        ServiceOrderFactory(customer=login.customer, assigned_technician=dispatcher_a)
    client.get(url)  # warm up (sessions, sequences)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _requests(tenant_a, login, 20)
    for _ in range(20):
        ServiceOrderFactory(customer=login.customer, assigned_technician=dispatcher_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["rows"]) == 23


def test_the_request_pages_run_a_constant_number_of_queries(
    tenant_a, login, dispatcher_a, client, django_assert_max_num_queries
):
    few = _submitted(tenant_a, login, photos=[photo()])
    many = _submitted(tenant_a, login, photos=[photo(f"{n}.png") for n in range(5)])
    client.force_login(dispatcher_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("service_orders:request_detail", args=[few.pk]))
    with CaptureQueriesContext(connection) as counted:
        client.get(reverse("service_orders:request_detail", args=[few.pk]))
    with django_assert_max_num_queries(len(counted.captured_queries)):
        client.get(reverse("service_orders:request_detail", args=[many.pk]))
