"""Factories for web models."""

import factory

from web.models import SubmissionToken

from .tenancy import TenantFactory


class SubmissionTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubmissionToken

    tenant = factory.SubFactory(TenantFactory)
    token = factory.Faker("uuid4", cast_to=None)
