"""Demo data for service orders: the orders the demo agreements generate over the coming weeks.

Runs the real generation for today .. today + the tenant's look-ahead, so running the seed again
creates nothing twice (every occurrence is generated exactly once).
"""

import datetime

from tenancy.context import tenant_scope
from tenancy.models import Tenant, User

from . import selectors
from .models import GenerationTrigger
from .services.generation import generation_run


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    today = tenant.today()
    with tenant_scope(tenant):
        horizon = selectors.order_generation_settings(tenant=tenant).horizon_days
    generation_run(
        tenant=tenant,
        period_start=today,
        period_end=today + datetime.timedelta(days=horizon),
        trigger=GenerationTrigger.COMMAND,
        by=people.get("manager"),
    )
