"""Factories for service_orders models."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone, translation

from service_orders import models as so
from service_orders.services.stages import default_tree, stage_tree_create

from .agreements import AgreementFactory, AgreementLineFactory, AgreementSuspensionFactory
from .customers import CustomerFactory, ServiceObjectFactory, ServiceTaskFactory
from .sla import BusinessCalendarFactory, ServiceLevelAgreementFactory
from .tenancy import TenantFactory, UserFactory


class ServiceOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrder

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"SO-{n:06d}")
    description = factory.Sequence(lambda n: f"Repair {n}")
    state = so.OrderState.NEW
    # The first stage of the tenant's tree (the default one, created on first use) mapped to the
    # order's state.
    stage = factory.LazyAttribute(lambda o: stage_for_state(o.tenant, o.state))


def stage_for_state(tenant, state) -> so.OrderStage | None:
    # Explicit tenant filters: the isolation tests switch the app's for_tenant() off.
    if not so.OrderStage.objects.filter(tenant=tenant).exists():
        with translation.override(tenant.default_language):
            stage_tree_create(tenant=tenant, stages=default_tree())
    return so.OrderStage.objects.filter(tenant=tenant, state=state).order_by("position").first()


class OrderStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.OrderStage

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"stage-{n}")
    name = factory.Sequence(lambda n: f"Stage {n}")
    state = so.OrderState.SCHEDULED


class ReasonCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ReasonCode

    stage = factory.SubFactory(OrderStageFactory)
    tenant = factory.LazyAttribute(lambda o: o.stage.tenant)
    code = factory.Sequence(lambda n: f"reason-{n}")
    name = factory.Sequence(lambda n: f"Reason {n}")


class StageLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.StageLog

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    to_state = so.OrderState.NEW


class DeletedOccurrenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.DeletedOccurrence

    agreement_line = factory.SubFactory(AgreementLineFactory)
    tenant = factory.LazyAttribute(lambda o: o.agreement_line.tenant)
    calculated_date = datetime.date(2026, 4, 1)
    order_number = factory.Sequence(lambda n: f"SO-D{n:05d}")


class ServiceOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrderLine

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    description = "Work"
    quantity = Decimal("1")
    unit_price = Decimal("50.00")


class CoverageCancellationFactory(factory.django.DjangoModelFactory):
    """A generated line an agreement change cancelled (its order, agreement and suspension all
    of one tenant)."""

    class Meta:
        model = so.CoverageCancellation

    suspension = factory.SubFactory(AgreementSuspensionFactory)
    agreement = factory.SelfAttribute("suspension.agreement")
    tenant = factory.LazyAttribute(lambda o: o.agreement.tenant)
    agreement_line = factory.SubFactory(
        AgreementLineFactory, agreement=factory.SelfAttribute("..agreement")
    )
    order = factory.SubFactory(
        ServiceOrderFactory,
        customer=factory.SelfAttribute("..agreement.customer"),
        agreement=factory.SelfAttribute("..agreement"),
    )
    line = factory.SubFactory(
        ServiceOrderLineFactory,
        order=factory.SelfAttribute("..order"),
        agreement_line=factory.SelfAttribute("..agreement_line"),
        calculated_date=datetime.date(2026, 4, 1),
    )
    calculated_date = datetime.date(2026, 4, 1)
    cause = so.CoverageCause.AGREEMENT_SUSPENDED


class GenerationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.GenerationRun

    tenant = factory.SubFactory(TenantFactory)
    trigger = so.GenerationTrigger.MANUAL
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 1, 31)


class GenerationErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.GenerationError

    run = factory.SubFactory(GenerationRunFactory)
    tenant = factory.LazyAttribute(lambda o: o.run.tenant)
    agreement = factory.LazyAttribute(
        lambda o: AgreementFactory(customer=CustomerFactory(tenant=o.tenant))
    )
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 1, 31)
    message = "Boom"


class OrderGenerationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.OrderGenerationSettings

    tenant = factory.SubFactory(TenantFactory)
    horizon_days = 30


class OrderPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.OrderPhoto

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    image = factory.LazyAttribute(lambda o: f"{o.tenant.pk}/orders/{o.order.pk}/photos/x.png")
    content_type = "image/png"
    size = 100
    width = 10
    height = 10


class OrderSignOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.OrderSignOff
        skip_postgeneration_save = True  # the hook below updates the order, not the sign-off

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    signer_name = "Zofia Nowak"
    signature_png = b"\x89PNG"
    signed_at = factory.LazyFunction(timezone.now)
    technician = factory.SubFactory(UserFactory)
    language = "en"
    receipt_pdf = b"%PDF-1.7"
    receipt_sha256 = "0" * 64

    @factory.post_generation
    def order_signed_off(obj, create, extracted, **kwargs):
        """The order says it is signed off, as the sign-off service makes it say."""
        if create:
            so.ServiceOrder.objects.filter(pk=obj.order_id).update(signed_off_at=obj.signed_at)
            obj.order.signed_off_at = obj.signed_at


class WebRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.WebRequest

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    number = factory.Sequence(lambda n: f"WR-{n:06d}")
    description = factory.Sequence(lambda n: f"Heating fails {n}")
    submitted_by = factory.SubFactory(UserFactory)


class WebRequestPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.WebRequestPhoto

    request = factory.SubFactory(WebRequestFactory)
    tenant = factory.LazyAttribute(lambda o: o.request.tenant)
    image = factory.LazyAttribute(lambda o: f"{o.tenant.pk}/requests/{o.request.pk}/photos/x.png")
    content_type = "image/png"
    size = 100
    width = 10
    height = 10


class GenerationNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.GenerationNotice

    run = factory.SubFactory(GenerationRunFactory)
    tenant = factory.LazyAttribute(lambda o: o.run.tenant)
    agreement_line = factory.LazyAttribute(
        lambda o: AgreementLineFactory(
            agreement=AgreementFactory(customer=CustomerFactory(tenant=o.tenant))
        )
    )
    agreement = factory.LazyAttribute(lambda o: o.agreement_line.agreement)
    order = factory.LazyAttribute(
        lambda o: ServiceOrderFactory(customer=o.agreement.customer, agreement=o.agreement)
    )
    kind = so.NoticeKind.NO_OPEN_DAY
    day = datetime.date(2026, 1, 3)


class ServiceOrderObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrderObject

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    service_object = factory.LazyAttribute(
        lambda o: ServiceObjectFactory(customer=o.order.customer)
    )


class ServiceOrderTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ServiceOrderTask

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    task = factory.LazyAttribute(lambda o: ServiceTaskFactory(tenant=o.tenant))
    internal_note = "Key at the reception"
    customer_note = "Flue gas measured"


class OrderClockFactory(factory.django.DjangoModelFactory):
    """An SLA clock as the clock service starts it: on track, a day to resolve."""

    class Meta:
        model = so.OrderClock

    order = factory.SubFactory(ServiceOrderFactory)
    tenant = factory.LazyAttribute(lambda o: o.order.tenant)
    sla = factory.LazyAttribute(lambda o: ServiceLevelAgreementFactory(tenant=o.tenant))
    calendar = factory.LazyAttribute(lambda o: BusinessCalendarFactory(tenant=o.tenant))
    sla_source = so.SlaSource.ORDER
    priority = "normal"
    resolution_target = datetime.timedelta(hours=8)
    warning_percent = 75
    created_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyAttribute(lambda o: o.created_at)
    used_as_of = factory.LazyAttribute(lambda o: o.created_at)
    resolution_due = factory.LazyAttribute(lambda o: o.created_at + datetime.timedelta(days=1))


class ClockEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.ClockEvent

    clock = factory.SubFactory(OrderClockFactory)
    tenant = factory.LazyAttribute(lambda o: o.clock.tenant)
    kind = so.ClockEventKind.STOP
    reason = "Waiting for the customer's parts"
    at = factory.LazyFunction(timezone.now)


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.Escalation

    clock = factory.SubFactory(OrderClockFactory)
    tenant = factory.LazyAttribute(lambda o: o.clock.tenant)
    order = factory.LazyAttribute(lambda o: o.clock.order)
    percent = 75
    reached_at = factory.LazyFunction(timezone.now)
    escalated_at = factory.LazyFunction(timezone.now)


class EscalationFailureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = so.EscalationFailure

    clock = factory.SubFactory(OrderClockFactory)
    tenant = factory.LazyAttribute(lambda o: o.clock.tenant)
    percent = 100
    failed_at = factory.LazyFunction(timezone.now)
    error = "SMTP server unreachable"
