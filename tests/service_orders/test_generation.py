"""Generating service orders from agreements: the worked examples of the issue, exactly once,
failure isolation and tenant isolation (the service called directly, as the button, the daily job
and the command do)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from agreements.models import Agreement, AgreementLine, AgreementState, CombineRule
from service_orders import demo
from service_orders.models import (
    GenerationError,
    GenerationNotice,
    GenerationRun,
    GenerationTrigger,
    OrderState,
    Origin,
    ServiceOrder,
    ServiceOrderLine,
)
from service_orders.services.generation import generation_plan, generation_run
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementSuspensionFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    CustomerSiteFactory,
    HolidayFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceTaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

d = datetime.date
APRIL = (d(2026, 4, 1), d(2026, 4, 30))


def active_agreement(tenant, *, state=AgreementState.ACTIVE, **fields):
    """An agreement in ``state`` (the FSM field is protected: set by a queryset update)."""
    fields.setdefault("customer", CustomerFactory(tenant=tenant))
    agreement = AgreementFactory(**fields)
    Agreement.objects.filter(pk=agreement.pk).update(state=state)
    return Agreement.objects.get(pk=agreement.pk)


def generate(tenant, period, **kwargs):
    start, end = period
    return generation_run(
        tenant=tenant,
        period_start=start,
        period_end=end,
        trigger=GenerationTrigger.MANUAL,
        **kwargs,
    )


def order_dates(agreement) -> list[datetime.date]:
    return list(
        ServiceOrder.objects.filter(agreement=agreement)
        .order_by("calculated_date")
        .values_list("calculated_date", flat=True)
    )


def line_counts(agreement) -> list[int]:
    orders = ServiceOrder.objects.filter(agreement=agreement).order_by("calculated_date", "pk")
    return [order.lines.count() for order in orders]


# --- The worked examples -----------------------------------------------------------------


def test_every_10_days_over_a_month_gives_3_orders(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 1))
    AgreementLineFactory(agreement=agreement, interval_unit="day", interval_count=10)

    run = generate(tenant_a, APRIL)

    assert order_dates(agreement) == [d(2026, 4, 1), d(2026, 4, 11), d(2026, 4, 21)]
    assert (run.orders_created, run.lines_created, run.occurrences_skipped) == (3, 3, 0)
    run.refresh_from_db()
    assert run.finished_at is not None
    assert (run.orders_created, run.lines_created, run.agreements_failed) == (3, 3, 0)


def test_weekly_weekly_and_biweekly_lines_grouped_by_object_over_april(tenant_a):
    # The agreement starts on Monday 30 March 2026, so every line falls on Mondays:
    #   boiler: weekly    → 6, 13, 20, 27 April             (4 occurrences)
    #   boiler: biweekly  → 13, 27 April (30 March + 2 weeks) (2 occurrences)
    #   pump:   weekly    → 6, 13, 20, 27 April             (4 occurrences)
    # One order per object and date: boiler 4 orders (13 and 27 with 2 lines), pump 4 orders.
    # 8 orders with 10 lines.
    agreement = active_agreement(
        tenant_a, start_date=d(2026, 3, 30), combine_rule=CombineRule.PER_OBJECT
    )
    boiler = ServiceObjectFactory(customer=agreement.customer, name="Boiler")
    pump = ServiceObjectFactory(customer=agreement.customer, name="Pump")
    AgreementLineFactory(agreement=agreement, service_object=boiler, interval_unit="week")
    AgreementLineFactory(
        agreement=agreement, service_object=boiler, interval_unit="week", interval_count=2
    )
    AgreementLineFactory(agreement=agreement, service_object=pump, interval_unit="week")

    run = generate(tenant_a, APRIL)

    assert (run.orders_created, run.lines_created) == (8, 10)
    boiler_orders = ServiceOrder.objects.filter(lines__service_object=boiler).distinct()
    assert sorted((o.calculated_date.day, o.lines.count()) for o in boiler_orders) == [
        (6, 1),
        (13, 2),
        (20, 1),
        (27, 2),
    ]
    pump_orders = ServiceOrder.objects.filter(lines__service_object=pump).distinct()
    assert sorted(o.calculated_date.day for o in pump_orders) == [6, 13, 20, 27]
    assert not ServiceOrder.objects.filter(lines__service_object=boiler).filter(
        lines__service_object=pump
    )


def test_an_agreement_ending_31_december_generates_nothing_after_it(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 15), end_date=d(2026, 12, 31))
    AgreementLineFactory(agreement=agreement, interval_unit="month")

    run = generate(tenant_a, (d(2026, 11, 1), d(2027, 2, 28)))

    assert order_dates(agreement) == [d(2026, 11, 15), d(2026, 12, 15)]
    assert run.orders_created == 2


def test_line_dates_narrow_the_period_further(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 1))
    AgreementLineFactory(
        agreement=agreement,
        interval_unit="week",
        start_date=d(2026, 4, 8),  # a Wednesday: the line's own anchor
        end_date=d(2026, 4, 22),
    )

    generate(tenant_a, APRIL)

    assert order_dates(agreement) == [d(2026, 4, 8), d(2026, 4, 15), d(2026, 4, 22)]


@pytest.mark.parametrize(
    ("period", "local", "utc_hours"),
    [
        # Warsaw: CET (UTC+1) until the last Sunday of March, CEST (UTC+2) until October's.
        ((d(2026, 3, 23), d(2026, 3, 30)), ["2026-03-23 08:00", "2026-03-30 08:00"], [7, 6]),
        ((d(2026, 10, 19), d(2026, 10, 26)), ["2026-10-19 08:00", "2026-10-26 08:00"], [6, 7]),
    ],
)
def test_weekly_visits_stay_at_8_local_across_a_dst_change(tenant_a, period, local, utc_hours):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 5))  # a Monday
    AgreementLineFactory(agreement=agreement, interval_unit="week")

    generate(tenant_a, period)

    starts = [
        order.planned_start
        for order in ServiceOrder.objects.filter(agreement=agreement).order_by("calculated_date")
    ]
    assert [s.astimezone(tenant_a.zone).strftime("%Y-%m-%d %H:%M") for s in starts] == local
    assert [s.astimezone(datetime.UTC).hour for s in starts] == utc_hours


def test_a_line_due_on_the_31st_falls_on_each_months_last_day_when_shorter(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 31))
    AgreementLineFactory(agreement=agreement, interval_unit="month")

    generate(tenant_a, (d(2026, 1, 1), d(2026, 5, 31)))

    assert order_dates(agreement) == [
        d(2026, 1, 31),
        d(2026, 2, 28),
        d(2026, 3, 31),
        d(2026, 4, 30),
        d(2026, 5, 31),
    ]


def test_no_visits_in_an_excluded_month(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 15))
    AgreementLineFactory(agreement=agreement, interval_unit="month", excluded_months=[8])

    generate(tenant_a, (d(2026, 6, 1), d(2026, 10, 31)))

    assert order_dates(agreement) == [
        d(2026, 6, 15),
        d(2026, 7, 15),
        d(2026, 9, 15),
        d(2026, 10, 15),
    ]


def test_a_holiday_no_longer_drops_the_visit_it_flags_it(tenant_a):
    calendar = BusinessCalendarFactory(tenant=tenant_a)
    HolidayFactory(calendar=calendar, date=d(2026, 12, 25), name="Christmas")
    agreement = active_agreement(tenant_a, start_date=d(2026, 12, 18))  # a Friday
    not_on_holidays = AgreementLineFactory(
        agreement=agreement, interval_unit="week", exclude_holidays=True
    )
    any_day = AgreementLineFactory(agreement=agreement, interval_unit="week")

    run = generate(tenant_a, (d(2026, 12, 14), d(2027, 1, 3)))

    def dates(line):
        lines = ServiceOrderLine.objects.filter(agreement_line=line)
        return sorted(lines.values_list("calculated_date", flat=True))

    fridays = [d(2026, 12, 18), d(2026, 12, 25), d(2027, 1, 1)]
    assert dates(not_on_holidays) == dates(any_day) == fridays
    christmas = ServiceOrder.objects.get(agreement=agreement, calculated_date=d(2026, 12, 25))
    assert christmas.calendar_conflict is True
    assert christmas.lines.count() == 2
    assert ServiceOrder.objects.filter(agreement=agreement, calendar_conflict=False).count() == 2
    assert run.orders_flagged == 1
    notice = GenerationNotice.objects.get(run=run)
    assert (notice.kind, notice.order, notice.day) == ("closed", christmas, d(2026, 12, 25))


def test_a_closed_weekday_is_flagged_not_skipped(tenant_a):
    BusinessCalendarFactory(tenant=tenant_a, working_days=[0, 1, 2, 3, 4])
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 3))  # a Friday
    AgreementLineFactory(agreement=agreement, interval_unit="day", interval_count=1)

    generate(tenant_a, (d(2026, 4, 3), d(2026, 4, 6)))

    flags = dict(
        ServiceOrder.objects.filter(agreement=agreement).values_list(
            "calculated_date", "calendar_conflict"
        )
    )
    assert flags == {
        d(2026, 4, 3): False,  # Friday
        d(2026, 4, 4): True,  # Saturday
        d(2026, 4, 5): True,  # Sunday
        d(2026, 4, 6): False,  # Monday
    }


# --- What generates nothing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        AgreementState.DRAFT,
        AgreementState.SUSPENDED,
        AgreementState.EXPIRED,
        AgreementState.CANCELLED,
    ],
)
def test_only_active_agreements_generate(tenant_a, state):
    agreement = active_agreement(tenant_a, state=state, start_date=d(2026, 4, 1))
    AgreementLineFactory(agreement=agreement, interval_unit="week")

    run = generate(tenant_a, APRIL)

    assert order_dates(agreement) == []
    assert run.orders_created == 0


def test_templates_and_stopped_lines_generate_nothing(tenant_a):
    template = active_agreement(tenant_a, start_date=d(2026, 4, 1), is_template=True)
    AgreementLineFactory(agreement=template, interval_unit="week")
    AgreementLineFactory(agreement=template, interval_unit="")
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 1))
    AgreementLineFactory(agreement=agreement, interval_unit="week", is_stopped=True)
    AgreementLineFactory(agreement=agreement, interval_unit="", is_stopped=True)
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="Monthly check")

    run = generate(tenant_a, APRIL)

    assert order_dates(template) == []
    assert list(
        ServiceOrderLine.objects.filter(order__agreement=agreement).values_list(
            "description", "calculated_date"
        )
    ) == [("Monthly check", d(2026, 4, 1))]
    assert run.orders_created == 1


def test_a_suspended_period_generates_nothing_unless_back_filled(tenant_a):
    skipped = active_agreement(tenant_a, start_date=d(2026, 3, 30))  # Mondays
    AgreementLineFactory(agreement=skipped, interval_unit="week")
    AgreementSuspensionFactory(
        agreement=skipped, suspended_from=d(2026, 4, 8), resumed_on=d(2026, 4, 20)
    )
    back_filled = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=back_filled, interval_unit="week")
    AgreementSuspensionFactory(
        agreement=back_filled,
        suspended_from=d(2026, 4, 8),
        resumed_on=d(2026, 4, 20),
        backfill=True,
    )

    generate(tenant_a, APRIL)

    # 13 April fell inside the suspension; the day it was resumed (20th) is active again.
    assert order_dates(skipped) == [d(2026, 4, 6), d(2026, 4, 20), d(2026, 4, 27)]
    assert order_dates(back_filled) == [
        d(2026, 4, 6),
        d(2026, 4, 13),
        d(2026, 4, 20),
        d(2026, 4, 27),
    ]


def test_a_suspension_not_yet_resumed_runs_on(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    AgreementSuspensionFactory(agreement=agreement, suspended_from=d(2026, 4, 14))

    generate(tenant_a, APRIL)

    assert order_dates(agreement) == [d(2026, 4, 6), d(2026, 4, 13)]


# --- Combine rules and what an order carries ----------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected_line_counts"),
    [
        (CombineRule.PER_AGREEMENT, [3]),
        (CombineRule.PER_OBJECT, [1, 2]),  # boiler: service + filter; pump
        (CombineRule.PER_TASK, [1, 2]),  # service: boiler + pump; filter
        (CombineRule.PER_TECHNICIAN, [1, 1, 1]),  # Tomas, Tina, the agreement's Olga
    ],
)
def test_combine_rules(tenant_a, rule, expected_line_counts):
    tomas, tina, olga = UserFactory(), UserFactory(), UserFactory()
    agreement = active_agreement(
        tenant_a, start_date=d(2026, 4, 6), combine_rule=rule, preferred_technician=olga
    )
    boiler = ServiceObjectFactory(customer=agreement.customer)
    pump = ServiceObjectFactory(customer=agreement.customer)
    service, filter_change = (
        ServiceTaskFactory(tenant=tenant_a),
        ServiceTaskFactory(tenant=tenant_a),
    )
    for service_object, task, technician in [
        (boiler, service, tomas),
        (boiler, filter_change, tina),
        (pump, service, None),
    ]:
        AgreementLineFactory(
            agreement=agreement,
            service_object=service_object,
            task=task,
            technician=technician,
            interval_unit="month",
        )

    generate(tenant_a, (d(2026, 4, 6), d(2026, 4, 6)))

    assert sorted(line_counts(agreement)) == expected_line_counts
    assert ServiceOrderLine.objects.filter(order__agreement=agreement).count() == 3


def test_a_generated_order_carries_what_the_agreement_says(tenant_a):
    manager, tomas = UserFactory(), UserFactory()
    customer = CustomerFactory(tenant=tenant_a)
    main_site = CustomerSiteFactory(customer=customer, is_default=True)
    agreement = active_agreement(
        tenant_a,
        customer=customer,
        description="Heating maintenance",
        start_date=d(2026, 4, 6),
        responsible=manager,
    )
    task = ServiceTaskFactory(tenant=tenant_a, name="Annual inspection")
    filter_item = ItemFactory(
        tenant=tenant_a, sales_price=Decimal("42.00"), cost_price=Decimal("30.00")
    )
    AgreementLineFactory(
        agreement=agreement,
        task=task,
        technician=tomas,
        interval_unit="month",
        time_window="days_around",
        window_days_before=2,
        window_days_after=5,
        preferred_time=datetime.time(10, 30),
        quantity=Decimal("2.5"),
        unit_price=Decimal("80.00"),
    )
    AgreementLineFactory(
        agreement=agreement,
        kind="item",
        item=filter_item,
        description="Filter",
        interval_unit="month",
        time_window="same_week",
        unit_price=None,
    )

    generate(tenant_a, APRIL)

    order = ServiceOrder.objects.get(agreement=agreement)
    assert order.number == "SO-000001"
    assert order.origin == Origin.AGREEMENT
    assert order.customer == customer
    assert order.site == main_site
    assert order.description == "Heating maintenance · Annual inspection, Filter"
    assert order.priority == "normal"
    assert order.state == "new"
    assert order.preferred_date == order.calculated_date == d(2026, 4, 6)
    assert order.planned_start.astimezone(tenant_a.zone).strftime("%Y-%m-%d %H:%M") == (
        "2026-04-06 10:30"
    )
    # Days around: 4..11 April; same week (its open days, Monday to Friday): 6..10 April; the
    # order keeps both: 6..10.
    assert (order.window_start, order.window_end) == (d(2026, 4, 6), d(2026, 4, 10))
    assert order.responsible == manager
    assert order.preferred_technician == tomas
    lines = list(order.lines.order_by("pk"))
    assert [
        (ln.kind, ln.description, ln.quantity, ln.unit_price, ln.cost_price) for ln in lines
    ] == [
        ("hour", "Annual inspection", Decimal("2.500"), Decimal("80.00"), Decimal("0.00")),
        ("item", "Filter", Decimal("1.000"), Decimal("42.00"), Decimal("30.00")),
    ]
    assert lines[0].technician == tomas
    assert {ln.calculated_date for ln in lines} == {d(2026, 4, 6)}


@pytest.mark.parametrize(
    "text",
    [
        'Check the "main" valve, then {reset}',
        "C:\\boiler\\log; NULL, 50% off",
        "NULL",
        "  Ölkessel prüfen — façade, ação, проверка  ",
    ],
)
def test_descriptions_are_written_as_they_are(tenant_a, text):
    """Rows travel to PostgreSQL as array literals: quotes, backslashes, braces, commas, the
    word NULL, surrounding spaces and any script arrive unchanged."""
    agreement = active_agreement(tenant_a, description=text, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, description=text, interval_unit="month")

    generate(tenant_a, APRIL)

    order = ServiceOrder.objects.get(agreement=agreement)
    assert order.description == f"{text} · {text}"
    assert order.lines.get().description == text


def test_the_order_goes_to_the_site_of_its_object(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    CustomerSiteFactory(customer=customer, is_default=True)
    plant = CustomerSiteFactory(customer=customer, name="Plant 2")
    boiler = ServiceObjectFactory(customer=customer, site=plant)
    agreement = active_agreement(tenant_a, customer=customer, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, service_object=boiler, interval_unit="month")

    generate(tenant_a, APRIL)

    assert ServiceOrder.objects.get(agreement=agreement).site == plant


def test_numbers_continue_the_tenants_sequence(tenant_a):
    first = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=first, interval_unit="week")

    generate(tenant_a, APRIL)
    second = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=second, interval_unit="month")
    generate(tenant_a, APRIL)

    numbers = list(ServiceOrder.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [f"SO-{n:06d}" for n in range(1, 6)]


# --- Exactly once -------------------------------------------------------------------------------


def test_running_twice_creates_nothing_the_second_time(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    AgreementLineFactory(agreement=agreement, interval_unit="week", interval_count=2)
    first = generate(tenant_a, APRIL)
    snapshot = list(ServiceOrderLine.objects.order_by("pk").values_list("pk", "order__number"))

    second = generate(tenant_a, APRIL)

    assert (first.orders_created, first.lines_created) == (4, 6)
    assert (second.orders_created, second.lines_created, second.occurrences_skipped) == (0, 0, 6)
    assert list(ServiceOrderLine.objects.order_by("pk").values_list("pk", "order__number")) == (
        snapshot
    )


def test_an_overlapping_period_adds_only_the_new_dates(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    generate(tenant_a, (d(2026, 4, 1), d(2026, 4, 15)))

    run = generate(tenant_a, (d(2026, 4, 10), d(2026, 4, 30)))

    assert (run.orders_created, run.occurrences_skipped) == (2, 1)
    assert order_dates(agreement) == [d(2026, 4, 6), d(2026, 4, 13), d(2026, 4, 20), d(2026, 4, 27)]


def test_a_line_added_later_joins_the_existing_order_of_its_date(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="Inspection")
    generate(tenant_a, APRIL)
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="Cleaning")
    existing = ServiceOrder.objects.get(agreement=agreement)

    (planned,) = generation_plan(tenant=tenant_a, period_start=APRIL[0], period_end=APRIL[1])
    assert (planned.exists, planned.existing_order_id) == (False, existing.pk)
    assert [line.agreement_line.description for line in planned.missing_lines] == ["Cleaning"]
    run = generate(tenant_a, APRIL)

    assert (run.orders_created, run.lines_created, run.occurrences_skipped) == (0, 1, 1)
    order = ServiceOrder.objects.get(agreement=agreement)
    assert sorted(order.lines.values_list("description", flat=True)) == ["Cleaning", "Inspection"]


def test_a_run_skips_the_generated_combine_keys_and_creates_the_rest(tenant_a):
    # One object's visits were generated; a line for a second object comes later. The re-run
    # leaves the first object's occurrences out of its plan (counted as skipped) and creates
    # only the second object's orders.
    agreement = active_agreement(
        tenant_a, start_date=d(2026, 3, 30), combine_rule=CombineRule.PER_OBJECT
    )
    boiler = ServiceObjectFactory(customer=agreement.customer, name="Boiler")
    pump = ServiceObjectFactory(customer=agreement.customer, name="Pump")
    AgreementLineFactory(agreement=agreement, service_object=boiler, interval_unit="week")
    first = generate(tenant_a, APRIL)
    AgreementLineFactory(agreement=agreement, service_object=pump, interval_unit="week")

    run = generate(tenant_a, APRIL)

    assert (run.orders_created, run.lines_created) == (first.orders_created, first.lines_created)
    assert run.occurrences_skipped == first.lines_created
    assert run.agreements_processed == 1 and run.agreements_failed == 0
    for service_object in (boiler, pump):
        orders = ServiceOrder.objects.filter(lines__service_object=service_object)
        assert orders.count() == orders.distinct().count() == first.orders_created
    again = generate(tenant_a, APRIL)
    assert (again.orders_created, again.lines_created) == (0, 0)
    assert again.occurrences_skipped == 2 * first.lines_created


def test_a_line_added_later_leaves_a_cancelled_order_of_its_date_alone(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="Inspection")
    generate(tenant_a, APRIL)
    ServiceOrder.objects.filter(agreement=agreement).update(state=OrderState.CANCELLED)
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="Cleaning")

    run = generate(tenant_a, APRIL)

    # The visit of 6 April was cancelled by a person: nothing is added to it, nothing duplicated.
    assert (run.orders_created, run.lines_created, run.occurrences_skipped) == (0, 0, 2)
    order = ServiceOrder.objects.get(agreement=agreement)
    assert list(order.lines.values_list("description", flat=True)) == ["Inspection"]


def test_the_database_refuses_a_second_line_for_the_same_occurrence(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    line = AgreementLineFactory(agreement=agreement, interval_unit="month")
    generate(tenant_a, APRIL)
    order = ServiceOrder.objects.get(agreement=agreement)

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOrderLine.objects.create(
            tenant=tenant_a, order=order, agreement_line=line, calculated_date=d(2026, 4, 6)
        )


# --- The preview --------------------------------------------------------------------------------


def test_the_plan_shows_what_would_be_created_and_writes_nothing(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    generate(tenant_a, (d(2026, 4, 1), d(2026, 4, 10)))
    orders_before = ServiceOrder.objects.count()

    plan = generation_plan(tenant=tenant_a, period_start=APRIL[0], period_end=APRIL[1])

    assert [(p.calculated_date.day, p.exists) for p in plan] == [
        (6, True),
        (13, False),
        (20, False),
        (27, False),
    ]
    assert plan[1].customer == agreement.customer
    assert [line.agreement_line.agreement_id for line in plan[1].lines] == [agreement.pk]
    assert ServiceOrder.objects.count() == orders_before
    assert GenerationRun.objects.count() == 1


def test_a_period_ending_before_it_starts_is_refused(tenant_a):
    with pytest.raises(ValidationError) as refused:
        generate(tenant_a, (d(2026, 4, 30), d(2026, 4, 1)))

    assert "before the start" in refused.value.message_dict["period_end"][0]
    assert GenerationRun.objects.count() == 0


# --- Failure isolation --------------------------------------------------------------------------


def test_one_failing_agreement_is_recorded_and_the_others_are_generated(tenant_a):
    healthy = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=healthy, interval_unit="week")
    broken = active_agreement(tenant_a, start_date=d(2026, 3, 30), number="AG-BROKEN")
    broken_line = AgreementLineFactory(agreement=broken, interval_unit="week")
    # Data no form would accept, written by an import that bypassed validation.
    AgreementLine.objects.filter(pk=broken_line.pk).update(interval_unit="fortnight")
    also_healthy = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=also_healthy, interval_unit="month")

    run = generate(tenant_a, APRIL)

    assert len(order_dates(healthy)) == 4
    assert order_dates(also_healthy) == [d(2026, 4, 30)]
    assert order_dates(broken) == []
    assert (run.orders_created, run.agreements_failed) == (5, 1)
    error = GenerationError.objects.get(agreement=broken)
    assert error.message == "Unknown interval unit 'fortnight'."
    assert (error.run, error.period_start, error.period_end) == (run, *APRIL)
    assert error.resolved_at is None

    AgreementLine.objects.filter(pk=broken_line.pk).update(interval_unit="week")
    retry = generate(tenant_a, APRIL)

    assert len(order_dates(broken)) == 4
    assert (retry.orders_created, retry.agreements_failed) == (4, 0)
    error.refresh_from_db()
    assert error.resolved_at is not None


def test_an_agreement_whose_rows_the_database_refuses_does_not_block_its_chunk(tenant_a):
    healthy = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=healthy, interval_unit="week", description="Service")
    refused = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=refused, interval_unit="week", description="Forbidden")
    # A database rule this agreement's rows break (the test's transaction undoes it).
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE service_orders_serviceorderline ADD CONSTRAINT test_no_forbidden "
            "CHECK (description <> 'Forbidden')"
        )

    run = generate(tenant_a, APRIL)

    assert len(order_dates(healthy)) == 4
    assert order_dates(refused) == []
    assert (run.orders_created, run.lines_created, run.agreements_failed) == (4, 4, 1)
    assert "test_no_forbidden" in GenerationError.objects.get(agreement=refused).message
    # Its order numbers were given back with its savepoint: no gap in the healthy numbers.
    assert sorted(ServiceOrder.objects.values_list("number", flat=True)) == [
        f"SO-{n:06d}" for n in range(1, 5)
    ]


def test_an_error_stays_open_until_a_run_covers_its_period(tenant_a):
    broken = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    line = AgreementLineFactory(agreement=broken, interval_unit="week")
    AgreementLine.objects.filter(pk=line.pk).update(time_window="whenever")
    generate(tenant_a, APRIL)
    AgreementLine.objects.filter(pk=line.pk).update(time_window="exact")

    generate(tenant_a, (d(2026, 4, 1), d(2026, 4, 10)))
    error = GenerationError.objects.get(agreement=broken)
    assert error.message == "Unknown time window 'whenever'."
    assert error.resolved_at is None

    generate(tenant_a, (d(2026, 3, 1), d(2026, 5, 31)))
    error.refresh_from_db()
    assert error.resolved_at is not None


# --- Tenants ------------------------------------------------------------------------------------


def test_a_run_for_one_tenant_never_touches_another(tenant_a, tenant_b):
    mine = active_agreement(tenant_a, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=mine, interval_unit="week")
    theirs = active_agreement(tenant_b, start_date=d(2026, 3, 30))
    AgreementLineFactory(agreement=theirs, interval_unit="week")

    run = generate(tenant_a, APRIL, agreement_ids=[mine.pk, theirs.pk])

    assert run.orders_created == 4
    assert len(order_dates(mine)) == 4
    assert order_dates(theirs) == []
    assert set(ServiceOrder.objects.values_list("tenant_id", flat=True)) == {tenant_a.pk}
    assert (
        generation_plan(
            tenant=tenant_a, period_start=APRIL[0], period_end=APRIL[1], agreement_ids=[theirs.pk]
        )
        == []
    )


def test_only_the_chosen_agreements_are_generated(tenant_a):
    chosen = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=chosen, interval_unit="month")
    other = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=other, interval_unit="month")

    generate(tenant_a, APRIL, agreement_ids=[chosen.pk])

    assert order_dates(chosen) == [d(2026, 4, 6)]
    assert order_dates(other) == []


# --- Demo data ----------------------------------------------------------------------------------


def test_the_demo_seed_generates_the_coming_weeks_once(tenant_a):
    today = tenant_a.today()
    agreement = active_agreement(tenant_a, start_date=today)
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    manager = UserFactory()

    demo.seed(tenant=tenant_a, people={"manager": manager})
    demo.seed(tenant=tenant_a, people={"manager": manager})

    # Today .. today + 30 days: days 0, 7, 14, 21 and 28.
    assert order_dates(agreement) == [today + datetime.timedelta(days=n) for n in range(0, 29, 7)]
    assert set(ServiceOrder.objects.values_list("created_by", flat=True)) == {manager.pk}
