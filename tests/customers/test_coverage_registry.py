"""The coverage-change registry (customers.coverage): a change reaches every registered listener
in its own transaction; a preview asks the listeners' previews about the change as made, and
keeps nothing of it."""

import pytest
from django.core.exceptions import ValidationError

from customers import coverage
from customers.coverage import (
    CoverageChange,
    CoverageEffect,
    CoverageListener,
    coverage_apply,
    coverage_preview,
    register_coverage_listener,
)
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder(monkeypatch):
    """A listener of its own (the registered ones set aside), recording what it is asked."""
    monkeypatch.setattr(coverage, "_listeners", {})
    calls = []

    def preview(*, tenant, change):
        active = Customer.objects.filter(pk__in=change.customer_ids, is_active=True).count()
        calls.append(("preview", change.cause, active))
        return CoverageEffect(key="test", cancelled=1, summary="one")

    def apply(*, tenant, by, change):
        calls.append(("apply", change.cause, None))
        return CoverageEffect(key="test", cancelled=1)

    register_coverage_listener(CoverageListener("test", preview, apply))
    return calls


def _deactivate(customer):
    Customer.objects.filter(pk=customer.pk).update(is_active=False)
    change = CoverageChange.of("customer_deactivated", customer_ids=[customer.pk])
    return coverage_apply(tenant=customer.tenant, by=None, change=change)


def test_apply_reaches_the_listeners(tenant_a, recorder):
    customer = CustomerFactory(tenant=tenant_a)
    (effect,) = _deactivate(customer)
    assert effect.cancelled == 1
    assert recorder == [("apply", "customer_deactivated", None)]


def test_a_preview_sees_the_change_and_keeps_nothing(tenant_a, recorder):
    customer = CustomerFactory(tenant=tenant_a)
    preview = coverage_preview(lambda: _deactivate(customer))
    # The listener's preview ran after the change was made (the customer inactive then) …
    assert recorder == [("preview", "customer_deactivated", 0)]
    assert preview.changes_anything and preview.effects[0].summary == "one"
    # … and the change is gone.
    assert Customer.objects.get(pk=customer.pk).is_active


def test_a_refused_change_reaches_the_caller(tenant_a, recorder):
    def refuse():
        raise ValidationError({"is_active": "no"})

    with pytest.raises(ValidationError):
        coverage_preview(refuse)
    assert recorder == []
    # And a later apply is an apply again, not a preview.
    _deactivate(CustomerFactory(tenant=tenant_a))
    assert recorder == [("apply", "customer_deactivated", None)]


def test_service_orders_registers_its_listener():
    assert "service_orders" in {listener.key for listener in coverage.coverage_listeners()}
