"""Demo data for service orders: the orders the demo agreements generate over the coming weeks.

Runs the real generation for today .. today + the tenant's look-ahead, so running the seed again
creates nothing twice (every occurrence is generated exactly once).
"""

import datetime

from django.utils import timezone

from tenancy.models import Tenant, User

from .models import GenerationTrigger
from .services.generation import generation_run


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    today = timezone.localdate(timezone=tenant.zone)
    generation_run(
        tenant=tenant,
        period_start=today,
        period_end=today + datetime.timedelta(days=tenant.order_generation_horizon_days),
        trigger=GenerationTrigger.COMMAND,
        by=people.get("manager"),
    )
