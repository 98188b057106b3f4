"""The workflow pages: the order page's stage steps, refusals answered 409 with the current state,
bad input beside its field, creating an order by hand, bulk changes, the stage configuration,
who may do what and the query budgets."""

import re

import pytest
from django.urls import reverse

from service_orders.models import (
    LineStatus,
    OrderStage,
    OrderState,
    ServiceOrder,
    ServiceOrderLine,
    StageLog,
)
from service_orders.services.stages import stage_tree_ensure
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
)

pytestmark = pytest.mark.django_db


def stage(tenant, code) -> OrderStage:
    stage_tree_ensure(tenant=tenant)
    return OrderStage.objects.get(tenant=tenant, code=code)


def order_at(tenant, code, state, **fields) -> ServiceOrder:
    fields.setdefault("customer", CustomerFactory(tenant=tenant))
    return ServiceOrderFactory(stage=stage(tenant, code), state=state, **fields)


def detail(order) -> str:
    return reverse("service_orders:order_detail", args=[order.pk])


def move_url(order) -> str:
    return reverse("service_orders:order_stage_move", args=[order.pk])


def test_the_order_page_offers_the_next_stages(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "work", OrderState.IN_PROGRESS)
    html = client_for(dispatcher_a).get(detail(order)).content.decode()
    assert 'data-testid="order-stage">In progress<' in html
    assert 'data-testid="stage-hold"' in html and 'data-testid="stage-done"' in html
    assert "Waiting for parts" in html  # the hold stage's reasons in its dialog


def test_the_order_pages_technician_is_a_searchable_picker(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "new", OrderState.NEW)
    html = client_for(dispatcher_a).get(detail(order)).content.decode()
    before, after = html.split('name="technician"', 1)
    select = before.rsplit("<select", 1)[1] + after.split(">", 1)[0]
    assert "data-fl-picker" in select


def test_a_technician_sees_no_stage_buttons_on_the_office_page(client_for, technician_a, tenant_a):
    order = order_at(tenant_a, "new", OrderState.NEW)
    response = client_for(technician_a).get(detail(order))
    assert response.status_code == 403


def test_moving_goes_to_the_stage_and_back_to_the_page(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "new", OrderState.NEW)
    response = client_for(dispatcher_a).post(
        move_url(order), {"stage": stage(tenant_a, "scheduled").pk}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.SCHEDULED


def test_a_stale_move_answers_409_with_the_current_state(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "scheduled", OrderState.SCHEDULED)
    # The page offered "Scheduled" while the order was new; someone moved it meanwhile.
    response = client_for(dispatcher_a).post(
        move_url(order), {"stage": stage(tenant_a, "scheduled").pk}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="refusal"' in html and "is not a next step of" in html
    assert 'data-testid="order-stage">Scheduled<' in html
    assert not StageLog.objects.filter(order=order).exists()


def test_a_missing_reason_is_shown_beside_the_field(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "work", OrderState.IN_PROGRESS)
    response = client_for(dispatcher_a).post(
        move_url(order), {"stage": stage(tenant_a, "hold").pk, "reason_text": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "On hold needs a reason: choose one or write it." in html
    assert '<details class="fl-reason-dialog" open' in html
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS


def test_cancelling_a_posted_order_is_refused_409(client_for, manager_a, tenant_a):
    order = order_at(tenant_a, "done", OrderState.POSTED)
    response = client_for(manager_a).post(
        reverse("service_orders:order_cancel", args=[order.pk]),
        {"confirmed": "1", "reason": "Wrong"},
    )
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()


def test_deleting_where_the_stage_forbids_it_answers_409(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "scheduled", OrderState.SCHEDULED)
    response = client_for(dispatcher_a).post(
        reverse("service_orders:order_delete", args=[order.pk])
    )
    assert response.status_code == 409
    assert "Orders at Scheduled cannot be deleted." in response.content.decode()
    assert ServiceOrder.objects.filter(pk=order.pk).exists()


def test_deleting_a_new_order(client_for, dispatcher_a, tenant_a):
    order = order_at(tenant_a, "new", OrderState.NEW)
    response = client_for(dispatcher_a).post(
        reverse("service_orders:order_delete", args=[order.pk])
    )
    assert response.status_code == 302
    assert not ServiceOrder.objects.filter(pk=order.pk).exists()


def test_moving_lines_to_another_agreements_order_is_refused_beside_the_field(
    client_for, dispatcher_a, tenant_a
):
    customer = CustomerFactory(tenant=tenant_a)
    order = order_at(
        tenant_a,
        "new",
        OrderState.NEW,
        customer=customer,
        agreement=AgreementFactory(customer=customer),
    )
    other = order_at(
        tenant_a,
        "new",
        OrderState.NEW,
        customer=customer,
        agreement=AgreementFactory(customer=customer),
    )
    line = ServiceOrderLineFactory(order=order)
    response = client_for(dispatcher_a).post(
        reverse("service_orders:lines_move", args=[order.pk]),
        {"lines": [line.pk], "to_order": other.pk},
    )
    assert response.status_code == 400
    assert "Lines can move only to another order of the same agreement." in (
        response.content.decode()
    )
    assert ServiceOrderLine.objects.get(pk=line.pk).order_id == order.pk


def test_a_line_cancel_without_reason_is_refused_beside_the_field(
    client_for, dispatcher_a, tenant_a
):
    order = order_at(tenant_a, "new", OrderState.NEW)
    line = ServiceOrderLineFactory(order=order)
    url = reverse("service_orders:line_cancel", args=[order.pk, line.pk])
    response = client_for(dispatcher_a).post(url, {"reason": ""})
    assert response.status_code == 400
    assert 'data-testid="line-reason-error"' in response.content.decode()
    assert client_for(dispatcher_a).post(url, {"reason": "Spare"}).status_code == 302
    assert ServiceOrderLine.objects.get(pk=line.pk).status == LineStatus.CANCELLED


def test_creating_an_order_by_hand(client_for, dispatcher_a, tenant_a, make_member):
    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer, is_default=True)
    tech = make_member(tenant_a, Role.TECHNICIAN)
    client = client_for(dispatcher_a)
    page = client.get(reverse("service_orders:order_create"))
    token = page.context["form"]  # the form renders; the token comes from the page
    html = page.content.decode()
    marker = 'name="submission_token" value="'
    value = html[html.index(marker) + len(marker) :].split('"')[0]
    data = {
        "submission_token": value,
        "customer": customer.pk,
        "description": "Heating makes noise",
        "priority": "high",
        "assigned_technician": tech.pk,
    }
    first = client.post(reverse("service_orders:order_create"), data)
    second = client.post(reverse("service_orders:order_create"), data)  # a double submit
    assert first.status_code == second.status_code == 302 and first.url == second.url
    order = ServiceOrder.objects.get(tenant=tenant_a, description="Heating makes noise")
    assert order.site == site and order.stage.is_initial and order.assigned_technician == tech
    assert token is not None


def test_creating_refuses_a_site_of_another_customer_beside_the_field(
    client_for, dispatcher_a, tenant_a
):
    customer, other = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    response = client_for(dispatcher_a).post(
        reverse("service_orders:order_create"),
        {
            "customer": customer.pk,
            "site": CustomerSiteFactory(customer=other).pk,
            "description": "x",
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    assert "Choose a site of" in response.content.decode()
    assert not ServiceOrder.objects.filter(tenant=tenant_a).exists()


def _option_values(html: str, name: str) -> set[str]:
    select = html.split(f'name="{name}"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="(\d+)"', select))


def test_the_new_order_form_offers_only_the_chosen_customers_records(
    client_for, dispatcher_a, tenant_a
):
    customer, other = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    mine = {
        "agreement": AgreementFactory(customer=customer),
        "site": CustomerSiteFactory(customer=customer),
        "contact": CustomerContactFactory(customer=customer),
        "objects": ServiceObjectFactory(customer=customer),
    }
    theirs = {
        "agreement": AgreementFactory(customer=other),
        "site": CustomerSiteFactory(customer=other),
        "contact": CustomerContactFactory(customer=other),
        "objects": ServiceObjectFactory(customer=other),
    }
    archived = CustomerSiteFactory(customer=customer, is_archived=True)
    client = client_for(dispatcher_a)
    url = reverse("service_orders:order_create")
    # Before a customer is chosen none are offered (the customer's field says so); once chosen
    # (the page's htmx request after the picker changes, or ?customer= from the customer's
    # page), its own only.
    nothing_yet = client.get(url)
    assert "are offered once it is chosen" in nothing_yet.content.decode()
    chosen = client.get(url, {"customer": customer.pk}).content.decode()
    assert "are offered once it is chosen" not in chosen
    for name in mine:
        assert _option_values(nothing_yet.content.decode(), name) == set(), name
        assert _option_values(chosen, name) == {str(mine[name].pk)}, name
    assert str(archived.pk) not in _option_values(chosen, "site")
    # Sent anyway, another customer's is refused beside its field in the service's words; an
    # archived site of the customer is refused as archived.
    response = client.post(
        url,
        {
            "customer": customer.pk,
            "contact": theirs["contact"].pk,
            "objects": [theirs["objects"].pk],
            "description": "x",
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["contact"] == [f"Choose a contact of {customer.name}."]
    assert errors["objects"] == [f"Choose objects of {customer.name}."]
    data = {"customer": customer.pk, "site": archived.pk, "description": "x", "priority": "normal"}
    response = client.post(url, data)
    assert response.context["form"].errors["site"] == [
        "This site is archived: choose another one or restore it first."
    ]
    assert not ServiceOrder.objects.filter(tenant=tenant_a).exists()


def test_bulk_advance_reports_each_refusal(client_for, dispatcher_a, tenant_a):
    movable = order_at(tenant_a, "new", OrderState.NEW)
    stuck = order_at(tenant_a, "done", OrderState.COMPLETED)
    response = client_for(dispatcher_a).post(
        reverse("service_orders:order_bulk"),
        {
            "orders": [movable.pk, stuck.pk],
            "action": "advance",
            "stage": stage(tenant_a, "scheduled").pk,
        },
    )
    assert response.status_code == 200
    assert [o.pk for o in response.context["done"]] == [movable.pk]
    assert [o.pk for o, _why in response.context["refused"]] == [stuck.pk]
    movable.refresh_from_db()
    stuck.refresh_from_db()
    assert (movable.state, stuck.state) == (OrderState.SCHEDULED, OrderState.COMPLETED)


def test_bulk_assign(client_for, dispatcher_a, tenant_a, make_member):
    tech = make_member(tenant_a, Role.TECHNICIAN)
    orders = [order_at(tenant_a, "new", OrderState.NEW) for _ in range(3)]
    response = client_for(dispatcher_a).post(
        reverse("service_orders:order_bulk"),
        {"orders": [o.pk for o in orders], "action": "assign", "technician": tech.pk},
    )
    assert len(response.context["done"]) == 3
    assert set(
        ServiceOrder.objects.filter(pk__in=[o.pk for o in orders]).values_list(
            "assigned_technician", flat=True
        )
    ) == {tech.pk}


def test_the_list_filters_by_stage_and_technician(client_for, dispatcher_a, tenant_a, make_member):
    tech = make_member(tenant_a, Role.TECHNICIAN)
    scheduled = order_at(tenant_a, "scheduled", OrderState.SCHEDULED, assigned_technician=tech)
    order_at(tenant_a, "new", OrderState.NEW)
    client = client_for(dispatcher_a)
    by_stage = client.get(
        reverse("service_orders:order_list"), {"stage": stage(tenant_a, "scheduled").pk}
    )
    assert [o.pk for o in by_stage.context["rows"]] == [scheduled.pk]
    by_tech = client.get(reverse("service_orders:order_list"), {"technician": tech.pk})
    assert [o.pk for o in by_tech.context["rows"]] == [scheduled.pk]


def test_stage_configuration_refuses_a_state_that_cannot_follow(client_for, manager_a, tenant_a):
    client = client_for(manager_a)
    assert client.get(reverse("service_orders:stage_tree")).status_code == 200
    response = client.post(
        reverse("service_orders:stage_create"),
        {
            "name": "Posted at once",
            "code": "posted-now",
            "state": OrderState.POSTED,
            "parent": stage(tenant_a, "new").pk,
            "position": 5,
        },
    )
    assert response.status_code == 400
    assert "cannot go from" in response.content.decode()
    assert not OrderStage.objects.filter(tenant=tenant_a, code="posted-now").exists()


def test_a_dispatcher_may_not_configure_stages(client_for, dispatcher_a):
    assert client_for(dispatcher_a).get(reverse("service_orders:stage_tree")).status_code == 403


def test_the_order_page_runs_a_constant_number_of_queries(
    client_for, dispatcher_a, tenant_a, django_assert_max_num_queries
):
    order = order_at(tenant_a, "work", OrderState.IN_PROGRESS)
    client = client_for(dispatcher_a)
    url = detail(order)

    def grow():
        for _ in range(10):
            line = ServiceOrderLineFactory(order=order)
            client.post(
                reverse("service_orders:line_cancel", args=[order.pk, line.pk]),
                {"reason": "x"},
            )

    grow()
    client.get(url)
    # session, user, memberships, tenant scope (4), order, lines, next stages and their
    # reasons, move targets, technicians, stage log, activity log, ...: the same for 10 line
    # changes as for 30; the SLA clock (one query without a clock); the repairs panel (its
    # lines and the order's objects, two queries)
    with django_assert_max_num_queries(24):
        client.get(url)
    grow()
    grow()
    with django_assert_max_num_queries(24):
        response = client.get(url)
    assert len(response.context["timeline"]) >= 20


def test_the_list_runs_a_constant_number_of_queries(
    client_for, dispatcher_a, tenant_a, make_member, django_assert_max_num_queries
):
    tech = make_member(tenant_a, Role.TECHNICIAN)
    for n in range(30):
        order_at(
            tenant_a,
            "new" if n % 2 else "work",
            OrderState.NEW if n % 2 else OrderState.IN_PROGRESS,
            assigned_technician=tech,
        )
    client = client_for(dispatcher_a)
    url = reverse("service_orders:order_list")
    client.get(url)
    with django_assert_max_num_queries(16):
        response = client.get(url, {"sort": "stage"})
    assert len(response.context["rows"]) == 25
