"""The isolation registry: for every URL that takes a record's id, how to make such a record.

``tests/tenancy/test_isolation.py`` requests each URL with tenant A's record as tenant B's admin
(expecting 404 for GET and POST) and fails when a URL with an id has no entry, so a new detail
page cannot ship without its isolation test. Each entry: url name -> function(tenant) returning
the URL kwargs for a fresh record of that tenant.

Each component keeps its own cases in ``tests/<app>/isolation_cases*.py`` modules (a dict named
CASES); they are merged here.
"""

import importlib
import pkgutil
from collections.abc import Callable

import tests

ISOLATION_CASES: dict[str, Callable] = {}
# URLs whose parameters are a secret link rather than a record of the visitor's tenant (the
# invitation link: it is opened by someone who is not a member yet). url name -> where the test
# that a wrong or stale link finds nothing lives. Modules add them as a dict named SECRET_LINKS.
SECRET_LINKS: dict[str, str] = {}
# URLs of records that belong to one person rather than to the tenant (a technician's assigned
# order): url name -> the role of that person. The crawl then makes the owner with this role
# instead of the tenant admin, and calls the case with ``user=`` the person requesting, so the
# record is theirs in every respect but the tenant. Modules add them as a dict named OWNER_ROLES.
OWNER_ROLES: dict[str, str] = {}


def case_kwargs(url_name: str, tenant, user) -> dict:
    """The URL kwargs of a fresh record of ``url_name``'s case in ``tenant`` (for ``user``
    where the case makes a personal record)."""
    case = ISOLATION_CASES[url_name]
    return case(tenant, user=user) if url_name in OWNER_ROLES else case(tenant)


for package in pkgutil.iter_modules(tests.__path__):
    if not package.ispkg:
        continue
    subpackage = importlib.import_module(f"tests.{package.name}")
    for module_info in pkgutil.iter_modules(subpackage.__path__):
        if module_info.name.startswith("isolation_cases"):
            module = importlib.import_module(f"tests.{package.name}.{module_info.name}")
            ISOLATION_CASES.update(module.CASES)
            SECRET_LINKS.update(getattr(module, "SECRET_LINKS", {}))
            OWNER_ROLES.update(getattr(module, "OWNER_ROLES", {}))
