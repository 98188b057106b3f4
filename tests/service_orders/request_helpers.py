"""Shared arrangements for web requests: a customer contact bound to a customer with an object
and sites, and uploads."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tenancy.roles import Role
from tests.factories import (
    ContactLoginFactory,
    CustomerFactory,
    CustomerSiteFactory,
    MembershipFactory,
    ServiceObjectFactory,
    UserFactory,
)

from .technician_helpers import image_bytes


def contact_of(tenant, *, customer=None, language: str = "", user=None):
    """A customer contact (login, membership and binding) of ``customer`` (a new one with a
    default site and an object when not given). Returns the ContactLogin."""
    if customer is None:
        customer = CustomerFactory(tenant=tenant)
        site = CustomerSiteFactory(customer=customer, is_default=True, name="Head office")
        ServiceObjectFactory(customer=customer, site=site, name="Boiler")
    if user is None:
        user = UserFactory(language=language)
    MembershipFactory(tenant=tenant, user=user, role=Role.CUSTOMER_CONTACT)
    return ContactLoginFactory(customer=customer, user=user)


def photo(name: str = "leak.png", kind: str = "PNG") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(kind), content_type=f"image/{kind.lower()}")


def not_a_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.png", b"this is not an image", content_type="image/png")
