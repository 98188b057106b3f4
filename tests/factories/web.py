"""Factories for web models."""

import factory

from web.models import ImportBatch, Notification, SubmissionToken

from .tenancy import TenantFactory, UserFactory


class SubmissionTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubmissionToken

    tenant = factory.SubFactory(TenantFactory)
    token = factory.Faker("uuid4", cast_to=None)


class ImportBatchFactory(factory.django.DjangoModelFactory):
    """An uploaded, checked customer file waiting for its "Import"."""

    class Meta:
        model = ImportBatch

    tenant = factory.SubFactory(TenantFactory)
    kind = "customers"
    file_name = "customers.csv"
    headers = factory.LazyFunction(lambda: ["number", "name"])
    records = factory.LazyFunction(lambda: [["LEG-1", "Imported customer"]])
    preview = factory.LazyFunction(
        lambda: [{"line": 2, "key": "LEG-1", "action": "create", "errors": []}]
    )


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread notification of one person."""

    class Meta:
        model = Notification

    tenant = factory.SubFactory(TenantFactory)
    recipient = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"test:{n}")
    title = factory.Sequence(lambda n: f"Order SO-{n} reached 75 % of its time")
    body = "Resolution due soon."
    url = "/orders/"
