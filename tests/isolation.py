"""The isolation registry: for every URL that takes a record's id, how to make such a record.

``tests/tenancy/test_isolation.py`` requests each URL with tenant A's record as tenant B's user
(expecting 404 for reads and writes) and fails when a URL with an id has no entry here, so a new
detail page cannot ship without its isolation test. Each entry: url name -> function(tenant)
returning the URL kwargs for a fresh record of that tenant.
"""

from collections.abc import Callable

from tests.factories import MembershipFactory

ISOLATION_CASES: dict[str, Callable] = {
    "tenancy:member_edit": lambda tenant: {"pk": MembershipFactory(tenant=tenant).pk},
}
