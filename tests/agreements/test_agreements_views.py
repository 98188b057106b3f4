"""Agreement groups, template groups, agreements, relations and lines through the pages: what a
manager can do, what bad input gets (a message beside the field, nothing saved), what the other
roles may do, and pages that run a constant number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from agreements import services
from agreements.models import (
    Agreement,
    AgreementLine,
    AgreementObject,
    AgreementState,
    IntervalUnit,
    TemplateGroup,
    TimeWindow,
)
from customers.models import AgreementGroup, LineKind
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    CustomerFactory,
    GenerationErrorFactory,
    GenerationRunFactory,
    ItemFactory,
    ServiceLevelAgreementFactory,
    ServiceObjectFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TemplateGroupFactory,
)

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "1"}  # what the confirmation step (web.confirm) sends


def _detail(agreement) -> str:
    return reverse("agreements:agreement_detail", args=[agreement.pk])


def _refused_beside(response, field: str, message: str) -> None:
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field]), form.errors
    assert f'data-field="{field}"' in response.content.decode()


# --- Agreement groups --------------------------------------------------------------------------


def test_manager_creates_and_edits_a_group_with_a_default_sla(tenant_a, manager_a, client):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD")
    client.force_login(manager_a)
    response = client.post(
        reverse("customers:agreement_group_create"),
        {"code": "GOLD", "name": "Gold", "default_sla": sla.pk},
    )
    assert response.status_code == 302
    group = AgreementGroup.objects.get(tenant=tenant_a, code="GOLD")
    assert group.default_sla == sla
    client.post(
        reverse("customers:agreement_group_edit", args=[group.pk]),
        {"code": "GOLD", "name": "Gold plus"},
    )
    group.refresh_from_db()
    assert (group.name, group.default_sla) == ("Gold plus", None)
    listing = client.get(reverse("customers:agreement_group_list")).content.decode()
    assert "Gold plus" in listing


def test_a_group_cannot_use_another_tenants_sla(tenant_a, tenant_b, manager_a, client):
    foreign = ServiceLevelAgreementFactory(tenant=tenant_b)
    client.force_login(manager_a)
    response = client.post(
        reverse("customers:agreement_group_create"),
        {"code": "X", "name": "X", "default_sla": foreign.pk},
    )
    _refused_beside(response, "default_sla", "valid choice")
    assert not AgreementGroup.objects.filter(tenant=tenant_a).exists()


def test_a_duplicate_group_code_is_refused(tenant_a, manager_a, client):
    AgreementGroupFactory(tenant=tenant_a, code="GOLD")
    client.force_login(manager_a)
    response = client.post(
        reverse("customers:agreement_group_create"), {"code": "GOLD", "name": "Again"}
    )
    _refused_beside(response, "code", "already has this code")
    assert AgreementGroup.objects.filter(tenant=tenant_a).count() == 1


# --- Template groups ---------------------------------------------------------------------------


def test_template_groups_are_listed_as_a_tree(tenant_a, manager_a, client):
    heating = TemplateGroupFactory(tenant=tenant_a, name="Heating")
    TemplateGroupFactory(tenant=tenant_a, name="Boilers", parent=heating)
    TemplateGroupFactory(tenant=tenant_a, name="Air")
    client.force_login(manager_a)
    response = client.get(reverse("agreements:template_group_list"))
    rows = [(row.group.name, row.depth) for row in response.context["rows"]]
    assert rows == [("Air", 0), ("Heating", 0), ("Boilers", 1)]


def test_a_template_group_cannot_be_its_own_ancestor(tenant_a, manager_a, client):
    top = TemplateGroupFactory(tenant=tenant_a, name="Top")
    middle = TemplateGroupFactory(tenant=tenant_a, name="Middle", parent=top)
    bottom = TemplateGroupFactory(tenant=tenant_a, name="Bottom", parent=middle)
    with pytest.raises(services.ValidationError) as refused:
        services.template_group_update(
            tenant=tenant_a, by=manager_a, group_id=top.pk, data={"name": "Top", "parent": bottom}
        )
    assert "inside itself" in refused.value.message_dict["parent"][0]
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:template_group_edit", args=[top.pk]),
        {"name": "Top", "parent": top.pk},
    )
    _refused_beside(response, "parent", "valid choice")  # not even offered
    assert TemplateGroup.objects.get(pk=top.pk).parent is None


# --- Agreements: create and edit ---------------------------------------------------------------


def _agreement_data(for_customer, **overrides):
    data = {
        "customer": for_customer.pk if for_customer else "",
        "description": "Boiler maintenance",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "PLN",
        "combine_rule": "agreement",
    }
    data.update(overrides)
    return data


def test_manager_creates_an_agreement_numbered_from_the_sequence(tenant_a, manager_a, client):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(manager_a)
    form = client.get(reverse("agreements:agreement_create")).context["form"]
    assert form["currency"].value() == tenant_a.currency
    response = client.post(reverse("agreements:agreement_create"), _agreement_data(customer))
    agreement = Agreement.objects.get(tenant=tenant_a)
    assert response.url == _detail(agreement)
    assert (agreement.number, agreement.state, agreement.customer) == (
        "AG-000001",
        AgreementState.DRAFT,
        customer,
    )
    assert AuditEvent.objects.filter(tenant=tenant_a, action="agreement.create").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2025-12-31"}, "end_date", "cannot be before the start date"),
        ({"customer": ""}, "customer", "Choose a customer"),
        ({"start_date": ""}, "start_date", "required"),
    ],
    ids=["end-before-start", "no-customer", "no-start"],
)
def test_bad_agreement_input_is_refused_beside_the_field(
    tenant_a, manager_a, client, overrides, field, message
):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_create"), _agreement_data(customer, **overrides)
    )
    _refused_beside(response, field, message)
    assert not Agreement.objects.exists()


def test_a_template_needs_no_customer(tenant_a, manager_a, client):
    folder = TemplateGroupFactory(tenant=tenant_a)
    client.force_login(manager_a)
    data = _agreement_data(None, is_template="on", template_group=folder.pk, end_date="")
    assert client.post(reverse("agreements:agreement_create"), data).status_code == 302
    template = Agreement.objects.get(tenant=tenant_a)
    assert template.is_template and template.customer is None
    assert template.template_group == folder


def test_a_template_belongs_to_a_template_group(tenant_a, manager_a, client):
    client.force_login(manager_a)
    data = _agreement_data(None, is_template="on", end_date="")
    response = client.post(reverse("agreements:agreement_create"), data)
    _refused_beside(response, "template_group", "choose one")
    assert not Agreement.objects.exists()


def test_the_customer_can_be_chosen_beforehand(tenant_a, manager_a, client):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(manager_a)
    response = client.get(reverse("agreements:agreement_create"), {"customer": customer.pk})
    assert response.context["form"]["customer"].value() == customer.pk


def test_a_double_submit_creates_one_agreement(tenant_a, manager_a, client):
    customer = CustomerFactory(tenant=tenant_a)
    client.force_login(manager_a)
    data = _agreement_data(customer, submission_token="5d0c5a4e9b1f4c2a8e7d6f5a4b3c2d1e")
    first = client.post(reverse("agreements:agreement_create"), data)
    second = client.post(reverse("agreements:agreement_create"), data)
    assert first.url == second.url
    assert Agreement.objects.filter(tenant=tenant_a).count() == 1


def test_responsible_and_technician_must_have_the_right_role(
    tenant_a, manager_a, technician_a, dispatcher_a, client
):
    agreement = agreement_with_line(tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_edit", args=[agreement.pk])
    data = _agreement_data(agreement.customer, responsible=technician_a.pk)
    _refused_beside(client.post(url, data), "responsible", "valid choice")
    data = _agreement_data(agreement.customer, preferred_technician=dispatcher_a.pk)
    _refused_beside(client.post(url, data), "preferred_technician", "valid choice")
    data = _agreement_data(
        agreement.customer, responsible=manager_a.pk, preferred_technician=technician_a.pk
    )
    assert client.post(url, data).status_code == 302
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (agreement.responsible, agreement.preferred_technician) == (manager_a, technician_a)


def test_the_service_refuses_people_of_the_wrong_role_or_tenant(
    tenant_a, manager_a, technician_a, manager_b
):
    agreement = agreement_with_line(tenant_a)
    data = {"responsible": manager_b, "preferred_technician": manager_a}
    with pytest.raises(services.ValidationError) as refused:
        services.agreement_update(
            tenant=tenant_a, by=manager_a, agreement_id=agreement.pk, data=data
        )
    assert set(refused.value.message_dict) == {"responsible", "preferred_technician"}


def test_an_expired_agreement_can_no_longer_be_edited(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.EXPIRED)
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_edit", args=[agreement.pk]),
        _agreement_data(agreement.customer, description="Changed"),
    )
    assert "can no longer be changed" in response.content.decode()
    assert Agreement.objects.get(pk=agreement.pk).description != "Changed"


def test_the_agreement_dates_must_keep_the_lines_inside(tenant_a, manager_a):
    agreement = agreement_with_line(tenant_a)
    agreement.lines.update(end_date=datetime.date(2026, 12, 31))
    with pytest.raises(services.ValidationError) as refused:
        services.agreement_update(
            tenant=tenant_a,
            by=manager_a,
            agreement_id=agreement.pk,
            data={"end_date": datetime.date(2026, 6, 30)},
        )
    assert "fall outside" in refused.value.message_dict["end_date"][0]


# --- Object and task relations -----------------------------------------------------------------


def test_objects_are_limited_to_the_agreement_customer(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    own = ServiceObjectFactory(customer=agreement.customer)
    foreign = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    client.force_login(manager_a)
    page = client.get(_detail(agreement)).content.decode()
    assert own.name in page and foreign.name not in page  # only the customer's are offered

    url = reverse("agreements:agreement_object_add", args=[agreement.pk])
    response = client.post(url, {"service_object": foreign.pk})
    assert response.status_code == 200
    assert "of the agreement&#x27;s customer" in response.content.decode()
    assert response.context["object_form"].errors["service_object"]
    assert client.post(url, {"service_object": own.pk}).status_code == 302
    covered = set(agreement.object_links.values_list("service_object_id", flat=True))
    assert own.pk in covered and foreign.pk not in covered


def test_an_object_used_by_a_line_cannot_be_removed(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    link = agreement.object_links.get()
    client.force_login(manager_a)
    url = reverse("agreements:agreement_object_remove", args=[agreement.pk, link.pk])
    response = client.post(url, CONFIRMED, follow=True)
    assert "change or delete them first" in response.content.decode()
    assert AgreementObject.objects.filter(pk=link.pk).exists()
    agreement.lines.all().delete()
    client.post(url, CONFIRMED)
    assert not AgreementObject.objects.filter(pk=link.pk).exists()


def test_a_task_used_by_lines_cannot_be_removed_and_the_message_names_them(
    tenant_a, manager_a, client
):
    agreement = agreement_with_line(tenant_a)
    link = agreement.task_links.get()
    line = agreement.lines.get()
    client.force_login(manager_a)
    url = reverse("agreements:agreement_task_remove", args=[agreement.pk, link.pk])
    page = client.post(url, CONFIRMED, follow=True).content.decode()
    assert f"Lines {line.position} use {link.task}; change or delete them first." in page
    assert agreement.task_links.filter(pk=link.pk).exists()


def test_tasks_are_added_and_removed(tenant_a, manager_a, client):
    from tests.factories import ServiceTaskFactory

    agreement = agreement_with_line(tenant_a)
    task = ServiceTaskFactory(tenant=tenant_a)
    client.force_login(manager_a)
    client.post(reverse("agreements:agreement_task_add", args=[agreement.pk]), {"task": task.pk})
    link = agreement.task_links.get(task=task)
    client.post(
        reverse("agreements:agreement_task_remove", args=[agreement.pk, link.pk]), CONFIRMED
    )
    assert not agreement.task_links.filter(task=task).exists()


# --- Lines -------------------------------------------------------------------------------------


def _line_data(agreement, **overrides):
    data = {
        "kind": LineKind.HOUR,
        "description": "Inspection",
        "service_object": agreement.object_links.get().service_object_id,
        "task": agreement.task_links.get().task_id,
        "interval_unit": IntervalUnit.WEEK,
        "interval_count": "3",
        "excluded_months": ["8"],
        "exclude_holidays": "on",
        "time_window": TimeWindow.DAYS_AROUND,
        "window_days_before": "2",
        "window_days_after": "2",
        "quantity": "1.5",
        "unit_price": "80.00",
    }
    data.update(overrides)
    return data


def test_manager_adds_a_line_and_sees_its_interval_in_words(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:line_create", args=[agreement.pk]), _line_data(agreement)
    )
    assert response.status_code == 302
    line = agreement.lines.order_by("position").last()
    assert (line.interval_unit, line.interval_count, line.excluded_months) == ("week", 3, [8])
    assert (line.quantity, line.unit_price, line.position) == (
        Decimal("1.5"),
        Decimal("80.00"),
        agreement.lines.order_by("position").first().position + 10,
    )
    page = client.get(_detail(agreement)).content.decode()
    assert "Every 3 weeks, not in August, not on holidays; window ±2 days" in page


def _another_customers_object(agreement):
    return ServiceObjectFactory(customer=CustomerFactory(tenant=agreement.tenant)).pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"interval_count": "0"}, "interval_count", "at least 1"),
        ({"unit_price": "-1"}, "unit_price", "cannot be negative"),
        ({"quantity": "-1"}, "quantity", "cannot be negative"),
        (
            {"start_date": "2026-05-01", "end_date": "2026-04-30"},
            "end_date",
            "cannot be before the start date",
        ),
        ({"start_date": "2025-12-31"}, "start_date", "cannot start before the agreement"),
        ({"service_object": _another_customers_object}, "service_object", "another customer"),
        ({"kind": "item"}, "item", "needs an item"),
        ({"excluded_months": [str(m) for m in range(1, 13)]}, "excluded_months", "no visits"),
    ],
    ids=[
        "interval-0",
        "negative-price",
        "negative-quantity",
        "end-before-start",
        "before-agreement",
        "other-customers-object",
        "item-without-item",
        "every-month-excluded",
    ],
)
def test_bad_line_input_is_refused_beside_the_field(
    tenant_a, manager_a, client, overrides, field, message
):
    agreement = agreement_with_line(tenant_a)
    overrides = {k: v(agreement) if callable(v) else v for k, v in overrides.items()}
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:line_create", args=[agreement.pk]), _line_data(agreement, **overrides)
    )
    _refused_beside(response, field, message)
    assert agreement.lines.count() == 1


def test_a_line_may_only_use_objects_and_tasks_of_its_agreement(tenant_a, manager_a):
    from tests.factories import ServiceTaskFactory

    agreement = agreement_with_line(tenant_a)
    uncovered = ServiceObjectFactory(customer=agreement.customer)
    unrelated_task = ServiceTaskFactory(tenant=tenant_a)
    with pytest.raises(services.ValidationError) as refused:
        services.agreement_line_create(
            tenant=tenant_a,
            by=manager_a,
            agreement_id=agreement.pk,
            data={"service_object": uncovered, "task": unrelated_task, "interval_unit": "week"},
        )
    assert "not covered by the agreement" in refused.value.message_dict["service_object"][0]
    assert "not part of the agreement" in refused.value.message_dict["task"][0]


def test_an_item_line_and_a_technician(tenant_a, manager_a, technician_a, dispatcher_a, client):
    agreement = agreement_with_line(tenant_a)
    item = ItemFactory(tenant=tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:line_create", args=[agreement.pk])
    data = _line_data(agreement, kind="item", item=item.pk)
    _refused_beside(
        client.post(url, {**data, "technician": dispatcher_a.pk}), "technician", "valid choice"
    )
    assert client.post(url, {**data, "technician": technician_a.pk}).status_code == 302
    line = agreement.lines.get(item=item)
    assert line.technician == technician_a


def test_a_line_is_edited_stopped_restarted_and_deleted(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:line_edit", args=[line.pk]),
        _line_data(agreement, interval_unit="month", interval_count="1", time_window="exact"),
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.interval_unit, line.window_days_before) == ("month", 0)

    client.post(reverse("agreements:line_stop", args=[line.pk]), CONFIRMED)
    line.refresh_from_db()
    assert line.is_stopped
    assert "Stopped" in client.get(_detail(agreement)).content.decode()
    client.post(reverse("agreements:line_unstop", args=[line.pk]))
    line.refresh_from_db()
    assert not line.is_stopped
    client.post(reverse("agreements:line_delete", args=[line.pk]), CONFIRMED)
    assert not AgreementLine.objects.filter(pk=line.pk).exists()
    actions = set(AuditEvent.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"agreement.line_update", "agreement.line_stop", "agreement.line_delete"} <= actions


def test_a_line_with_generated_orders_is_stopped_not_deleted(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    line = agreement.lines.get()
    order = ServiceOrderFactory(customer=agreement.customer, agreement=agreement)
    ServiceOrderLineFactory(order=order, agreement_line=line)
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:line_delete", args=[line.pk]), CONFIRMED, follow=True
    )
    assert "stop it instead" in response.content.decode()
    assert AgreementLine.objects.filter(pk=line.pk).exists()


# --- The detail page ---------------------------------------------------------------------------


def test_the_detail_page_shows_errors_orders_partial_and_generate_link(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    run = GenerationRunFactory(tenant=tenant_a)
    GenerationErrorFactory(run=run, agreement=agreement, message="Old failure")
    GenerationErrorFactory(
        run=run,
        agreement=agreement,
        message="Resolved failure",
        resolved_at=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
    )
    client.force_login(manager_a)
    page = client.get(_detail(agreement)).content.decode()
    assert page.index("Old failure") < page.index("Resolved failure")  # unresolved first
    orders = reverse("service_orders:agreement_orders")
    assert f'hx-get="{orders}?agreement={agreement.pk}"' in page
    assert f'href="{reverse("service_orders:order_list")}?agreement={agreement.pk}"' in page
    assert f'href="{reverse("service_orders:generation")}?agreement={agreement.pk}"' in page


def test_the_detail_page_runs_a_constant_number_of_queries(
    tenant_a, manager_a, client, django_assert_max_num_queries
):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    client.force_login(manager_a)
    client.get(_detail(agreement))  # warm up
    link = agreement.object_links.get()
    run = GenerationRunFactory(tenant=tenant_a)
    for _ in range(35):
        AgreementLineFactory(
            agreement=agreement,
            service_object=link.service_object,
            task=agreement.task_links.get().task,
            item=ItemFactory(tenant=tenant_a),
        )
        AgreementObjectFactory(agreement=agreement)
        GenerationErrorFactory(run=run, agreement=agreement)
    # 19: the page also lists the rate card and offers the technicians for bulk line changes.
    with django_assert_max_num_queries(19):
        response = client.get(_detail(agreement))
    assert response.content.decode().count('data-testid="line-schedule"') == 36


# --- The list ----------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_exports(tenant_a, tenant_b, manager_a, client):
    gold = AgreementGroupFactory(tenant=tenant_a, code="GOLD")
    acme = CustomerFactory(tenant=tenant_a, name="Acme")
    active = AgreementFactory(customer=acme, group=gold, description="Boilers Acme")
    Agreement.objects.filter(pk=active.pk).update(state=AgreementState.ACTIVE)
    AgreementFactory(customer=acme, description="Pumps Acme")
    AgreementFactory(customer=CustomerFactory(tenant=tenant_a), description="Boilers other")
    AgreementFactory(customer=None, tenant=tenant_a, is_template=True, description="Boilers tpl")
    AgreementFactory(customer=CustomerFactory(tenant=tenant_b), description="Boilers beta")
    client.force_login(manager_a)
    url = reverse("agreements:agreement_list")

    def descriptions(**params):
        return sorted(a.description for a in client.get(url, params).context["rows"])

    assert descriptions(q="boilers") == ["Boilers Acme", "Boilers other", "Boilers tpl"]
    assert descriptions(q="boilers", templates="exclude") == ["Boilers Acme", "Boilers other"]
    assert descriptions(templates="only") == ["Boilers tpl"]
    assert descriptions(customer=acme.pk) == ["Boilers Acme", "Pumps Acme"]
    assert descriptions(group=gold.pk) == ["Boilers Acme"]
    assert descriptions(state="active") == ["Boilers Acme"]
    numbers = [a.number for a in client.get(url, {"sort": "-number"}).context["rows"]]
    assert numbers == sorted(numbers, reverse=True)

    csv = client.get(url, {"q": "boilers", "templates": "exclude", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert body.splitlines()[0].startswith("Number,Description,Customer")
    assert "Boilers Acme" in body and "Active" in body and "Boilers tpl" not in body
    assert "Boilers beta" not in body


def test_the_list_runs_a_constant_number_of_queries(
    tenant_a, manager_a, client, django_assert_max_num_queries
):
    client.force_login(manager_a)
    client.get(reverse("agreements:agreement_list"))  # warm up
    group = AgreementGroupFactory(tenant=tenant_a)
    for _ in range(30):
        AgreementFactory(customer=CustomerFactory(tenant=tenant_a), group=group)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("agreements:agreement_list"))
    assert len(response.context["rows"]) == 25


# --- Roles -------------------------------------------------------------------------------------

READ = {Role.TENANT_ADMIN, Role.SERVICE_MANAGER, Role.DISPATCHER}
WRITE = {Role.TENANT_ADMIN, Role.SERVICE_MANAGER}


@pytest.mark.parametrize("role", Role.values)
def test_role_access(role, tenant_a, make_member, client):
    agreement = agreement_with_line(tenant_a)
    group = AgreementGroupFactory(tenant=tenant_a)
    client.force_login(make_member(tenant_a, role))
    pages = {
        reverse("agreements:agreement_list"): READ,
        _detail(agreement): READ,
        reverse("customers:agreement_group_list"): READ,
        reverse("agreements:template_group_list"): READ,
        reverse("agreements:agreement_create"): WRITE,
        reverse("agreements:agreement_from_template"): WRITE,
        reverse("agreements:agreement_edit", args=[agreement.pk]): WRITE,
        reverse("agreements:line_create", args=[agreement.pk]): WRITE,
        reverse("customers:agreement_group_create"): WRITE,
        reverse("customers:agreement_group_edit", args=[group.pk]): WRITE,
        reverse("agreements:template_group_create"): WRITE,
        reverse("agreements:agreement_mark_template", args=[agreement.pk]): WRITE,
    }
    for url, roles in pages.items():
        assert client.get(url).status_code == (200 if role in roles else 403), url


def test_buttons_are_hidden_from_readers(tenant_a, dispatcher_a, client):
    agreement = agreement_with_line(tenant_a)
    client.force_login(dispatcher_a)
    page = client.get(_detail(agreement)).content.decode()
    for url_name in ("agreement_edit", "line_create", "agreement_mark_template"):
        assert reverse(f"agreements:{url_name}", args=[agreement.pk]) not in page
    assert reverse("service_orders:generation") not in page
    listing = client.get(reverse("agreements:agreement_list")).content.decode()
    assert reverse("agreements:agreement_create") not in listing
