"""The order list's cells and the cards of "My orders" are rendered in Python
(service_orders.list_cells, for the pages' speed): each must give exactly the HTML of the
template it stands for, for every state, SLA status and the awkward cases, in several languages."""

import datetime

import pytest
from django.template.loader import get_template
from django.utils import timezone, translation

from service_orders import list_cells, selectors
from service_orders.models import ClockStatus, OrderState
from service_orders.views import ORDER_COLUMNS
from tests.factories import (
    CustomerFactory,
    CustomerSiteFactory,
    OrderClockFactory,
    ServiceOrderFactory,
)

from .technician_helpers import assigned_order

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "pl", "fr", "pt-br", "ru", "et"]


def _list_rows(tenant, technician):
    customer = CustomerFactory(tenant=tenant, name='Zieliński & Syn "<Serwis>"')
    for n, state in enumerate(OrderState.values):
        ServiceOrderFactory(
            customer=customer,
            state=state,
            number=f"SO-<{n}>&'",
            calendar_conflict=n % 2 == 0,
            assigned_technician=technician if n % 3 else None,
        )
    ServiceOrderFactory(customer=customer, stage=None, description="No stage")
    now = timezone.now()
    first = None
    for n, status in enumerate(ClockStatus.values):
        order = ServiceOrderFactory(customer=customer, assigned_technician=technician)
        shared = {"sla": first.sla, "calendar": first.calendar} if first else {}
        clock = OrderClockFactory(
            order=order,
            status=status,
            resolution_due=now + datetime.timedelta(hours=n - 2),
            **shared,
        )
        first = first or clock
    return list(selectors.order_list(tenant=tenant).order_by("id"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_order_cell_in_python_is_its_templates_html(tenant_a, technician_a, language):
    technician_a.first_name, technician_a.last_name = "Jan", "Nowak <&>"
    technician_a.save()
    rows = _list_rows(tenant_a, technician_a)
    columns = [column for column in ORDER_COLUMNS if column.html is not None]
    assert {column.key for column in columns} >= {"select", "get_state_display", "sla"}
    compared = 0
    with translation.override(language):
        for column in columns:
            assert column.template, f"{column.key}: the template it stands for"
            template = get_template(column.template)
            for row in rows:
                value = column.display_value(row)
                expected = template.render({"row": row, "value": value, "column": column})
                assert column.html(row, value) == expected.strip(), (column.key, row.number)
                compared += 1
    assert compared == len(columns) * len(rows)
    # every SLA status and both kinds of calendar day were among the rows
    assert {row.sla_status for row in rows} >= set(ClockStatus.values)
    assert {row.calendar_conflict for row in rows} == {True, False}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_technicians_card_in_python_is_its_templates_html(tenant_a, technician_a, language):
    today = tenant_a.today()
    planned = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9, 30)))
    assigned_order(tenant_a, technician_a, preferred_date=today, planned_start=planned)
    assigned_order(
        tenant_a, technician_a, preferred_date=today + datetime.timedelta(days=2), priority="high"
    )
    assigned_order(tenant_a, technician_a, address="Piękna 1 <front door> & yard")
    no_stage = assigned_order(tenant_a, technician_a, state=OrderState.ON_HOLD, code="hold")
    no_stage.stage = None
    no_stage.save(update_fields=["stage"])
    customer = CustomerFactory(tenant=tenant_a, name="Bez adresu")
    ServiceOrderFactory(
        customer=customer, assigned_technician=technician_a, state=OrderState.SCHEDULED
    )
    CustomerSiteFactory(customer=customer, street="", city="")
    orders = selectors.technician_orders(tenant=tenant_a, technician=technician_a, today=today)
    assert len(orders) == 5
    template = get_template("service_orders/technician/_order_card.html")
    with translation.override(language):
        for order in orders:
            assert list_cells.technician_card(order) == template.render({"order": order})


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_order_filter_form_renders_as_its_templates_render_it(tenant_a, language):
    """The order list's twelve filters (web/list.html renders them with field_group): the same
    HTML as templates/forms/field.html and Django's widget templates, unfiltered, filtered and
    with errors, with the tenant's customers, agreements, stages and technicians as options."""
    from service_orders.forms import OrderFilterForm
    from tests.factories import AgreementFactory
    from web.templatetags.fieldline import field_group_html

    customer = CustomerFactory(tenant=tenant_a, name='Zieliński & Syn "<Serwis>"')
    AgreementFactory(tenant=tenant_a, customer=customer, description="<b>Boiler</b> & co")
    order = ServiceOrderFactory(customer=customer)
    datas = [
        None,
        {"state": "open", "customer": str(customer.pk), "date_from": "2026-12-01", "q": "<x>"},
        {"customer": "999999", "date_to": "never", "stage": "x", "technician": "nobody"},
    ]
    if order.stage_id:
        datas.append({"stage": str(order.stage_id), "technician": "none"})
    with translation.override(language):
        for data in datas:
            form = OrderFilterForm(data=data, tenant=tenant_a)
            if data is not None:
                form.filters()
            for bound in form:
                assert field_group_html(bound) == bound.as_field_group(), (data, bound.name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_order_pages_action_forms_render_as_their_templates_render_them(tenant_a, language):
    """The bulk form of the list, the assignment, SLA clock and stage move forms of the order
    page (rendered with field_group): the same HTML as their templates, also with errors."""
    from service_orders.workflow_forms import (
        AssignForm,
        BulkActionForm,
        ClockActionForm,
        StageMoveForm,
    )
    from web.templatetags.fieldline import field_group_html

    bad = {"action": "x", "stage": "x", "technician": "x", "reason_code": "x", "reason": "x" * 999}
    with translation.override(language):
        for data in (None, bad):
            forms = [
                BulkActionForm(data, tenant=tenant_a),
                AssignForm(data, tenant=tenant_a),
                ClockActionForm(data),
                StageMoveForm(data),
            ]
            for form in forms:
                if data:
                    form.is_valid()
                for bound in form:
                    assert field_group_html(bound) == bound.as_field_group(), (form, bound.name)
