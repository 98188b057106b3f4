"""Bulk upkeep of an agreement through its pages: covering many objects at once, copying a
template's lines into a running agreement, changing chosen lines together. Each shows a
preview that saves nothing, saves on the confirmation with one audit event, and refuses a
tampered choice (another customer's object, another agreement's line) saving nothing."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import AgreementLine, AgreementObject, AgreementState, TimeWindow
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    AgreementTaskFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    TemplateGroupFactory,
)

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db


def _active(tenant):
    return agreement_with_line(tenant, state=AgreementState.ACTIVE)


def test_objects_by_site_and_group_are_previewed_then_added(tenant_a, manager_a, client):
    agreement = _active(tenant_a)
    customer = agreement.customer
    site = CustomerSiteFactory(customer=customer)
    pumps = ServiceObjectGroupFactory(tenant=tenant_a)
    wanted = [ServiceObjectFactory(customer=customer, site=site, group=pumps) for _ in range(3)]
    ServiceObjectFactory(customer=customer, site=site)  # another group
    ServiceObjectFactory(customer=customer, group=pumps)  # another site
    client.force_login(manager_a)
    url = reverse("agreements:objects_bulk", args=[agreement.pk])
    query = f"?site={site.pk}&group={pumps.pk}"
    page = client.get(url + query)
    assert {obj.pk for obj in page.context["candidates"]} == {obj.pk for obj in wanted}
    chosen = [str(obj.pk) for obj in wanted]
    preview = client.post(url + query, {"objects": chosen})
    assert preview.status_code == 200
    assert 'data-testid="confirmation"' in preview.content.decode()
    assert AgreementObject.objects.filter(agreement=agreement).count() == 1
    done = client.post(url + query, {"objects": chosen, "confirmed": "on"})
    assert done.status_code == 302
    covered = set(
        AgreementObject.objects.filter(agreement=agreement).values_list(
            "service_object_id", flat=True
        )
    )
    assert {obj.pk for obj in wanted} <= covered and len(covered) == 4
    event = AuditEvent.objects.get(action="agreement.objects_add_bulk")
    assert event.params["count"] == 3


def test_another_customers_object_among_the_chosen_adds_nothing(tenant_a, manager_a, client):
    agreement = _active(tenant_a)
    mine = ServiceObjectFactory(customer=agreement.customer)
    stranger = ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a))
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:objects_bulk", args=[agreement.pk]),
        {"objects": [mine.pk, stranger.pk], "confirmed": "on"},
    )
    assert response.status_code == 400
    assert "nothing was added" in response.content.decode()
    assert AgreementObject.objects.filter(agreement=agreement).count() == 1
    assert not AuditEvent.objects.filter(action="agreement.objects_add_bulk").exists()


def test_template_lines_are_copied_into_a_running_agreement(tenant_a, manager_a, client):
    agreement = _active(tenant_a)
    template = AgreementFactory(
        customer=None,
        tenant=tenant_a,
        is_template=True,
        template_group=TemplateGroupFactory(tenant=tenant_a),
    )
    task_link = AgreementTaskFactory(agreement=template)
    AgreementLineFactory(agreement=template, task=task_link.task, description="Filter change")
    AgreementLineFactory(agreement=template, description="Leak test", unit_price=None)
    # A line on an object this agreement does not cover is left out.
    AgreementLineFactory(
        agreement=template,
        service_object=ServiceObjectFactory(customer=CustomerFactory(tenant=tenant_a)),
    )
    client.force_login(manager_a)
    url = reverse("agreements:lines_copy", args=[agreement.pk])
    start = datetime.date(2026, 6, 1)
    data = {"template": template.pk, "start_date": start.isoformat()}
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert len(preview.context["copied"]) == 2 and len(preview.context["left_out"]) == 1
    assert agreement.lines.count() == 1
    done = client.post(url, {**data, "confirmed": "on"})
    assert done.status_code == 302
    copies = list(agreement.lines.exclude(pk=agreement.lines.order_by("pk").first().pk))
    assert sorted(line.description for line in copies) == ["Filter change", "Leak test"]
    assert {line.start_date for line in copies} == {start}
    assert agreement.task_links.filter(task=task_link.task).exists()
    assert AuditEvent.objects.get(action="agreement.lines_copy").params["count"] == 2


def test_a_copy_start_outside_the_agreement_is_refused(tenant_a, manager_a, client):
    agreement = _active(tenant_a)
    template = AgreementFactory(
        customer=None,
        tenant=tenant_a,
        is_template=True,
        template_group=TemplateGroupFactory(tenant=tenant_a),
    )
    AgreementLineFactory(agreement=template)
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:lines_copy", args=[agreement.pk]),
        {"template": template.pk, "start_date": "2025-01-01", "confirmed": "on"},
    )
    assert response.status_code == 200
    assert "start_date" in response.context["form"].errors
    assert agreement.lines.count() == 1


def test_chosen_lines_get_a_price_uplift_technician_and_window_together(
    tenant_a, manager_a, make_member, client
):
    agreement = _active(tenant_a)
    first = agreement.lines.get()
    second = AgreementLineFactory(
        agreement=agreement, task=first.task, unit_price=Decimal("200.00")
    )
    by_card = AgreementLineFactory(agreement=agreement, task=first.task, unit_price=None)
    untouched = AgreementLineFactory(agreement=agreement, task=first.task)
    technician = make_member(tenant_a, Role.TECHNICIAN)
    client.force_login(manager_a)
    url = reverse("agreements:lines_bulk", args=[agreement.pk])
    data = {
        "lines": [first.pk, second.pk, by_card.pk],
        "price_percent": "5",
        "technician": technician.pk,
        "time_window": TimeWindow.DAYS_AROUND,
        "window_days_before": "2",
        "window_days_after": "3",
    }
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert len(preview.context["planned"]) == 3
    second.refresh_from_db()
    assert second.unit_price == Decimal("200.00")
    done = client.post(url, {**data, "confirmed": "on"})
    assert done.status_code == 302
    rows = {line.pk: line for line in AgreementLine.objects.filter(agreement=agreement)}
    assert rows[first.pk].unit_price == (first.unit_price * Decimal("1.05")).quantize(
        Decimal("0.01")
    )
    assert rows[second.pk].unit_price == Decimal("210.00")
    assert rows[by_card.pk].unit_price is None  # priced by the rate card: kept
    assert {rows[pk].technician_id for pk in (first.pk, second.pk, by_card.pk)} == {technician.pk}
    assert (rows[second.pk].time_window, rows[second.pk].window_days_after) == (
        TimeWindow.DAYS_AROUND,
        3,
    )
    assert rows[untouched.pk].technician_id is None
    assert rows[untouched.pk].unit_price == untouched.unit_price
    event = AuditEvent.objects.get(action="agreement.lines_bulk_update")
    assert "technician" in event.params["fields"]


@pytest.mark.parametrize(
    "change, field",
    [({"price_percent": "-100.5"}, "price_percent"), ({}, "__all__")],
)
def test_a_price_fall_beyond_100_percent_or_no_change_is_refused(
    tenant_a, manager_a, client, change, field
):
    agreement = _active(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:lines_bulk", args=[agreement.pk]),
        {"lines": [line.pk], "confirmed": "on", **change},
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    line.refresh_from_db()
    assert line.unit_price == Decimal("100.00")


def test_a_line_of_another_agreement_among_the_chosen_changes_nothing(
    tenant_a, tenant_b, manager_a, client
):
    agreement = _active(tenant_a)
    line = agreement.lines.get()
    other = _active(tenant_a).lines.get()
    foreign = _active(tenant_b).lines.get()
    client.force_login(manager_a)
    for stranger in (other, foreign):
        response = client.post(
            reverse("agreements:lines_bulk", args=[agreement.pk]),
            {"lines": [line.pk, stranger.pk], "price_percent": "10", "confirmed": "on"},
        )
        assert response.status_code == 400
        assert "nothing was changed" in response.content.decode()
    for row in (line, other, foreign):
        row.refresh_from_db()
        assert row.unit_price == Decimal("100.00")
    assert not AuditEvent.objects.filter(action="agreement.lines_bulk_update").exists()


def test_the_bulk_pages_run_a_constant_number_of_queries(
    tenant_a, manager_a, client, django_assert_max_num_queries
):
    agreement = _active(tenant_a)
    client.force_login(manager_a)
    url = reverse("agreements:objects_bulk", args=[agreement.pk])
    client.get(url)
    for _ in range(20):
        ServiceObjectFactory(
            customer=agreement.customer,
            site=CustomerSiteFactory(customer=agreement.customer),
            group=ServiceObjectGroupFactory(tenant=tenant_a),
        )
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert len(response.context["candidates"]) == 20
