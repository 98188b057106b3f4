"""The demo's customer contact: one per demo tenant, in the tenant's language, bound to a
customer, with one request waiting for the dispatcher and one accepted (its order exists)."""

import pytest
from django.core.management import call_command

from customers.models import ContactLogin
from service_orders.models import Origin, WebRequest, WebRequestState
from tenancy.demo import DEMO_PASSWORD, DEMO_TENANTS
from tenancy.models import Membership, Tenant, User
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_each_demo_tenant_has_a_contact_with_a_waiting_and_an_accepted_request(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=spec.slug)
        user = User.objects.get(email=f"contact@{spec.slug}.test")
        assert user.check_password(DEMO_PASSWORD)
        assert user.language == tenant.default_language
        membership = Membership.objects.get(tenant=tenant, user=user)
        assert membership.role == Role.CUSTOMER_CONTACT
        login = ContactLogin.objects.get(tenant=tenant, user=user)
        requests = WebRequest.objects.filter(tenant=tenant, customer=login.customer)
        states = sorted(requests.values_list("state", flat=True))
        assert states == [WebRequestState.ACCEPTED, WebRequestState.SUBMITTED]
        accepted = requests.get(state=WebRequestState.ACCEPTED)
        assert accepted.order.origin == Origin.WEB_REQUEST
        assert accepted.contact == login.contact and login.contact.email == user.email
