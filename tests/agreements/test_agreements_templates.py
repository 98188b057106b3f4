"""Templates (marking, creating agreements from them) and renewals."""

import datetime

import pytest
from django.urls import reverse

from agreements import services
from agreements.models import Agreement, AgreementState, IntervalUnit
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementTaskFactory,
    CustomerFactory,
    ServiceOrderFactory,
    TemplateGroupFactory,
)

from .isolation_cases_agreements import agreement_with_line, with_state

pytestmark = pytest.mark.django_db


def _detail(agreement) -> str:
    return reverse("agreements:agreement_detail", args=[agreement.pk])


# --- Marking as a template ---------------------------------------------------------------------


def test_a_draft_without_orders_becomes_a_template(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    folder = TemplateGroupFactory(tenant=tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_mark_template", args=[agreement.pk])
    assert client.post(url, {"template_group": folder.pk}).url == _detail(agreement)
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.is_template and agreement.template_group == folder
    page = client.get(_detail(agreement)).content.decode()
    assert 'data-testid="template-badge"' in page
    assert reverse("agreements:agreement_activate", args=[agreement.pk]) not in page


def test_an_agreement_with_orders_cannot_become_a_template(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    ServiceOrderFactory(customer=agreement.customer, agreement=agreement)
    folder = TemplateGroupFactory(tenant=tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_mark_template", args=[agreement.pk])
    assert "already has service orders" in client.get(url).content.decode()  # warned up front
    response = client.post(url, {"template_group": folder.pk})
    assert response.status_code == 200
    assert "already has service orders" in " ".join(response.context["form"].non_field_errors())
    assert not Agreement.objects.get(pk=agreement.pk).is_template


def test_only_a_draft_becomes_a_template(tenant_a, manager_a):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    with pytest.raises(services.ValidationError, match="Only a draft"):
        services.agreement_mark_template(
            tenant=tenant_a,
            by=manager_a,
            agreement_id=agreement.pk,
            template_group=TemplateGroupFactory(tenant=tenant_a),
        )
    assert not Agreement.objects.get(pk=agreement.pk).is_template


def test_a_template_needs_a_template_group(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    client.force_login(manager_a)
    response = client.post(reverse("agreements:agreement_mark_template", args=[agreement.pk]))
    assert "template_group" in response.context["form"].errors
    assert not Agreement.objects.get(pk=agreement.pk).is_template


# --- Creating from a template ------------------------------------------------------------------


@pytest.fixture
def template(tenant_a):
    """A template of customer "Old" covering two of its objects and two tasks, with three lines:
    one per object and one without an object."""
    old = CustomerFactory(tenant=tenant_a, name="Old")
    template = AgreementFactory(
        customer=old,
        is_template=True,
        description="Annual boiler maintenance",
        start_date=datetime.date(2026, 1, 1),
    )
    first = AgreementObjectFactory(agreement=template).service_object
    second = AgreementObjectFactory(agreement=template).service_object
    task = AgreementTaskFactory(agreement=template).task
    AgreementTaskFactory(agreement=template)
    AgreementLineFactory(agreement=template, service_object=first, task=task, description="A")
    AgreementLineFactory(agreement=template, service_object=second, description="B")
    AgreementLineFactory(
        agreement=template,
        description="Fee",
        interval_unit=IntervalUnit.YEAR,
        start_date=datetime.date(2026, 2, 1),
        excluded_months=[8],
    )
    return template


def test_a_new_agreement_copies_the_template_for_another_customer(
    tenant_a, manager_a, client, template
):
    new_customer = CustomerFactory(tenant=tenant_a, name="New")
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_from_template"),
        {"template": template.pk, "customer": new_customer.pk, "start_date": "2026-04-01"},
        follow=True,
    )
    agreement = Agreement.objects.get(tenant=tenant_a, customer=new_customer)
    assert response.redirect_chain[-1][0] == _detail(agreement)
    assert "2 lines were left out" in response.content.decode()
    assert (agreement.state, agreement.is_template, agreement.created_from) == (
        AgreementState.DRAFT,
        False,
        template,
    )
    assert agreement.description == template.description
    assert agreement.group_id == template.group_id and agreement.sla_id == template.sla_id
    assert agreement.combine_rule == template.combine_rule
    # The objects belong to the template's customer: neither they nor their lines come along.
    assert not agreement.object_links.exists()
    assert agreement.task_links.count() == 2
    fee = agreement.lines.get()
    assert (fee.description, fee.excluded_months, fee.start_date) == (
        "Fee",
        [8],
        datetime.date(2026, 5, 1),  # moved like the agreement: three months later
    )
    assert template.lines.count() == 3 and template.object_links.count() == 2


def test_the_templates_own_customer_keeps_its_objects_and_lines(tenant_a, manager_a, template):
    agreement, left_out = services.agreement_create_from_template(
        tenant=tenant_a,
        by=manager_a,
        template_id=template.pk,
        customer=template.customer,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    assert left_out == 0
    assert agreement.object_links.count() == 2 and agreement.lines.count() == 3
    assert sorted(agreement.lines.values_list("description", flat=True)) == ["A", "B", "Fee"]


def test_only_a_template_can_be_copied(tenant_a, manager_a):
    not_a_template = agreement_with_line(tenant_a)
    with pytest.raises(services.ValidationError) as refused:
        services.agreement_create_from_template(
            tenant=tenant_a,
            by=manager_a,
            template_id=not_a_template.pk,
            customer=not_a_template.customer,
            start_date=datetime.date(2026, 1, 1),
        )
    assert "template" in refused.value.message_dict


def test_end_before_start_is_refused_and_nothing_is_copied(tenant_a, manager_a, client, template):
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_from_template"),
        {
            "template": template.pk,
            "customer": CustomerFactory(tenant=tenant_a).pk,
            "start_date": "2026-04-01",
            "end_date": "2026-03-31",
        },
    )
    assert "cannot be before the start date" in " ".join(
        response.context["form"].errors["end_date"]
    )
    assert Agreement.objects.filter(tenant=tenant_a).count() == 1


# --- Renewal -----------------------------------------------------------------------------------


@pytest.fixture
def yearly(tenant_a):
    """An active agreement for 2026 with an object, a task and two lines with their own dates."""
    agreement = AgreementFactory(
        customer=CustomerFactory(tenant=tenant_a),
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    obj = AgreementObjectFactory(agreement=agreement).service_object
    AgreementTaskFactory(agreement=agreement)
    AgreementLineFactory(
        agreement=agreement,
        service_object=obj,
        description="Whole year",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    AgreementLineFactory(
        agreement=agreement,
        description="Autumn",
        start_date=datetime.date(2026, 9, 15),
        end_date=datetime.date(2026, 11, 30),
    )
    return with_state(agreement, AgreementState.ACTIVE)


def test_renewal_starts_the_day_after_for_the_same_duration(tenant_a, manager_a, client, yearly):
    client.force_login(manager_a)
    url = reverse("agreements:agreement_renew", args=[yearly.pk])
    proposal = client.get(url).context
    assert (proposal["proposed_start"], proposal["proposed_end"]) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
    )
    response = client.post(url, {})
    renewal = Agreement.objects.get(renewed_from=yearly)
    assert response.url == _detail(renewal)
    assert (renewal.start_date, renewal.end_date, renewal.state) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
        AgreementState.DRAFT,
    )
    dates = dict(renewal.lines.values_list("description", "start_date"))
    ends = dict(renewal.lines.values_list("description", "end_date"))
    assert dates == {"Whole year": datetime.date(2027, 1, 1), "Autumn": datetime.date(2027, 9, 15)}
    assert ends == {
        "Whole year": datetime.date(2027, 12, 31),
        "Autumn": datetime.date(2027, 11, 30),
    }
    assert renewal.object_links.count() == 1 and renewal.task_links.count() == 1
    old = Agreement.objects.get(pk=yearly.pk)
    assert (old.state, old.end_date, old.lines.count()) == (
        AgreementState.ACTIVE,
        datetime.date(2026, 12, 31),
        2,
    )


def test_renewal_to_a_chosen_end_date(tenant_a, manager_a, yearly):
    renewal, left_out = services.agreement_renew(
        tenant=tenant_a, by=manager_a, agreement_id=yearly.pk, end_date=datetime.date(2027, 6, 30)
    )
    assert (renewal.start_date, renewal.end_date, left_out) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 6, 30),
        1,  # "Autumn" would start after the new end
    )
    assert renewal.lines.get().end_date == datetime.date(2027, 6, 30)


@pytest.mark.parametrize(
    ("start", "end", "renewed_end"),
    [
        ("2026-03-15", "2026-09-14", "2027-03-14"),  # six months
        ("2027-01-01", "2027-12-31", "2028-12-31"),  # a year, into a leap year
        ("2026-01-01", "2026-01-10", "2026-01-20"),  # ten days
    ],
)
def test_renewal_end_dates(start, end, renewed_end):
    agreement = Agreement(
        start_date=datetime.date.fromisoformat(start), end_date=datetime.date.fromisoformat(end)
    )
    assert services.renewal_end_date(agreement) == datetime.date.fromisoformat(renewed_end)


def test_renewing_twice_is_refused_with_a_link(tenant_a, manager_a, client, yearly):
    renewal, _ = services.agreement_renew(tenant=tenant_a, by=manager_a, agreement_id=yearly.pk)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_renew", args=[yearly.pk])
    response = client.post(url, {})
    page = response.content.decode()
    assert 'data-testid="existing-renewal"' in page
    assert f'already renewed as <a href="{_detail(renewal)}">{renewal.number}</a>' in page
    assert Agreement.objects.filter(renewed_from=yearly).count() == 1
    detail = client.get(_detail(yearly)).content.decode()
    assert f'href="{_detail(renewal)}"' in detail and url not in detail


@pytest.mark.parametrize("state", [AgreementState.DRAFT, AgreementState.CANCELLED])
def test_only_running_or_expired_agreements_are_renewed(tenant_a, manager_a, yearly, state):
    Agreement.objects.filter(pk=yearly.pk).update(state=state)
    with pytest.raises(services.ValidationError, match="cannot be renewed"):
        services.agreement_renew(tenant=tenant_a, by=manager_a, agreement_id=yearly.pk)


def test_an_open_ended_agreement_is_not_renewed(tenant_a, manager_a):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    with pytest.raises(services.ValidationError, match="end date"):
        services.agreement_renew(tenant=tenant_a, by=manager_a, agreement_id=agreement.pk)


def test_an_expired_agreement_can_be_renewed(tenant_a, manager_a, yearly):
    Agreement.objects.filter(pk=yearly.pk).update(state=AgreementState.EXPIRED)
    renewal, _ = services.agreement_renew(tenant=tenant_a, by=manager_a, agreement_id=yearly.pk)
    assert renewal.renewed_from_id == yearly.pk
