"""Isolation case for the customer group pages (see tests/isolation.py)."""

from tests.factories import CustomerGroupFactory

CASES = {
    "customers:customer_group_edit": lambda tenant: {"pk": CustomerGroupFactory(tenant=tenant).pk},
}
