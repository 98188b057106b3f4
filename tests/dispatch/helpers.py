"""Shared set-up of the dispatch tests."""

import datetime

from tests.factories import ServiceOrderFactory, TechnicianProfileFactory

# A Tuesday in the future, in a week without holidays.
DAY = datetime.date(2027, 3, 9)


def at(tenant, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tenant.zone)


def technician(tenant, **kwargs):
    return TechnicianProfileFactory(tenant=tenant, **kwargs)


def order(tenant, **kwargs):
    return ServiceOrderFactory(customer__tenant=tenant, **kwargs)


def fill_week(tenant, monday: datetime.date, technicians: int, appointments: int) -> list:
    """``appointments`` visits spread over ``technicians`` technicians from ``monday`` on, in
    bulk (each its own order): for query counts and benchmarks."""
    from dispatch.models import Appointment
    from service_orders.models import OrderState, ServiceOrder
    from tests.factories import CustomerFactory, ServiceOrderFactory, TechnicianProfileFactory

    profiles = [TechnicianProfileFactory(tenant=tenant) for _ in range(technicians)]
    customer = CustomerFactory(tenant=tenant)
    stage = ServiceOrderFactory(customer=customer).stage
    orders = ServiceOrder.objects.bulk_create(
        ServiceOrder(
            tenant=tenant,
            customer=customer,
            number=f"B{technicians}-{n:06d}",
            description=f"Visit {n}",
            state=OrderState.SCHEDULED,
            stage=stage,
        )
        for n in range(appointments)
    )
    visits = []
    for n, order in enumerate(orders):
        profile = profiles[n % technicians]
        slot = n // technicians  # the technician's n-th visit: 6 a day from 8:00, 5 days
        day = monday + datetime.timedelta(days=(slot // 6) % 5)
        week = slot // 30
        start = at(tenant, day + datetime.timedelta(days=7 * week), 8 + slot % 6)
        visits.append(
            Appointment(
                tenant=tenant,
                order=order,
                technician=profile,
                start=start,
                end=start + datetime.timedelta(minutes=50),
            )
        )
    Appointment.objects.bulk_create(visits)
    return profiles
