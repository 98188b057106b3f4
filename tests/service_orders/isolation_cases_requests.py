"""Isolation cases for web requests (see tests/isolation.py): the office's request pages, the
technician's "New request" of an assigned order, and the customer contact's portal, whose
records belong to the contact's customer (OWNER_ROLES: the crawl makes the contact and passes
``user``, bound to the case's customer in the case's tenant)."""

from tenancy.roles import Role
from tests.factories import (
    ContactLoginFactory,
    CustomerFactory,
    MembershipFactory,
    ServiceOrderFactory,
    UserFactory,
    WebRequestFactory,
    WebRequestPhotoFactory,
)

from .isolation_cases_technician import _pk as technician_order


def _contact_customer(tenant, user=None):
    """A customer of ``tenant`` whose contact ``user`` is (a new contact when not given)."""
    customer = CustomerFactory(tenant=tenant)
    if user is None:
        user = UserFactory()
        MembershipFactory(tenant=tenant, user=user, role=Role.CUSTOMER_CONTACT)
    ContactLoginFactory(customer=customer, user=user)
    return customer


def _request(tenant, user=None) -> dict:
    customer = _contact_customer(tenant, user) if user else CustomerFactory(tenant=tenant)
    return {"pk": WebRequestFactory(customer=customer).pk}


def _request_photo(tenant, user=None) -> dict:
    customer = _contact_customer(tenant, user) if user else CustomerFactory(tenant=tenant)
    photo = WebRequestPhotoFactory(request=WebRequestFactory(customer=customer))
    photo.image.save("photo.png", _png(), save=True)
    return {"pk": photo.request_id, "photo_pk": photo.pk}


def _png():
    from django.core.files.base import ContentFile

    from .technician_helpers import image_bytes

    return ContentFile(image_bytes())


def _portal_order(tenant, user=None) -> dict:
    return {"pk": ServiceOrderFactory(customer=_contact_customer(tenant, user)).pk}


CASES = {
    # The office (the tenant admin owns these).
    "service_orders:request_detail": _request,
    "service_orders:request_accept": _request,
    "service_orders:request_reject": _request,
    "service_orders:request_photo": _request_photo,
    # The technician's request from an order assigned to them.
    "service_orders:technician_request": technician_order,
    # The customer contact's portal.
    "portal:request_detail": _request,
    "portal:request_photo": _request_photo,
    "portal:order_detail": _portal_order,
}

OWNER_ROLES = {
    "service_orders:technician_request": Role.TECHNICIAN,
    **{name: Role.CUSTOMER_CONTACT for name in CASES if name.startswith("portal:")},
}
