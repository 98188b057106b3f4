"""Web requests: submitting (each refusal), accepting (an order of origin "web request" with the
request's data and photos, a mail in the contact's language), rejecting (reason required, a mail
with the reason), a decision made twice, and two dispatchers accepting at once."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from customers.models import ServiceObject
from service_orders.models import (
    OrderPhoto,
    Origin,
    ServiceOrder,
    ServiceOrderLine,
    WebRequest,
    WebRequestPhoto,
    WebRequestState,
)
from service_orders.services import web_requests
from service_orders.services.web_requests import MAX_REQUEST_PHOTOS, WebRequestRefused
from tenancy.context import tenant_scope
from tenancy.models import AuditEvent
from tests.factories import (
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
)
from web.photos import MAX_PHOTO_BYTES

from .request_helpers import contact_of, not_a_photo, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def login(tenant_a):
    return contact_of(tenant_a, language="pl")


def _object(login) -> ServiceObject:
    return ServiceObject.objects.get(customer=login.customer)


def _in(language: str, message: str, number: str) -> str:
    """The catalogue's sentence in ``language`` (and proof that it is translated)."""
    with translation.override(language):
        text = gettext(message) % {"number": number}
    assert text != message % {"number": number}
    return text


def submit(tenant, login, **data):
    values = {"service_object": _object(login), "description": "The boiler leaks", **data}
    return web_requests.web_request_submit(
        tenant=tenant,
        by=login.user,
        customer=login.customer,
        contact=login.contact,
        data=values,
    )


# --- Submitting -----------------------------------------------------------------------------------


def test_a_request_gets_a_number_the_objects_site_and_its_photos(tenant_a, login):
    obj = _object(login)
    other_site = CustomerSiteFactory(customer=login.customer, name="Warehouse")
    obj.site = other_site
    obj.save()
    created = submit(tenant_a, login, photos=[photo(), photo("b.jpg", "JPEG")])
    assert created.number.startswith("WR-")
    assert created.state == WebRequestState.SUBMITTED
    assert created.site == other_site  # the object's site, not the customer's default
    assert created.submitted_by == login.user and created.contact == login.contact
    photos = WebRequestPhoto.objects.filter(request=created)
    assert sorted(p.content_type for p in photos) == ["image/jpeg", "image/png"]
    assert AuditEvent.objects.filter(action="web_request.submit", target_id=created.pk).exists()


def test_without_an_object_the_site_is_the_customers_default(tenant_a, login):
    created = submit(tenant_a, login, service_object=None)
    assert created.site.is_default and created.site.customer == login.customer


def _refused(tenant, login, **data) -> dict:
    with pytest.raises(ValidationError) as refused:
        submit(tenant, login, **data)
    assert not WebRequest.objects.filter(tenant=tenant).exists()
    assert not WebRequestPhoto.objects.filter(tenant=tenant).exists()
    return refused.value.message_dict


def test_another_customers_object_is_refused(tenant_a, login):
    theirs = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    assert "service_object" in _refused(tenant_a, login, service_object=theirs)


def test_another_tenants_object_is_refused(tenant_a, tenant_b, login):
    theirs = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_b))
    assert "service_object" in _refused(tenant_a, login, service_object=theirs)


def test_another_customers_site_is_refused(tenant_a, login):
    theirs = CustomerSiteFactory(customer=CustomerFactory(tenant=tenant_a))
    assert "site" in _refused(tenant_a, login, site=theirs)


def test_an_empty_description_is_refused(tenant_a, login):
    assert "description" in _refused(tenant_a, login, description="   ")


def test_a_preferred_date_in_the_past_is_refused(tenant_a, login):
    yesterday = tenant_a.today() - datetime.timedelta(days=1)
    assert "preferred_date" in _refused(tenant_a, login, preferred_date=yesterday)


def test_a_file_that_is_not_an_image_is_refused(tenant_a, login):
    errors = _refused(tenant_a, login, photos=[photo(), not_a_photo()])
    assert "notes.png" in errors["photos"][0]


def test_a_photo_over_the_limit_is_refused(tenant_a, login):
    big = photo()
    big.size = MAX_PHOTO_BYTES + 1
    assert "photos" in _refused(tenant_a, login, photos=[big])


def test_too_many_photos_are_refused(tenant_a, login):
    photos = [photo(f"{n}.png") for n in range(MAX_REQUEST_PHOTOS + 1)]
    assert "photos" in _refused(tenant_a, login, photos=photos)


# --- Accepting and rejecting ---------------------------------------------------------------------


def test_accepting_makes_one_web_order_with_the_requests_data_and_mails_the_contact(
    tenant_a, login, dispatcher_a, mailoutbox, django_capture_on_commit_callbacks
):
    preferred = tenant_a.today() + datetime.timedelta(days=3)
    created = submit(tenant_a, login, preferred_date=preferred, photos=[photo()])
    with django_capture_on_commit_callbacks(execute=True):
        accepted = web_requests.web_request_accept(
            tenant=tenant_a, by=dispatcher_a, request_id=created.pk, priority="high"
        )
    order = accepted.order
    assert accepted.state == WebRequestState.ACCEPTED
    assert accepted.decided_by == dispatcher_a and accepted.decided_at is not None
    assert order.origin == Origin.WEB_REQUEST
    assert (order.customer, order.site, order.contact) == (
        created.customer,
        created.site,
        created.contact,
    )
    assert order.description == created.description and order.priority == "high"
    assert order.preferred_date == preferred
    assert order.stage is not None and order.stage.parent_id is None
    lines = ServiceOrderLine.objects.filter(order=order)
    assert {line.service_object for line in lines} == {created.service_object}
    copied = OrderPhoto.objects.get(order=order)
    original = WebRequestPhoto.objects.get(request=created)
    assert copied.image.name != original.image.name
    assert copied.image.read() == original.image.read()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [login.user.email]
    assert order.number in mail.body and created.number in mail.subject
    assert mail.subject == _in("pl", "Your request %(number)s was accepted", created.number)
    assert AuditEvent.objects.filter(action="web_request.accept", target_id=created.pk).exists()


def test_rejecting_needs_a_reason_and_mails_it_in_the_contacts_language(
    tenant_a, dispatcher_a, mailoutbox, django_capture_on_commit_callbacks
):
    login = contact_of(tenant_a, language="pt-br")
    created = submit(tenant_a, login)
    with pytest.raises(ValidationError) as refused:
        web_requests.web_request_reject(
            tenant=tenant_a, by=dispatcher_a, request_id=created.pk, reason="  "
        )
    assert "reason" in refused.value.message_dict
    created.refresh_from_db()
    assert created.state == WebRequestState.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        rejected = web_requests.web_request_reject(
            tenant=tenant_a, by=dispatcher_a, request_id=created.pk, reason="Fora da garantia"
        )
    assert rejected.state == WebRequestState.REJECTED and rejected.order is None
    assert not ServiceOrder.objects.filter(tenant=tenant_a).exists()
    assert len(mailoutbox) == 1
    assert "Fora da garantia" in mailoutbox[0].body
    subject = _in("pt-br", "Your request %(number)s was not accepted", created.number)
    assert mailoutbox[0].subject == subject


def test_a_technicians_request_mails_nobody(
    tenant_a, technician_a, dispatcher_a, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(tenant=tenant_a)
    created = web_requests.web_request_submit(
        tenant=tenant_a, by=technician_a, customer=customer, data={"description": "Door sticks"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        web_requests.web_request_accept(tenant=tenant_a, by=dispatcher_a, request_id=created.pk)
    assert mailoutbox == []


def test_a_decided_request_cannot_be_decided_again(tenant_a, login, dispatcher_a):
    created = submit(tenant_a, login)
    web_requests.web_request_accept(tenant=tenant_a, by=dispatcher_a, request_id=created.pk)
    with pytest.raises(WebRequestRefused) as again:
        web_requests.web_request_accept(tenant=tenant_a, by=dispatcher_a, request_id=created.pk)
    assert again.value.web_request.state == WebRequestState.ACCEPTED
    with pytest.raises(WebRequestRefused):
        web_requests.web_request_reject(
            tenant=tenant_a, by=dispatcher_a, request_id=created.pk, reason="late"
        )
    assert ServiceOrder.objects.filter(tenant=tenant_a).count() == 1


def test_an_unknown_priority_is_refused(tenant_a, login, dispatcher_a):
    created = submit(tenant_a, login)
    with pytest.raises(ValidationError):
        web_requests.web_request_accept(
            tenant=tenant_a, by=dispatcher_a, request_id=created.pk, priority="urgent!!"
        )
    assert not ServiceOrder.objects.filter(tenant=tenant_a).exists()


def test_the_database_keeps_an_accepted_request_with_its_order(tenant_a, login):
    from django.db import IntegrityError, transaction

    created = submit(tenant_a, login)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebRequest.objects.filter(pk=created.pk).update(state=WebRequestState.ACCEPTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebRequest.objects.filter(pk=created.pk).update(state=WebRequestState.REJECTED)


# --- Two dispatchers at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_connections_accepting_one_request_one_wins_one_is_refused(
    tenant_a, dispatcher_a, manager_a
):
    login = contact_of(tenant_a)
    with tenant_scope(tenant_a):
        created = submit(tenant_a, login)
    first_done = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with tenant_scope(tenant_a):
                web_requests.web_request_accept(
                    tenant=tenant_a, by=dispatcher_a, request_id=created.pk
                )
                first_done.set()
                release.wait(10)  # hold the row lock until the second one waits for it
            results["first"] = "accepted"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results["first"] = exc
            first_done.set()
        finally:
            connection.close()

    def second():
        first_done.wait(10)
        try:
            with tenant_scope(tenant_a):
                web_requests.web_request_accept(
                    tenant=tenant_a, by=manager_a, request_id=created.pk
                )
            results["second"] = "accepted"
        except WebRequestRefused as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_done.wait(10)
    threading.Event().wait(0.5)  # the second is now blocked on the row lock
    release.set()
    for thread in threads:
        thread.join(20)
    assert results["first"] == "accepted"
    assert isinstance(results["second"], WebRequestRefused)
    assert results["second"].web_request.state == WebRequestState.ACCEPTED
    assert ServiceOrder.objects.filter(tenant=tenant_a, origin=Origin.WEB_REQUEST).count() == 1
