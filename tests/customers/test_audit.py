"""What the activity log keeps when master data changes: the changed fields with their old and
new values, as the shared helpers of tenancy.services record them for every app (foreign keys as
ids, other values as JSON)."""

from decimal import Decimal

import pytest

from customers import services
from tenancy.models import AuditEvent
from tests.factories import AgreementGroupFactory, CustomerFactory, ItemFactory

pytestmark = pytest.mark.django_db


def test_a_customer_change_records_the_changed_fields_old_and_new(tenant_a, admin_a):
    group = AgreementGroupFactory(tenant=tenant_a)
    customer = CustomerFactory(tenant=tenant_a, number="C-000001", name="Old name")
    data = {"name": "New name", "is_active": False, "default_agreement_group": group}
    services.customer_update(tenant=tenant_a, by=admin_a, customer_id=customer.pk, data=data)
    event = AuditEvent.objects.get(tenant=tenant_a, action="customer.update")
    assert event.changes == {
        "name": ["Old name", "New name"],
        "is_active": [True, False],
        "default_agreement_group": [None, group.pk],
    }
    assert event.params == {
        "record": "C-000001 · New name",
        "fields": ["default_agreement_group", "is_active", "name"],
    }
    # Read in the default language: the kind of record and the fields' labels, not their names.
    assert event.summary == (
        "Customer C-000001 · New name changed: default agreement group, active, customer name"
    )
    assert (event.actor, event.target_id) == (admin_a, customer.pk)


def test_saving_without_a_change_records_nothing(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a, name="Same")
    services.customer_update(
        tenant=tenant_a, by=admin_a, customer_id=customer.pk, data={"name": "Same"}
    )
    assert not AuditEvent.objects.filter(tenant=tenant_a, action="customer.update").exists()


def test_a_price_typed_with_fewer_decimals_is_no_change(tenant_a, admin_a):
    item = ItemFactory(tenant=tenant_a, cost_price=Decimal("10.00"), sales_price=Decimal("15.00"))
    data = {"cost_price": Decimal("10"), "sales_price": Decimal("15.5")}
    services.item_update(tenant=tenant_a, by=admin_a, item_id=item.pk, data=data)
    event = AuditEvent.objects.get(tenant=tenant_a, action="item.update")
    assert event.changes == {"sales_price": ["15.00", "15.50"]}
