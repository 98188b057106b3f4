"""Inviting a customer contact: the tenant admin chooses the customer (a field of the role's
binding, accounts.bindings, filled in by customers), a contact without one is refused beside the
field, accepting binds the new login to the customer and its contact record, and the members
page shows whom each contact works for."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation
from customers.models import ContactLogin, CustomerContact
from tenancy.models import Membership, User
from tenancy.roles import Role
from tests.factories import CustomerContactFactory, CustomerFactory

from .test_invitations import _accept_new, _invite, _link_from_last_mail, _path

pytestmark = pytest.mark.django_db


def test_the_invitation_form_offers_the_customer_for_the_contact_role(admin_a, tenant_a, client):
    customer = CustomerFactory(tenant=tenant_a, name="Hotel Wawel")
    client.force_login(admin_a)
    page = client.get(reverse("accounts:invite")).content.decode()
    assert 'data-field="customer"' in page and "Hotel Wawel" in page
    assert f'data-fl-for-role="{Role.CUSTOMER_CONTACT}"' in page
    assert customer.number in page


def test_a_contact_without_a_customer_is_refused_beside_the_field(admin_a, tenant_a, client):
    client.force_login(admin_a)
    response = _invite(client, "anna@hotel.test", role=Role.CUSTOMER_CONTACT)
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert not Invitation.objects.exists()


def test_another_tenants_customer_is_refused(admin_a, tenant_b, client):
    theirs = CustomerFactory(tenant=tenant_b)
    client.force_login(admin_a)
    response = _invite(client, "anna@hotel.test", role=Role.CUSTOMER_CONTACT, customer=theirs.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert not Invitation.objects.exists()


def test_other_roles_ignore_the_customer_field(admin_a, tenant_a, client):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(admin_a)
    response = _invite(client, "tech@example.test", role=Role.TECHNICIAN, customer=customer.pk)
    assert response.status_code == 302
    assert Invitation.objects.get().binding == {}


def test_the_accepted_contact_is_bound_to_the_customer_and_listed_with_it(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(tenant=tenant_a, name="Hotel Wawel")
    existing = CustomerContactFactory(customer=customer, email="anna@hotel.test")
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            client, "anna@hotel.test", role=Role.CUSTOMER_CONTACT, customer=customer.pk
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.binding["customer"] == customer.pk
    members = client.get(reverse("accounts:members")).content.decode()
    assert "Hotel Wawel" in members  # the open invitation says for whom

    link = _link_from_last_mail()
    client.logout()
    assert _accept_new(client, _path(link)).status_code == 302
    user = User.objects.get(email="anna@hotel.test")
    assert Membership.objects.get(tenant=tenant_a, user=user).role == Role.CUSTOMER_CONTACT
    login = ContactLogin.objects.get(tenant=tenant_a, user=user)
    assert login.customer == customer and login.contact == existing
    # Their home is the portal's.
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert 'data-testid="home-customer-contact"' in home.content.decode()

    client.force_login(admin_a)
    members = client.get(reverse("accounts:members"))
    row = next(r for r in members.context["rows"] if r.user_id == user.pk)
    assert "Hotel Wawel" in members.content.decode()
    edit = client.get(reverse("accounts:member_edit", args=[row.pk]))
    assert "Hotel Wawel" in edit.content.decode()
    # The role stays bound: it cannot be changed into an office role here.
    response = client.post(
        reverse("accounts:member_edit", args=[row.pk]),
        {"role": Role.SERVICE_MANAGER, "is_active": "on"},
    )
    assert response.status_code == 200 and response.context["form"].errors["role"]
    assert Membership.objects.get(pk=row.pk).role == Role.CUSTOMER_CONTACT
    assert len(mail.outbox) == 1


def test_a_contact_without_a_contact_record_gets_one(
    admin_a, tenant_a, client, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "piotr@hotel.test", role=Role.CUSTOMER_CONTACT, customer=customer.pk)
    client.logout()
    _accept_new(client, _path(_link_from_last_mail()), first_name="Piotr")
    contact = CustomerContact.objects.get(customer=customer, email="piotr@hotel.test")
    assert contact.name.startswith("Piotr")
    assert ContactLogin.objects.get(tenant=tenant_a).contact == contact


def test_an_office_member_cannot_be_made_a_contact_on_the_member_page(
    admin_a, tenant_a, technician_a, client
):
    membership = Membership.objects.get(tenant=tenant_a, user=technician_a)
    client.force_login(admin_a)
    response = client.post(
        reverse("accounts:member_edit", args=[membership.pk]),
        {"role": Role.CUSTOMER_CONTACT, "is_active": "on"},
    )
    assert response.status_code == 200 and response.context["form"].errors["role"]
    membership.refresh_from_db()
    assert membership.role == Role.TECHNICIAN


def test_the_members_page_runs_a_constant_number_of_queries_with_contacts(
    admin_a, tenant_a, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ContactLoginFactory, InvitationFactory, MembershipFactory

    customer = CustomerFactory(tenant=tenant_a, name="Hotel Wawel")

    def add_contacts(count: int) -> None:
        for _ in range(count):
            login = ContactLoginFactory(customer=customer)
            MembershipFactory(tenant=tenant_a, user=login.user, role=Role.CUSTOMER_CONTACT)
            InvitationFactory(
                tenant=tenant_a,
                role=Role.CUSTOMER_CONTACT,
                binding={"customer": customer.pk, "label": str(customer)},
            )

    client.force_login(admin_a)
    add_contacts(2)
    client.get(reverse("accounts:members"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:members"))
    add_contacts(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("accounts:members")).content.decode()
    assert page.count("Hotel Wawel") >= 16  # each contact's row and each open invitation
