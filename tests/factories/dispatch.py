"""Factories for dispatch models."""

import datetime

import factory
from django.utils import timezone

from dispatch import models as dispatch
from tenancy.roles import Role

from .service_orders import ServiceOrderFactory
from .tenancy import MembershipFactory, TenantFactory, UserFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dispatch.Team

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TechnicianProfileFactory(factory.django.DjangoModelFactory):
    """A technician of the tenant (a login with the technician role) with a profile."""

    class Meta:
        model = dispatch.TechnicianProfile
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    skills = factory.LazyFunction(list)
    max_orders_per_day = 6

    @factory.post_generation
    def membership(self, create, extracted, **kwargs):
        if create and extracted is not False:
            from tenancy.models import Membership

            if not Membership.objects.filter(tenant=self.tenant, user=self.user).exists():
                MembershipFactory(tenant=self.tenant, user=self.user, role=Role.TECHNICIAN)


class AbsenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dispatch.Absence

    technician = factory.SubFactory(TechnicianProfileFactory)
    tenant = factory.LazyAttribute(lambda o: o.technician.tenant)
    kind = dispatch.AbsenceKind.HOLIDAY
    start_date = datetime.date(2026, 12, 21)
    end_date = datetime.date(2026, 12, 23)


def _next_hour() -> datetime.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dispatch.Appointment

    technician = factory.SubFactory(TechnicianProfileFactory)
    tenant = factory.LazyAttribute(lambda o: o.technician.tenant)
    order = factory.LazyAttribute(lambda o: ServiceOrderFactory(customer__tenant=o.tenant))
    start = factory.LazyFunction(_next_hour)
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=1))


class BoardVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dispatch.BoardVersion

    tenant = factory.SubFactory(TenantFactory)
    version = 1


class BoardChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dispatch.BoardChange

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    version = factory.Sequence(lambda n: n + 1)
    kind = dispatch.ChangeKind.ASSIGN
    appointment_id_value = 1
    touched_start = factory.LazyFunction(_next_hour)
    touched_end = factory.LazyAttribute(lambda o: o.touched_start + datetime.timedelta(hours=1))
