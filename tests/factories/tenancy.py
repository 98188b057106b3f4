"""Factories for tenancy models."""

import factory

from tenancy.models import AuditEvent, Membership, NumberSequence, Tenant, User
from tenancy.roles import Role


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    code = factory.LazyAttribute(lambda o: o.slug[:16])
    name = factory.LazyAttribute(lambda o: o.slug.title())
    time_zone = "Europe/Warsaw"
    currency = "PLN"
    default_language = "en"
    country = "PL"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.SERVICE_MANAGER


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    tenant = factory.SubFactory(TenantFactory)
    action = "settings.update"
    target_type = "tenancy.tenant"
    target_id = factory.LazyAttribute(lambda o: o.tenant.pk)
    summary = factory.Sequence(lambda n: f"Event {n}")


# --- sla -----------------------------------------------------------------------------------------


class NumberSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberSequence

    tenant = factory.SubFactory(TenantFactory)
    key = factory.Sequence(lambda n: f"sequence-{n}")
