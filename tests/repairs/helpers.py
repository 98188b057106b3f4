"""Shared arrangements for the repair tests: a tenant's code tables, an order with an object of
an item, BOM versions."""

import datetime
from decimal import Decimal

from repairs import services
from repairs.models import BomState
from service_orders.models import OrderState
from tests.factories import (
    CustomerFactory,
    DiagnosisAreaFactory,
    DiagnosisCodeFactory,
    ItemFactory,
    RepairStageFactory,
    ResolutionFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderObjectFactory,
    SymptomAreaFactory,
    SymptomCodeFactory,
)


class Codes:
    def __init__(self, tenant):
        self.electrical = SymptomAreaFactory(tenant=tenant, name="Electrical")
        self.hydraulic = SymptomAreaFactory(tenant=tenant, name="Hydraulic")
        self.no_power = SymptomCodeFactory(area=self.electrical, name="No power")
        self.leak = SymptomCodeFactory(area=self.hydraulic, name="Leak")
        self.board = DiagnosisAreaFactory(tenant=tenant, name="Control board")
        self.pump = DiagnosisAreaFactory(tenant=tenant, name="Pump")
        self.fuse = DiagnosisCodeFactory(area=self.board, name="Blown fuse")
        self.seal = DiagnosisCodeFactory(area=self.pump, name="Worn seal")
        self.replace_fuse = ResolutionFactory(tenant=tenant, name="Fuse replaced", position=1)
        self.replace_board = ResolutionFactory(tenant=tenant, name="Board replaced", position=2)
        self.reset = ResolutionFactory(tenant=tenant, name="Reset", position=3)
        self.diagnosis = RepairStageFactory(tenant=tenant, code="diagnosis", position=1)
        self.waiting = RepairStageFactory(tenant=tenant, code="waiting", position=2)
        self.done = RepairStageFactory(tenant=tenant, code="done", position=3, is_finished=True)


def order_with_object(tenant, *, item=None, technician=None, state=OrderState.IN_PROGRESS):
    customer = CustomerFactory(tenant=tenant)
    item = item or ItemFactory(tenant=tenant, name="Boiler X200")
    obj = ServiceObjectFactory(tenant=tenant, customer=customer, item=item, serial_number="")
    order = ServiceOrderFactory(
        tenant=tenant, customer=customer, state=state, assigned_technician=technician
    )
    ServiceOrderObjectFactory(tenant=tenant, order=order, service_object=obj)
    return order, obj


def bom(tenant, by, item, parts, *, valid_from=datetime.date(2026, 1, 1), state=BomState.ACTIVE):
    """A BOM version of ``item`` with ``parts`` [(item, quantity)], taken to ``state``."""
    version = services.bom_version_create(
        tenant=tenant, by=by, item=item, data={"valid_from": valid_from}
    )
    for part, quantity in parts:
        services.bom_line_add(
            tenant=tenant, by=by, version_id=version.pk, item=part, quantity=Decimal(quantity)
        )
    if state in (BomState.APPROVED, BomState.ACTIVE):
        version = services.bom_version_approve(tenant=tenant, by=by, version_id=version.pk)
    if state == BomState.ACTIVE:
        version = services.bom_version_activate(tenant=tenant, by=by, version_id=version.pk)
    return version
