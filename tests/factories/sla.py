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


class WorkingWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.WorkingWindow

    calendar = factory.SubFactory(BusinessCalendarFactory)
    tenant = factory.LazyAttribute(lambda o: o.calendar.tenant)
    weekday = 0
    start_time = datetime.time(8)
    end_time = datetime.time(16)


class CalendarExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.CalendarException

    calendar = factory.SubFactory(BusinessCalendarFactory)
    tenant = factory.LazyAttribute(lambda o: o.calendar.tenant)
    date = datetime.date(2026, 12, 31)
    name = "Stocktaking"


class SlaTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.SlaTarget

    sla = factory.SubFactory(ServiceLevelAgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.sla.tenant)
    priority = "normal"
    response_minutes = 120
    resolution_minutes = 480


class EscalationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.EscalationLevel

    sla = factory.SubFactory(ServiceLevelAgreementFactory)
    tenant = factory.LazyAttribute(lambda o: o.sla.tenant)
    percent = 100
    role = "dispatcher"


class SlaSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sla.SlaSettings

    tenant = factory.SubFactory(TenantFactory)


# --- agreements: master data ---------------------------------------------------------------------
