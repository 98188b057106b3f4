"""The service order list and detail pages, order cancel and the partials for agreement and
customer pages."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from service_orders import selectors
from service_orders.models import (
    OrderState,
    Origin,
    Priority,
    ServiceOrder,
    StageLog,
    StageLogKind,
)
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ReasonCodeFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    ServiceOrderTaskFactory,
    ServiceTaskFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("service_orders:order_list")


def _state(order) -> str:
    # The FSM field is protected: refresh_from_db() may not overwrite it, so read it afresh.
    return ServiceOrder.objects.values_list("state", flat=True).get(pk=order.pk)


def _numbers(response) -> list[str]:
    return [order.number for order in response.context["rows"]]


@pytest.fixture
def customer(tenant_a):
    return CustomerFactory(tenant=tenant_a, name="Kowalski Heating")


@pytest.fixture
def orders(tenant_a, customer):
    """Four orders that differ in every filtered field."""
    other_customer = CustomerFactory(tenant=tenant_a, name="Nowak Bakery")
    agreement = AgreementFactory(customer=customer)
    return {
        "boiler": ServiceOrderFactory(
            customer=customer,
            agreement=agreement,
            number="SO-0001",
            description="Boiler inspection",
            origin=Origin.AGREEMENT,
            priority=Priority.LOW,
            preferred_date=datetime.date(2026, 3, 2),
            calendar_conflict=True,
        ),
        "oven": ServiceOrderFactory(
            customer=other_customer,
            number="SO-0002",
            description="Oven repair",
            priority=Priority.HIGH,
            preferred_date=datetime.date(2026, 3, 20),
        ),
        "done": ServiceOrderFactory(
            customer=customer,
            number="SO-0003",
            description="Pump replaced",
            state=OrderState.COMPLETED,
            preferred_date=datetime.date(2026, 2, 10),
        ),
        "web": ServiceOrderFactory(
            customer=other_customer,
            number="SO-0004",
            description="Leaking tap",
            origin=Origin.WEB_REQUEST,
            preferred_date=None,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["SO-0004", "SO-0003", "SO-0002", "SO-0001"]),
        ({"q": "repair"}, ["SO-0002"]),
        ({"q": "so-0003"}, ["SO-0003"]),
        ({"state": "completed"}, ["SO-0003"]),
        ({"priority": "high"}, ["SO-0002"]),
        ({"origin": "agreement"}, ["SO-0001"]),
        ({"origin": "web"}, ["SO-0004"]),
        ({"date_from": "2026-03-01", "date_to": "2026-03-31"}, ["SO-0002", "SO-0001"]),
        ({"date_to": "2026-02-28"}, ["SO-0003"]),
        ({"conflict": "yes"}, ["SO-0001"]),
        ({"conflict": "no"}, ["SO-0004", "SO-0003", "SO-0002"]),
    ],
)
def test_list_filters(client_for, manager_a, orders, query, expected):
    response = client_for(manager_a).get(LIST, query)
    assert response.status_code == 200
    assert _numbers(response) == expected


def test_list_filters_by_customer_and_agreement(client_for, manager_a, orders, customer):
    client = client_for(manager_a)
    by_customer = client.get(LIST, {"customer": customer.pk})
    assert _numbers(by_customer) == ["SO-0003", "SO-0001"]
    agreement = orders["boiler"].agreement
    assert _numbers(client.get(LIST, {"agreement": agreement.pk})) == ["SO-0001"]


def test_another_tenants_customer_is_refused_beside_the_filter(
    client_for, manager_a, orders, tenant_b
):
    foreign = CustomerFactory(tenant=tenant_b)
    response = client_for(manager_a).get(LIST, {"customer": foreign.pk})
    assert response.context["filters"].errors["customer"]
    assert "Nowak Bakery" in response.content.decode()  # the bad filter is not applied


def test_list_sorts_by_priority_most_urgent_first(client_for, manager_a, orders):
    client = client_for(manager_a)
    assert _numbers(client.get(LIST, {"sort": "get_priority_display"}))[0] == "SO-0002"
    assert _numbers(client.get(LIST, {"sort": "-get_priority_display"}))[0] == "SO-0001"
    by_date = _numbers(client.get(LIST, {"sort": "preferred_date", "state": "new"}))
    assert by_date[:2] == ["SO-0001", "SO-0002"]


def test_list_shows_the_columns_and_the_conflict_badge(client_for, manager_a, orders):
    html = client_for(manager_a).get(LIST, {"q": "boiler"}).content.decode()
    assert "Kowalski Heating" in html
    assert orders["boiler"].agreement.number in html
    assert "Boiler inspection" in html
    assert 'data-testid="conflict-badge"' in html
    assert reverse("service_orders:order_detail", args=[orders["boiler"].pk]) in html


def test_list_exports_the_filtered_rows_as_csv(client_for, manager_a, orders):
    response = client_for(manager_a).get(
        LIST, {"customer": orders["boiler"].customer_id, "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Number", "Customer", "Agreement"]
    assert [row[0] for row in rows[1:]] == ["SO-0003", "SO-0001"]
    boiler = rows[2]
    assert boiler[1] == "Kowalski Heating"
    assert boiler[4] == "2026-03-02"
    assert boiler[6] == "New" and boiler[7] == "Low" and boiler[8] == "Closed day"


def test_list_shows_only_own_tenants_orders(client_for, manager_b, orders):
    response = client_for(manager_b).get(LIST)
    assert _numbers(response) == []
    csv_text = client_for(manager_b).get(LIST, {"format": "csv"}).content.decode()
    assert "SO-0001" not in csv_text


def test_list_runs_a_constant_number_of_queries(
    client_for, manager_a, tenant_a, make_member, django_assert_max_num_queries
):
    tech = make_member(tenant_a, Role.TECHNICIAN)
    today = tenant_a.today()

    def grow(count: int) -> None:
        """``count`` more orders (2 lines each) of 5 more customers with an agreement each."""
        customers = [CustomerFactory(tenant=tenant_a) for _ in range(5)]
        agreements = [AgreementFactory(customer=c) for c in customers]
        for n in range(count):
            order = ServiceOrderFactory(
                customer=customers[n % 5],
                agreement=agreements[n % 5],
                assigned_technician=tech if n % 2 else None,
                preferred_date=today + datetime.timedelta(days=n % 20),
            )
            ServiceOrderLineFactory.create_batch(2, order=order)

    # The page, and the typical filter: open orders of one technician over a date range.
    requests = [
        {"sort": "customer"},
        {
            "state": "open",
            "technician": str(tech.pk),
            "date_from": today.isoformat(),
            "date_to": (today + datetime.timedelta(days=30)).isoformat(),
        },
    ]
    grow(55)
    client = client_for(manager_a)
    client.get(LIST)  # warm the session
    # session, user, memberships, tenant scope (4: nested in the test transaction it first reads
    # the settings it will restore), count, customer, agreement, stage and technician choices,
    # page, and the bulk form's stage and technician choices
    counts = []
    for params in requests:
        with django_assert_max_num_queries(16) as few:
            response = client.get(LIST, params)
        assert len(response.context["rows"]) == 25
        counts.append(len(few.captured_queries))
    grow(110)  # three times the orders, twice the customers and agreements to choose from
    for params, count in zip(requests, counts, strict=True):
        with django_assert_max_num_queries(count):
            response = client.get(LIST, params)
        assert len(response.context["rows"]) == 25
        assert response.context["page_obj"].paginator.count > 25


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.TENANT_ADMIN, 200),
        (Role.SERVICE_MANAGER, 200),
        (Role.DISPATCHER, 200),
        (Role.TECHNICIAN, 403),
    ],
)
def test_who_may_see_orders(client_for, make_member, tenant_a, customer, role, status):
    order = ServiceOrderFactory(customer=customer)
    client = client_for(make_member(tenant_a, role))
    assert client.get(LIST).status_code == status
    assert client.get(reverse("service_orders:order_detail", args=[order.pk])).status_code == (
        status
    )


# --- Detail -------------------------------------------------------------------------------------


@pytest.fixture
def full_order(tenant_a, customer, manager_a, technician_a):
    site = CustomerSiteFactory(
        customer=customer, street="Polna 5", postal_code="00-950", city="Warszawa"
    )
    contact = CustomerContactFactory(customer=customer, name="Anna Nowak", phone="+48 600 100 200")
    agreement = AgreementFactory(customer=customer, description="Heating care")
    order = ServiceOrderFactory(
        customer=customer,
        agreement=agreement,
        site=site,
        contact=contact,
        description="Annual boiler service",
        priority=Priority.HIGH,
        preferred_date=datetime.date(2026, 3, 30),
        # 08:00 in Warsaw on the first day of summer time
        planned_start=datetime.datetime(2026, 3, 30, 6, 0, tzinfo=datetime.UTC),
        window_start=datetime.date(2026, 3, 30),
        window_end=datetime.date(2026, 4, 3),
        responsible=manager_a,
        preferred_technician=technician_a,
        origin=Origin.AGREEMENT,
        calendar_conflict=True,
    )
    ServiceOrderLineFactory(
        order=order,
        description="Inspection",
        task=ServiceTaskFactory(tenant=tenant_a, name="Annual inspection"),
        service_object=ServiceObjectFactory(customer=customer, name="Viessmann boiler"),
        technician=technician_a,
        quantity=Decimal("2"),
        unit_price=Decimal("120.00"),
        calculated_date=datetime.date(2026, 3, 30),
    )
    ServiceOrderLineFactory(
        order=order,
        kind="item",
        description="Filter",
        item=ItemFactory(tenant=tenant_a, name="Burner filter"),
        quantity=Decimal("3"),
        unit_price=Decimal("15.50"),
    )
    return order


def test_detail_shows_header_lines_totals_and_conflict(client_for, manager_a, full_order):
    response = client_for(manager_a).get(
        reverse("service_orders:order_detail", args=[full_order.pk])
    )
    html = response.content.decode()
    for text in (
        "Annual boiler service",
        "Kowalski Heating",
        "Heating care",
        "Polna 5, 00-950 Warszawa",
        "Anna Nowak",
        "High",
        "Viessmann boiler",
        "Annual inspection",
        "Burner filter",
        "240.00",  # 2 × 120.00
        "46.50",  # 3 × 15.50
        "286.50",  # the total
    ):
        assert text in html, text
    assert 'data-testid="conflict-warning"' in html
    assert reverse("customers:customer_detail", args=[full_order.customer_id]) in html
    assert reverse("agreements:agreement_detail", args=[full_order.agreement_id]) in html
    planned = html.split('data-testid="planned-start">')[1].split("</dd>")[0]
    assert "8 a.m." in planned and "Europe/Warsaw" in planned


def test_detail_runs_a_constant_number_of_queries(
    client_for, manager_a, full_order, tenant_a, technician_a, django_assert_max_num_queries
):
    customer = full_order.customer
    for n in range(30):
        task = ServiceTaskFactory(tenant=tenant_a)
        ServiceOrderLineFactory(
            order=full_order,
            task=task,
            service_object=ServiceObjectFactory(customer=customer),
            item=ItemFactory(tenant=tenant_a),
            technician=technician_a,
        )
        ServiceOrderTaskFactory(order=full_order, task=task, internal_note=f"Note {n}")
        AuditEvent.objects.create(
            tenant=tenant_a,
            actor=manager_a,
            action="order.update",
            target_type="service_orders.serviceorder",
            target_id=full_order.pk,
            summary=f"Change {n}",
        )
    client = client_for(manager_a)
    url = reverse("service_orders:order_detail", args=[full_order.pk])
    client.get(url)
    # session, user, memberships, tenant scope (4), order, lines, next stages and their reasons,
    # technicians to assign, stage log, activity log, the agreement's task notes, the business
    # calendar and its holidays (the order is flagged for a closed day), and the field work's
    # own reads, and the SLA clock; the repairs panel's lines and objects
    with django_assert_max_num_queries(24):
        response = client.get(url)
    assert len(response.context["lines"]) == 32
    assert len(response.context["task_notes"]) == 30
    assert "Change 29" in response.content.decode()


# --- Cancel -------------------------------------------------------------------------------------


CANCEL = {"confirmed": "1", "reason": "The customer sold the building."}


def _cancel_url(order) -> str:
    return reverse("service_orders:order_cancel", args=[order.pk])


@pytest.mark.parametrize("role", [Role.SERVICE_MANAGER, Role.DISPATCHER, Role.TENANT_ADMIN])
def test_cancel_an_open_order(client_for, make_member, tenant_a, customer, role):
    order = ServiceOrderFactory(customer=customer, state=OrderState.SCHEDULED)
    user = make_member(tenant_a, role)
    client = client_for(user)
    detail = client.get(reverse("service_orders:order_detail", args=[order.pk]))
    assert 'data-testid="cancel-order"' in detail.content.decode()
    response = client.post(_cancel_url(order), CANCEL, follow=True)
    assert response.redirect_chain[-1][0] == reverse("service_orders:order_detail", args=[order.pk])
    assert _state(order) == OrderState.CANCELLED
    event = AuditEvent.objects.get(target_type="service_orders.serviceorder", target_id=order.pk)
    assert event.action == "order.cancel" and event.actor == user
    html = response.content.decode()
    assert "cancelled" in html.split('data-testid="order-timeline"')[1].lower()
    assert 'data-testid="cancel-order"' not in html  # nothing left to cancel


def test_cancel_that_no_longer_applies_answers_409_with_the_current_state(
    client_for, manager_a, customer
):
    order = ServiceOrderFactory(customer=customer)
    client = client_for(manager_a)
    assert (
        'data-testid="cancel-order"'
        in client.get(reverse("service_orders:order_detail", args=[order.pk])).content.decode()
    )
    # Meanwhile the technician completes it.
    ServiceOrder.objects.filter(pk=order.pk).update(state=OrderState.COMPLETED)
    response = client.post(_cancel_url(order), CANCEL)
    assert response.status_code == 409
    html = response.content.decode()
    assert "completed now and can no longer be cancelled" in html
    assert 'data-testid="cancel-order"' not in html
    assert _state(order) == OrderState.COMPLETED
    assert not AuditEvent.objects.filter(action="order.cancel").exists()


def test_cancel_is_refused_to_a_technician(client_for, make_member, tenant_a, customer):
    order = ServiceOrderFactory(customer=customer)
    technician = make_member(tenant_a, Role.TECHNICIAN)
    assert client_for(technician).post(_cancel_url(order), CANCEL).status_code == 403
    assert client_for(technician).get(_cancel_url(order)).status_code == 403
    assert _state(order) == OrderState.NEW


def test_cancel_asks_first_and_needs_a_reason(client_for, manager_a, customer):
    """Without JavaScript: GET shows the question naming the order; a POST that skipped it, or
    one without a reason, cancels nothing; the reason is kept and shown on the order page."""
    order = ServiceOrderFactory(customer=customer, number="SO-000077")
    client = client_for(manager_a)
    page = client.get(_cancel_url(order))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirmation"' in html
    assert "Cancel service order SO-000077?" in html and customer.name in html
    assert 'name="confirmed"' in html and 'name="reason"' in html

    assert client.post(_cancel_url(order)).status_code == 200  # the old one-click form
    assert _state(order) == OrderState.NEW
    refused = client.post(_cancel_url(order), {"confirmed": "1", "reason": "  "})
    assert refused.status_code == 200
    form = refused.context["confirmation"].form
    # Beside the reason-code picker when the cancelled stage has codes, else beside the note.
    field = "reason_code" if "reason_code" in form.fields else "reason"
    assert "Give a reason." in form.errors[field]
    assert f'data-field="{field}"' in refused.content.decode()
    assert _state(order) == OrderState.NEW

    response = client.post(_cancel_url(order), CANCEL, follow=True)
    assert _state(order) == OrderState.CANCELLED
    order.refresh_from_db()
    assert order.cancel_reason == CANCEL["reason"]
    shown = response.content.decode().split('data-testid="cancel-reason"')[1]
    assert CANCEL["reason"] in shown


def test_cancel_offers_the_cancelled_stages_reason_codes(client_for, manager_a, tenant_a, customer):
    """The confirmation lists the reason codes of the stage the order would go to; a chosen code
    is enough, kept on the order and in its stage log; a code of another stage is refused."""
    order = ServiceOrderFactory(customer=customer)
    cancelled = selectors.cancel_stage(tenant=tenant_a, stage=order.stage)
    no_access = ReasonCodeFactory(stage=cancelled, name="No access to the site")
    other_stage_code = ReasonCodeFactory(stage=order.stage, name="Parts missing")
    client = client_for(manager_a)

    html = client.get(_cancel_url(order)).content.decode()
    assert 'name="reason_code"' in html and "No access to the site" in html
    assert "Parts missing" not in html

    wrong = client.post(_cancel_url(order), {"confirmed": "1", "reason_code": other_stage_code.pk})
    assert "reason_code" in wrong.context["confirmation"].form.errors
    assert _state(order) == OrderState.NEW

    client.post(_cancel_url(order), {"confirmed": "1", "reason_code": no_access.pk})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.cancel_reason == "No access to the site"
    log = StageLog.objects.filter(order=order, kind=StageLogKind.CANCEL).get()
    assert log.reason_code_id == no_access.pk


def test_cancel_in_the_dialog(client_for, manager_a, customer):
    """With htmx the question comes as a dialog's content, an empty reason comes back in the
    dialog, and the confirmed cancel sends the browser to the order (HX-Redirect); a lost race
    answers 409 inside the dialog."""
    order = ServiceOrderFactory(customer=customer)
    client = client_for(manager_a)
    htmx = {"HX-Request": "true"}
    fragment = client.get(_cancel_url(order), headers=htmx).content.decode()
    assert "<html" not in fragment and 'data-testid="confirmation"' in fragment
    assert "hx-post" in fragment
    again = client.post(_cancel_url(order), {"confirmed": "1", "reason": ""}, headers=htmx)
    assert again.status_code == 200 and "Give a reason." in again.content.decode()
    done = client.post(_cancel_url(order), CANCEL, headers=htmx)
    assert done.headers["HX-Redirect"] == reverse("service_orders:order_detail", args=[order.pk])
    assert _state(order) == OrderState.CANCELLED
    lost = client.post(_cancel_url(order), CANCEL, headers=htmx)
    assert lost.status_code == 409
    assert "can no longer be cancelled" in lost.content.decode()


# --- Partials -----------------------------------------------------------------------------------


def test_agreement_orders_partial_shows_the_newest_20(client_for, manager_a, customer):
    agreement = AgreementFactory(customer=customer)
    for n in range(23):
        ServiceOrderFactory(customer=customer, agreement=agreement, number=f"AO-{n:03d}")
    ServiceOrderFactory(customer=customer, number="OTHER-1")
    client = client_for(manager_a)
    url = reverse("service_orders:agreement_orders") + f"?agreement={agreement.pk}"

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html  # works as a plain page too
    assert len(page.context["orders"]) == 20
    assert "AO-022" in html and "AO-002" not in html and "OTHER-1" not in html
    assert f"{reverse('service_orders:order_list')}?agreement={agreement.pk}" in html
    assert "See all 23 orders" in html

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "AO-022" in fragment


def test_customer_orders_partial(client_for, dispatcher_a, customer, tenant_a):
    ServiceOrderFactory(customer=customer, number="MINE-1")
    ServiceOrderFactory(customer=CustomerFactory(tenant=tenant_a), number="THEIRS-1")
    url = reverse("service_orders:customer_orders")
    response = client_for(dispatcher_a).get(
        url, {"customer": customer.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "MINE-1" in html and "THEIRS-1" not in html
    assert f"?customer={customer.pk}" in html


@pytest.mark.parametrize(
    ("url_name", "param", "make"),
    [
        (
            "service_orders:agreement_orders",
            "agreement",
            lambda tenant: AgreementFactory(customer=CustomerFactory(tenant=tenant)),
        ),
        (
            "service_orders:customer_orders",
            "customer",
            lambda tenant: CustomerFactory(tenant=tenant),
        ),
    ],
)
def test_partials_answer_404_for_another_tenants_record(
    client_for, manager_b, tenant_a, url_name, param, make
):
    record = make(tenant_a)
    ServiceOrderFactory(customer=record if param == "customer" else record.customer)
    client = client_for(manager_b)
    url = reverse(url_name)
    assert client.get(url, {param: record.pk}).status_code == 404
    assert client.get(url, {param: "not-a-number"}).status_code == 404
    assert client.get(url).status_code == 404


def test_the_customer_and_agreement_filters_label_their_options_as_the_records_are_named(
    tenant_a, tenant_b, client_for, manager_a
):
    """The filters read their options as values (web.forms.ValuesChoiceField), not as model
    instances: each option must still read as the record's own name, in the same order."""
    from django.utils.html import escape

    from service_orders import selectors
    from service_orders.forms import OrderFilterForm

    for name in ("Zieliński & Syn", "<Nowak>", "Adamczyk"):
        AgreementFactory(customer=CustomerFactory(tenant=tenant_a, name=name))
    AgreementFactory(customer=CustomerFactory(tenant=tenant_b, name="Other tenant's"))
    form = OrderFilterForm(tenant=tenant_a)
    for field, records in (
        ("customer", selectors.customer_choices(tenant=tenant_a)),
        ("agreement", selectors.agreement_choices(tenant=tenant_a)),
    ):
        offered = [(str(value), label) for value, label in form.fields[field].choices][1:]
        assert offered == [(str(record.pk), str(record)) for record in records]
        assert len(offered) == 3
    chosen = selectors.customer_choices(tenant=tenant_a).last()
    response = client_for(manager_a).get(LIST, {"customer": chosen.pk})
    html = response.content.decode()
    assert f'<option value="{chosen.pk}" selected>{escape(str(chosen))}</option>' in html
    assert "&amp; Syn" in html and "&lt;Nowak&gt;" in html
    assert "Other tenant&#x27;s" not in html
    bound = OrderFilterForm({"customer": str(chosen.pk)}, tenant=tenant_a)
    assert bound.filters()["customer"] == chosen


@pytest.mark.parametrize("language", ["en", "pl", "ru", "pt-br"])
def test_orders_and_lines_read_their_labels_as_djangos_own(tenant_a, customer, language):
    """The faster get_FOO_display of orders (state, priority) and order lines (kind, status)
    say what Django's get_FOO_display says, in every language, for every value."""
    from django.db.models import Model
    from django.utils import translation

    from customers.models import LineKind
    from service_orders.models import LineStatus

    order = ServiceOrderFactory(customer=customer)
    line = ServiceOrderLineFactory(order=order)
    cases = [
        (order, "state", OrderState),
        (order, "priority", Priority),
        (line, "kind", LineKind),
        (line, "status", LineStatus),
    ]
    with translation.override(language):
        for record, field, choices in cases:
            for value in [*choices.values, "unknown"]:
                record.__dict__[field] = value
                ours = getattr(record, f"get_{field}_display")()
                django = Model._get_FIELD_display(record, record._meta.get_field(field))
                assert ours == django and isinstance(ours, str)
