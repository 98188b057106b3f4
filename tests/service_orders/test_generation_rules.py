"""The generation rules of issue 14: consolidation by time windows on open days, the site in the
combine key, holidays flagged instead of dropped, one-time lines, renewal continuity, deactivated
customers and objects, "generated through", the agreement's currency, the run's filters, the
relations copied onto orders and the group's SLA."""

import datetime
from decimal import Decimal

import pytest

from agreements import services as agreement_services
from agreements.models import Agreement, AgreementState, CombineRule
from customers.models import LineKind
from service_orders.models import (
    GenerationError,
    GenerationNotice,
    GenerationTrigger,
    NoticeKind,
    OrderGenerationSettings,
    ServiceOrder,
    ServiceOrderLine,
    ServiceOrderObject,
    ServiceOrderTask,
)
from service_orders.services.generation import generation_plan, generation_run
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementTaskFactory,
    BusinessCalendarFactory,
    CustomerFactory,
    CustomerSiteFactory,
    HolidayFactory,
    ItemFactory,
    ServiceLevelAgreementFactory,
    ServiceObjectFactory,
    ServiceTaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

d = datetime.date
MON_TO_FRI = [0, 1, 2, 3, 4]


def active_agreement(tenant, **fields):
    fields.setdefault("customer", CustomerFactory(tenant=tenant))
    agreement = AgreementFactory(**fields)
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    return Agreement.objects.get(pk=agreement.pk)


def generate(tenant, start, end, **kwargs):
    return generation_run(
        tenant=tenant,
        period_start=start,
        period_end=end,
        trigger=GenerationTrigger.MANUAL,
        **kwargs,
    )


def visits(agreement) -> list[tuple[datetime.date, list[tuple[str, datetime.date]], bool]]:
    """Each order of the agreement: its day, its lines (description, calculated date) and its
    closed-day flag."""
    result = []
    for order in ServiceOrder.objects.filter(agreement=agreement).order_by("calculated_date"):
        lines = sorted(order.lines.values_list("description", "calculated_date"))
        result.append((order.calculated_date, lines, order.calendar_conflict))
    return result


# --- Consolidation by time windows --------------------------------------------------------------

# Each case: the lines (description, unit, count, start, window, days before, days after), the
# holidays, the period, and the visits expected: (day, [(line, calculated date)], flagged).
CONSOLIDATION_CASES = {
    # A weekly, a monthly and a quarterly task on one boiler: the monthly (due 15 April) and the
    # quarterly (due 20 April), both "any open day of the month", go with the weekly visit of
    # Monday 6 April: one trip, then the weekly visits alone.
    "weekly, monthly and quarterly share one trip": (
        [
            ("weekly", "week", 1, d(2026, 4, 6), "exact", 0, 0),
            ("monthly", "month", 1, d(2026, 4, 15), "same_month", 0, 0),
            ("quarterly", "quarter", 1, d(2026, 4, 20), "same_month", 0, 0),
        ],
        [],
        (d(2026, 4, 1), d(2026, 4, 30)),
        [
            (
                d(2026, 4, 6),
                [
                    ("monthly", d(2026, 4, 15)),
                    ("quarterly", d(2026, 4, 20)),
                    ("weekly", d(2026, 4, 6)),
                ],
                False,
            ),
            (d(2026, 4, 13), [("weekly", d(2026, 4, 13))], False),
            (d(2026, 4, 20), [("weekly", d(2026, 4, 20))], False),
            (d(2026, 4, 27), [("weekly", d(2026, 4, 27))], False),
        ],
    ),
    # Windows that cross a month end: 3 days around Friday 29 May (26 May–1 June) and 3 days
    # around Monday 1 June (29 May–4 June) share 29 May, their earliest common open day.
    "windows crossing a month end": (
        [
            ("filter", "month", 1, d(2026, 5, 29), "days_around", 3, 3),
            ("check", "month", 1, d(2026, 6, 1), "days_around", 3, 3),
        ],
        [],
        (d(2026, 5, 1), d(2026, 6, 15)),
        [(d(2026, 5, 29), [("check", d(2026, 6, 1)), ("filter", d(2026, 5, 29))], False)],
    ),
    # "Same week" counts open days only: the week of 4 May has Monday–Wednesday as holidays,
    # so a visit due Monday goes to Thursday, not onto a holiday.
    "same week skips closed days": (
        [("service", "month", 1, d(2026, 5, 4), "same_week", 0, 0)],
        [d(2026, 5, 4), d(2026, 5, 5), d(2026, 5, 6)],
        (d(2026, 5, 1), d(2026, 5, 31)),
        [(d(2026, 5, 7), [("service", d(2026, 5, 4))], False)],
    ),
    # A window of closed days only (Saturday 2 May ± 1 day: Friday 1 May is a holiday, Sunday is
    # closed): the order is created on the calculated date and flagged.
    "a window of closed days only": (
        [("service", "month", 1, d(2026, 5, 2), "days_around", 1, 1)],
        [d(2026, 5, 1)],
        (d(2026, 5, 1), d(2026, 5, 31)),
        [(d(2026, 5, 2), [("service", d(2026, 5, 2))], True)],
    ),
    # Windows that do not overlap are separate trips.
    "windows that do not overlap": (
        [
            ("early", "month", 1, d(2026, 4, 6), "exact", 0, 0),
            ("late", "month", 1, d(2026, 4, 9), "days_around", 1, 1),
        ],
        [],
        (d(2026, 4, 1), d(2026, 4, 30)),
        [
            (d(2026, 4, 6), [("early", d(2026, 4, 6))], False),
            (d(2026, 4, 8), [("late", d(2026, 4, 9))], False),
        ],
    ),
}


@pytest.mark.parametrize(
    ("lines", "holidays", "period", "expected"),
    list(CONSOLIDATION_CASES.values()),
    ids=list(CONSOLIDATION_CASES),
)
def test_consolidation(tenant_a, lines, holidays, period, expected):
    calendar = BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    for day in holidays:
        HolidayFactory(calendar=calendar, date=day)
    agreement = active_agreement(
        tenant_a, start_date=d(2026, 1, 1), combine_rule=CombineRule.PER_OBJECT
    )
    boiler = ServiceObjectFactory(customer=agreement.customer)
    for description, unit, count, start, window, before, after in lines:
        AgreementLineFactory(
            agreement=agreement,
            service_object=boiler,
            description=description,
            interval_unit=unit,
            interval_count=count,
            start_date=start,
            time_window=window,
            window_days_before=before,
            window_days_after=after,
        )

    run = generate(tenant_a, *period)

    assert visits(agreement) == expected
    assert run.orders_created == len(expected)
    assert run.orders_flagged == sum(1 for *_rest, flagged in expected if flagged)
    # Each order's window is inside every one of its lines' windows and holds its day.
    for order in ServiceOrder.objects.filter(agreement=agreement):
        assert order.window_start <= order.calculated_date <= order.window_end
        assert order.preferred_date == order.calculated_date


def test_consolidation_is_exactly_once_across_runs_and_overlapping_periods(tenant_a):
    BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, interval_unit="week", description="weekly")
    AgreementLineFactory(
        agreement=agreement,
        interval_unit="month",
        start_date=d(2026, 4, 22),
        time_window="same_month",
        description="monthly",
    )

    generate(tenant_a, d(2026, 4, 1), d(2026, 4, 15))
    generate(tenant_a, d(2026, 4, 10), d(2026, 4, 30))
    again = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    assert (again.orders_created, again.lines_created) == (0, 0)
    # The second run plans from 10 April: the monthly visit (due 22 April, any open day of
    # April) goes with the first weekly visit of that period, 13 April, planned by the first
    # run: its line joins that order.
    assert visits(agreement) == [
        (d(2026, 4, 6), [("weekly", d(2026, 4, 6))], False),
        (d(2026, 4, 13), [("monthly", d(2026, 4, 22)), ("weekly", d(2026, 4, 13))], False),
        (d(2026, 4, 20), [("weekly", d(2026, 4, 20))], False),
        (d(2026, 4, 27), [("weekly", d(2026, 4, 27))], False),
    ]
    assert ServiceOrderLine.objects.filter(order__agreement=agreement).count() == 5


def test_two_occurrences_of_one_line_never_share_a_visit(tenant_a):
    BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(
        agreement=agreement, interval_unit="day", time_window="same_week", description="daily"
    )

    generate(tenant_a, d(2026, 4, 6), d(2026, 4, 10))

    assert [len(lines) for _day, lines, _flag in visits(agreement)] == [1, 1, 1, 1, 1]


def test_the_preview_shows_the_consolidated_visits(tenant_a):
    BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, interval_unit="month", description="monthly")
    AgreementLineFactory(
        agreement=agreement,
        interval_unit="quarter",
        start_date=d(2026, 4, 9),
        time_window="same_week",
        description="quarterly",
    )

    (planned,) = generation_plan(
        tenant=tenant_a, period_start=d(2026, 4, 1), period_end=d(2026, 4, 30)
    )

    assert planned.calculated_date == d(2026, 4, 6)
    assert sorted((p.agreement_line.description, p.calculated_date) for p in planned.lines) == [
        ("monthly", d(2026, 4, 6)),
        ("quarterly", d(2026, 4, 9)),
    ]
    assert not ServiceOrder.objects.exists()


# --- The site belongs to the combine key --------------------------------------------------------


@pytest.mark.parametrize("rule", [CombineRule.PER_AGREEMENT, CombineRule.PER_TASK])
def test_objects_at_different_sites_never_share_an_order(tenant_a, rule):
    customer = CustomerFactory(tenant=tenant_a)
    head_office = CustomerSiteFactory(customer=customer, is_default=True)
    plant = CustomerSiteFactory(customer=customer, name="Plant 2")
    task = ServiceTaskFactory(tenant=tenant_a)
    agreement = active_agreement(
        tenant_a, customer=customer, start_date=d(2026, 4, 6), combine_rule=rule
    )
    at_office = ServiceObjectFactory(customer=customer, site=head_office)
    at_plant = ServiceObjectFactory(customer=customer, site=plant)
    also_at_plant = ServiceObjectFactory(customer=customer, site=plant)
    for service_object in (at_office, at_plant, also_at_plant):
        AgreementLineFactory(agreement=agreement, service_object=service_object, task=task)
    AgreementLineFactory(agreement=agreement, task=task, description="no object")

    generate(tenant_a, d(2026, 4, 6), d(2026, 4, 6))

    orders = {
        order.site: set(order.lines.values_list("service_object", flat=True))
        for order in ServiceOrder.objects.filter(agreement=agreement)
    }
    assert orders == {head_office: {at_office.pk, None}, plant: {at_plant.pk, also_at_plant.pk}}


# --- Holidays ------------------------------------------------------------------------------------


def test_a_not_on_holidays_visit_moves_to_an_open_day_of_its_window_and_is_flagged(
    tenant_a, manager_a, client
):
    calendar = BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    HolidayFactory(calendar=calendar, date=d(2026, 11, 11))  # a Wednesday
    agreement = active_agreement(tenant_a, start_date=d(2026, 11, 11))
    AgreementLineFactory(
        agreement=agreement,
        interval_unit="month",
        exclude_holidays=True,
        time_window="days_around",
        window_days_after=2,
        description="service",
    )

    run = generate(tenant_a, d(2026, 11, 1), d(2026, 11, 30))

    assert visits(agreement) == [(d(2026, 11, 12), [("service", d(2026, 11, 11))], True)]
    notice = GenerationNotice.objects.get(run=run)
    assert (notice.kind, notice.day) == (NoticeKind.HOLIDAY, d(2026, 11, 12))
    client.force_login(manager_a)
    order = ServiceOrder.objects.get(agreement=agreement)
    page = client.get(order.get_absolute_url()).content.decode()
    warning = page.split('data-testid="conflict-warning">')[1].split("</div>")[0]
    assert "moved to an open day" in warning


def test_a_line_that_can_never_fall_due_is_refused_and_shown(tenant_a, manager_a, client):
    agreement = active_agreement(tenant_a, start_date=d(2026, 8, 1))
    data = {
        "kind": LineKind.HOUR,
        "interval_unit": "year",
        "interval_count": 1,
        "excluded_months": [8],
        "quantity": Decimal("1"),
        "time_window": "exact",
    }
    with pytest.raises(agreement_services.ValidationError) as refused:
        agreement_services.agreement_line_create(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk, data=data
        )
    assert "never generate" in " ".join(refused.value.message_dict["excluded_months"])

    # One saved before the rule existed (or by an import) is shown on the agreement's page.
    line = AgreementLineFactory(agreement=agreement, interval_unit="year", excluded_months=[8])
    client.force_login(manager_a)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert 'data-testid="never-due"' in page
    assert f"Line {line.position} falls due only in months it excludes" in page
    assert generate(tenant_a, d(2026, 8, 1), d(2027, 7, 31)).orders_created == 0


# --- One-time lines ------------------------------------------------------------------------------


def test_a_one_time_line_generates_once_on_its_start_date(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 1))
    AgreementLineFactory(
        agreement=agreement, interval_unit="", start_date=d(2026, 4, 14), description="install"
    )
    AgreementLineFactory(agreement=agreement, interval_unit="", description="survey")

    first = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))
    second = generate(tenant_a, d(2026, 3, 1), d(2026, 6, 30))

    assert visits(agreement) == [
        (d(2026, 4, 1), [("survey", d(2026, 4, 1))], False),
        (d(2026, 4, 14), [("install", d(2026, 4, 14))], False),
    ]
    assert (first.lines_created, second.lines_created, second.occurrences_skipped) == (2, 0, 2)


# --- Renewal continues each series ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "count", "step"),
    [("week", 1, 7), ("day", 10, 10)],
    ids=["weekly", "every 10 days"],
)
def test_a_renewal_continues_each_series_without_gap_or_double_visit(
    tenant_a, manager_a, unit, count, step
):
    # A year from Thursday 1 January 2026; the line starts on Tuesday 6 January.
    old = active_agreement(tenant_a, start_date=d(2026, 1, 1), end_date=d(2026, 12, 31))
    AgreementLineFactory(
        agreement=old, interval_unit=unit, interval_count=count, start_date=d(2026, 1, 6)
    )
    renewal, _left_out = agreement_services.agreement_renew(
        tenant=tenant_a, by=manager_a, agreement_id=old.pk
    )
    Agreement.objects.filter(pk=renewal.pk).update(state=AgreementState.ACTIVE)

    generate(tenant_a, d(2026, 11, 1), d(2027, 2, 28))

    days = sorted(
        ServiceOrderLine.objects.filter(order__agreement__in=[old, renewal]).values_list(
            "calculated_date", flat=True
        )
    )
    assert days[0] < d(2027, 1, 1) <= days[-1]
    # One series: the same rhythm through the boundary (no gap, no double visit).
    assert {(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)} == {
        step
    }
    assert all((day - d(2026, 1, 6)).days % step == 0 for day in days)


def test_changing_a_renewed_lines_schedule_starts_its_series_afresh(tenant_a, manager_a):
    old = active_agreement(tenant_a, start_date=d(2026, 1, 1), end_date=d(2026, 12, 31))
    AgreementLineFactory(agreement=old, interval_unit="week", start_date=d(2026, 1, 6))
    renewal, _ = agreement_services.agreement_renew(
        tenant=tenant_a, by=manager_a, agreement_id=old.pk
    )
    line = renewal.lines.get()
    assert (line.series_anchor, line.start_date) == (d(2026, 1, 6), d(2027, 1, 1))

    agreement_services.agreement_line_update(
        tenant=tenant_a, by=manager_a, line_id=line.pk, data={"start_date": d(2027, 1, 8)}
    )

    line.refresh_from_db()
    assert (line.series_anchor, line.anchor()) == (None, d(2027, 1, 8))


# --- What generates nothing ----------------------------------------------------------------------


def test_deactivated_customers_and_objects_generate_nothing_and_the_run_says_so(tenant_a):
    retired = CustomerFactory(tenant=tenant_a, is_active=False)
    gone = active_agreement(tenant_a, customer=retired, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=gone)
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    scrapped = ServiceObjectFactory(customer=agreement.customer, is_active=False)
    working = ServiceObjectFactory(customer=agreement.customer)
    scrapped_line = AgreementLineFactory(agreement=agreement, service_object=scrapped)
    AgreementLineFactory(agreement=agreement, service_object=working)

    run = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    assert not ServiceOrder.objects.filter(agreement=gone).exists()
    assert list(
        ServiceOrderLine.objects.filter(order__agreement=agreement).values_list(
            "service_object", flat=True
        )
    ) == [working.pk]
    notices = set(
        GenerationNotice.objects.filter(run=run).values_list("kind", "agreement", "agreement_line")
    )
    assert notices == {
        (NoticeKind.CUSTOMER_INACTIVE, gone.pk, None),
        (NoticeKind.OBJECT_INACTIVE, agreement.pk, scrapped_line.pk),
    }


def test_nothing_is_generated_on_or_before_a_lines_generated_through_date(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 1, 5))
    AgreementLineFactory(
        agreement=agreement, interval_unit="week", generated_through=d(2026, 4, 13)
    )

    generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    assert [day for day, _lines, _flag in visits(agreement)] == [d(2026, 4, 20), d(2026, 4, 27)]


# --- Prices and the agreement's currency ---------------------------------------------------------


def test_an_items_price_applies_only_in_the_price_lists_currency(tenant_a, manager_a):
    assert tenant_a.currency == "PLN"
    item = ItemFactory(tenant=tenant_a, sales_price=Decimal("42.00"), cost_price=Decimal("30.00"))
    in_zloty = active_agreement(tenant_a, start_date=d(2026, 4, 6), currency="PLN")
    AgreementLineFactory(agreement=in_zloty, kind="item", item=item, unit_price=None)
    in_euro = active_agreement(tenant_a, start_date=d(2026, 4, 6), currency="EUR")
    priced = AgreementLineFactory(
        agreement=in_euro, kind="item", item=item, unit_price=Decimal("9.50"), description="own"
    )
    unpriced = AgreementLineFactory(
        agreement=in_euro, kind="item", item=item, unit_price=None, position=99
    )

    run = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    zloty_line = ServiceOrderLine.objects.get(order__agreement=in_zloty)
    assert zloty_line.unit_price == item.sales_price
    euro_lines = ServiceOrderLine.objects.filter(order__agreement=in_euro)
    assert [(ln.agreement_line_id, ln.unit_price) for ln in euro_lines] == [
        (priced.pk, Decimal("9.50"))
    ]
    error = GenerationError.objects.get(run=run)
    assert error.agreement == in_euro
    assert "Line 99" in error.message and "EUR" in error.message
    assert run.agreements_failed == 1

    # The line form refuses the same line with the reason beside the price.
    with pytest.raises(agreement_services.ValidationError) as refused:
        agreement_services.agreement_line_update(
            tenant=tenant_a, by=manager_a, line_id=unpriced.pk, data={"unit_price": None}
        )
    assert "EUR" in " ".join(refused.value.message_dict["unit_price"])

    # Given its own price, the next run generates it and resolves the error.
    agreement_services.agreement_line_update(
        tenant=tenant_a, by=manager_a, line_id=unpriced.pk, data={"unit_price": Decimal("11")}
    )
    rerun = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))
    assert rerun.lines_created == 1
    error.refresh_from_db()
    assert error.resolved_at is not None


# --- Limiting a run ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["customer_id", "agreement_group_id", "responsible_id"])
def test_a_run_limited_to_a_customer_group_or_responsible_person(tenant_a, limit):
    gold, manager = AgreementGroupFactory(tenant=tenant_a), UserFactory()
    chosen = active_agreement(tenant_a, start_date=d(2026, 4, 6), group=gold, responsible=manager)
    other = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    for agreement in (chosen, other):
        AgreementLineFactory(agreement=agreement)
    value = {
        "customer_id": chosen.customer_id,
        "agreement_group_id": gold.pk,
        "responsible_id": manager.pk,
    }[limit]

    run = generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30), filters={limit: value})

    assert ServiceOrder.objects.filter(agreement=chosen).count() == 1
    assert not ServiceOrder.objects.filter(agreement=other).exists()
    assert getattr(run, limit) == value


def test_a_run_limited_to_one_line_kind(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    AgreementLineFactory(agreement=agreement, kind="hour")
    AgreementLineFactory(agreement=agreement, kind="fee")

    generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30), filters={"line_kind": "fee"})

    assert list(ServiceOrderLine.objects.values_list("kind", flat=True)) == ["fee"]


# --- Relations and the SLA -----------------------------------------------------------------------


def test_object_and_task_relations_with_their_notes_go_onto_the_order(tenant_a):
    agreement = active_agreement(tenant_a, start_date=d(2026, 4, 6))
    boiler = ServiceObjectFactory(customer=agreement.customer)
    unused = ServiceObjectFactory(customer=agreement.customer)
    task = ServiceTaskFactory(tenant=tenant_a)
    AgreementObjectFactory(agreement=agreement, service_object=boiler)
    AgreementObjectFactory(agreement=agreement, service_object=unused)
    AgreementTaskFactory(
        agreement=agreement,
        task=task,
        internal_note="Key at the porter's lodge",
        customer_note="We also checked the flue.",
    )
    AgreementLineFactory(agreement=agreement, service_object=boiler, task=task)

    generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    order = ServiceOrder.objects.get(agreement=agreement)
    assert list(
        ServiceOrderObject.objects.filter(order=order).values_list("service_object", flat=True)
    ) == [boiler.pk]
    assert list(
        ServiceOrderTask.objects.filter(order=order).values_list(
            "task", "internal_note", "customer_note"
        )
    ) == [(task.pk, "Key at the porter's lodge", "We also checked the flue.")]


@pytest.mark.parametrize("group_sla_on", [False, True])
def test_the_groups_sla_reaches_generated_orders_only_when_the_tenant_says_so(
    tenant_a, group_sla_on
):
    OrderGenerationSettings.objects.create(tenant=tenant_a, group_sla_on_generated=group_sla_on)
    group_sla, own_sla = (
        ServiceLevelAgreementFactory(tenant=tenant_a),
        ServiceLevelAgreementFactory(tenant=tenant_a),
    )
    gold = AgreementGroupFactory(tenant=tenant_a, default_sla=group_sla)
    without_own = active_agreement(tenant_a, start_date=d(2026, 4, 6), group=gold)
    with_own = active_agreement(tenant_a, start_date=d(2026, 4, 6), group=gold, sla=own_sla)
    for agreement in (without_own, with_own):
        AgreementLineFactory(agreement=agreement)

    generate(tenant_a, d(2026, 4, 1), d(2026, 4, 30))

    assert ServiceOrder.objects.get(agreement=with_own).sla == own_sla
    expected = group_sla if group_sla_on else None
    assert ServiceOrder.objects.get(agreement=without_own).sla == expected


def test_a_window_never_reaches_outside_the_agreement(tenant_a):
    BusinessCalendarFactory(tenant=tenant_a, working_days=MON_TO_FRI)
    agreement = active_agreement(
        tenant_a, start_date=d(2026, 4, 15), end_date=d(2026, 5, 27)
    )  # Wednesday to Wednesday
    AgreementLineFactory(agreement=agreement, time_window="same_month", description="monthly")

    generate(tenant_a, d(2026, 4, 1), d(2026, 5, 31))

    # "Any open day of April" starts on 15 April here, not on 1 April; May's window ends on
    # 27 May with the agreement.
    assert visits(agreement) == [
        (d(2026, 4, 15), [("monthly", d(2026, 4, 15))], False),
        (d(2026, 5, 1), [("monthly", d(2026, 5, 15))], False),
    ]
    for order in ServiceOrder.objects.filter(agreement=agreement):
        assert agreement.start_date <= order.window_start <= order.window_end <= agreement.end_date
