"""Factories for repairs models."""

import datetime
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from repairs import models as rep

from .customers import ItemFactory, ServiceObjectFactory
from .service_orders import ServiceOrderFactory
from .tenancy import TenantFactory


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.Condition

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"Condition {n}")


class SymptomAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.SymptomArea

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"SA{n}")
    name = factory.Sequence(lambda n: f"Symptom area {n}")


class SymptomCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.SymptomCode

    area = factory.SubFactory(SymptomAreaFactory)
    tenant = factory.LazyAttribute(lambda o: o.area.tenant)
    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"Symptom {n}")


class DiagnosisAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.DiagnosisArea

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"DA{n}")
    name = factory.Sequence(lambda n: f"Diagnosis area {n}")


class DiagnosisCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.DiagnosisCode

    area = factory.SubFactory(DiagnosisAreaFactory)
    tenant = factory.LazyAttribute(lambda o: o.area.tenant)
    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Diagnosis {n}")


class ResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.Resolution

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.Sequence(lambda n: f"Resolution {n}")


class RepairStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.RepairStage

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"st{n}")
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)


class RepairLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.RepairLine

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    service_object = factory.LazyAttribute(
        lambda o: ServiceObjectFactory(tenant=o.tenant, customer=o.order.customer)
    )
    stage = factory.LazyAttribute(lambda o: RepairStageFactory(tenant=o.tenant))
    title = factory.Sequence(lambda n: f"Repair {n}")


class RepairPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.RepairPhoto

    line = factory.SubFactory(RepairLineFactory)
    tenant = factory.LazyAttribute(lambda o: o.line.tenant)
    content_type = "image/png"
    size = 3
    width = 1
    height = 1
    image = factory.LazyFunction(lambda: ContentFile(b"png", name="photo.png"))


class ResolutionStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.ResolutionStat

    tenant = factory.SubFactory(TenantFactory)
    item = factory.LazyAttribute(lambda o: ItemFactory(tenant=o.tenant))
    symptom_code = factory.LazyAttribute(
        lambda o: SymptomCodeFactory(area=SymptomAreaFactory(tenant=o.tenant))
    )
    resolution = factory.LazyAttribute(lambda o: ResolutionFactory(tenant=o.tenant))
    count = 1


class BomVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.BomVersion

    tenant = factory.SubFactory(TenantFactory)
    item = factory.LazyAttribute(lambda o: ItemFactory(tenant=o.tenant))
    number = factory.Sequence(lambda n: n + 1)
    valid_from = datetime.date(2026, 1, 1)


class BomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.BomLine

    version = factory.SubFactory(BomVersionFactory)
    tenant = factory.LazyAttribute(lambda o: o.version.tenant)
    kind = "item"
    item = factory.LazyAttribute(lambda o: ItemFactory(tenant=o.tenant))
    quantity = Decimal("1")


class ServiceBomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.ServiceBomLine

    service_object = factory.SubFactory(ServiceObjectFactory)
    tenant = factory.LazyAttribute(lambda o: o.service_object.tenant)
    kind = "item"
    item = factory.LazyAttribute(lambda o: ItemFactory(tenant=o.tenant))
    quantity = Decimal("1")
    installed_at = factory.LazyFunction(timezone.now)


class BomHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rep.BomHistory

    new_line = factory.SubFactory(ServiceBomLineFactory)
    tenant = factory.LazyAttribute(lambda o: o.new_line.tenant)
    service_object = factory.LazyAttribute(lambda o: o.new_line.service_object)
    action = rep.BomAction.ADD
    at = factory.LazyFunction(timezone.now)
