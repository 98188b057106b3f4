"""Factories for sla models."""

import datetime

import factory

from sla import models as sla

from .tenancy import TenantFactory


class ServiceLevelAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.ServiceLevelAgreement

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"SLA{n}")
    name = factory.Sequence(lambda n: f"Service level {n}")


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.BusinessCalendar

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Calendar {n}")
    is_default = True


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    tenant = factory.LazyAttribute(lambda o: o.calendar.tenant)
    date = datetime.date(2026, 12, 25)
    name = "Holiday"


# --- agreements: master data ---------------------------------------------------------------------
