"""Isolation cases for the member pages (see tests/isolation.py)."""

from tests.factories import MembershipFactory

CASES = {
    "accounts:member_edit": lambda tenant: {"pk": MembershipFactory(tenant=tenant).pk},
}
