"""Factories for accounts models."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Invitation
from tenancy.roles import Role

from .tenancy import TenantFactory


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.test")
    role = Role.TECHNICIAN
    secret_hash = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
