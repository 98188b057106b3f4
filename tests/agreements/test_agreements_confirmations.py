"""The agreement page's irreversible actions ask first (web.confirm): without JavaScript a GET
shows the question naming the record and its consequence, and a POST without the confirmation
changes nothing; cancelling needs a reason, kept and shown; a deleted line can be undone for a
few minutes from the next page."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from agreements import services
from agreements.models import Agreement, AgreementLine, AgreementObject, AgreementState
from tenancy.models import AuditEvent
from tenancy.roles import Role
from web.undo import UNDO_SECONDS

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "1"}
HTMX = {"HX-Request": "true"}


def _state(agreement) -> str:
    return Agreement.objects.get(pk=agreement.pk).state


def _detail(agreement) -> str:
    return reverse("agreements:agreement_detail", args=[agreement.pk])


@pytest.mark.parametrize(
    ("transition", "data", "question", "after"),
    [
        ("cancel", {"reason": "Contract terminated"}, "Cancel agreement", AgreementState.CANCELLED),
        ("expire", {}, "Mark agreement", AgreementState.EXPIRED),
        ("suspend", {"reason": ""}, "Suspend agreement", AgreementState.SUSPENDED),
    ],
)
def test_a_state_change_asks_first(tenant_a, manager_a, client, transition, data, question, after):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    client.force_login(manager_a)
    page = client.get(_detail(agreement)).content.decode()
    url = reverse(f"agreements:agreement_{transition}", args=[agreement.pk])
    assert f'href="{url}"' in page and f'hx-get="{url}"' in page  # a link, not a one-click form

    shown = client.get(url).content.decode()
    assert f"{question} {agreement.number}" in shown or agreement.number in shown
    assert 'data-testid="consequence"' in shown
    assert client.post(url, data).status_code == 200  # no confirmation: nothing happens
    assert _state(agreement) == AgreementState.ACTIVE

    response = client.post(url, data | CONFIRMED)
    assert response.status_code == 302 and response.url == _detail(agreement)
    assert _state(agreement) == after


def test_cancelling_an_agreement_needs_a_reason_that_its_page_shows(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_cancel", args=[agreement.pk])
    refused = client.post(url, {"reason": "", **CONFIRMED})
    assert refused.status_code == 200
    assert "Give a reason." in refused.context["confirmation"].form.errors["reason"]
    assert 'data-field="reason"' in refused.content.decode()
    assert _state(agreement) == AgreementState.ACTIVE

    client.post(url, {"reason": "The customer moved to a competitor", **CONFIRMED})
    assert _state(agreement) == AgreementState.CANCELLED
    assert Agreement.objects.get(pk=agreement.pk).cancel_reason == (
        "The customer moved to a competitor"
    )
    event = AuditEvent.objects.get(tenant=tenant_a, action="agreement.cancel")
    assert event.changes["reason"] == "The customer moved to a competitor"
    page = client.get(_detail(agreement)).content.decode()
    assert "The customer moved to a competitor" in page.split('data-testid="cancel-reason"')[1]


def test_a_lost_race_in_the_dialog_answers_409(tenant_a, manager_a, make_member, client):
    agreement = agreement_with_line(tenant_a, state=AgreementState.ACTIVE)
    other = make_member(tenant_a, Role.SERVICE_MANAGER)
    client.force_login(manager_a)
    url = reverse("agreements:agreement_cancel", args=[agreement.pk])
    assert "<html" not in client.get(url, headers=HTMX).content.decode()
    services.agreement_cancel(tenant=tenant_a, agreement_id=agreement.pk, by=other, reason="x")
    response = client.post(url, {"reason": "too", **CONFIRMED}, headers=HTMX)
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()
    plain = client.post(url, {"reason": "too", **CONFIRMED})
    assert plain.status_code == 409 and 'data-testid="refusal"' in plain.content.decode()


def test_removing_an_object_asks_first(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    agreement.lines.all().delete()
    link = agreement.object_links.select_related("service_object").get()
    client.force_login(manager_a)
    url = reverse("agreements:agreement_object_remove", args=[agreement.pk, link.pk])
    shown = client.get(url).content.decode()
    assert f"Remove {link.service_object} from {agreement.number}?" in shown
    client.post(url)
    assert AgreementObject.objects.filter(pk=link.pk).exists()
    response = client.post(url, CONFIRMED, follow=True)
    assert not AgreementObject.objects.filter(pk=link.pk).exists()
    assert f"{link.service_object} removed from {agreement.number}." in response.content.decode()


def test_stopping_a_line_asks_first(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    url = reverse("agreements:line_stop", args=[line.pk])
    assert f"Stop line {line.position} of {agreement.number}?" in client.get(url).content.decode()
    client.post(url)
    assert not AgreementLine.objects.get(pk=line.pk).is_stopped
    client.post(url, CONFIRMED)
    assert AgreementLine.objects.get(pk=line.pk).is_stopped


def _delete_line(client, line):
    url = reverse("agreements:line_delete", args=[line.pk])
    client.post(url)  # skipped the confirmation
    assert AgreementLine.objects.filter(pk=line.pk).exists()
    return client.post(url, CONFIRMED, follow=True)


def _undo_form(html: str) -> dict:
    offer = html.split('data-testid="undo-offer"')[1].split("</form>")[0]
    token = offer.split('name="undo_token" value="')[1].split('"')[0]
    return {"undo_token": token}


def test_a_deleted_line_comes_back_with_undo(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    line = agreement.lines.select_related("service_object", "task").get()
    before = (line.position, line.service_object_id, line.task_id, line.interval_unit)
    client.force_login(manager_a)
    response = _delete_line(client, line)
    html = response.content.decode()
    assert not AgreementLine.objects.filter(pk=line.pk).exists()
    assert f"Line {line.position} deleted." in html and 'data-testid="undo"' in html
    # The offer is for this page view only.
    assert 'data-testid="undo-offer"' not in client.get(_detail(agreement)).content.decode()

    restore = reverse("agreements:line_restore")
    response = client.post(restore, _undo_form(html), follow=True)
    assert f"Line {line.position} is back." in response.content.decode()
    back = AgreementLine.objects.get(pk=line.pk)
    assert (back.position, back.service_object_id, back.task_id, back.interval_unit) == before
    assert AuditEvent.objects.filter(tenant=tenant_a, action="agreement.line_restore").exists()
    # A second press of the same Undo changes nothing.
    again = client.post(restore, _undo_form(html), follow=True)
    assert "is back already" in again.content.decode()
    assert AgreementLine.objects.filter(agreement=agreement).count() == 1


def test_undo_expires_and_belongs_to_its_user(tenant_a, manager_a, make_member, client):
    agreement = agreement_with_line(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        undo = _undo_form(_delete_line(client, line).content.decode())
    restore = reverse("agreements:line_restore")

    other = make_member(tenant_a, Role.SERVICE_MANAGER)
    client.force_login(other)
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        refused = client.post(restore, undo, follow=True)
    assert "This undo is not valid." in refused.content.decode()

    client.force_login(manager_a)
    late = start + datetime.timedelta(seconds=UNDO_SECONDS + 1)
    with time_machine.travel(late, tick=False):
        response = client.post(restore, undo, follow=True)
    assert "too late to undo" in response.content.decode()
    assert not AgreementLine.objects.filter(pk=line.pk).exists()

    with time_machine.travel(start + datetime.timedelta(seconds=UNDO_SECONDS - 5), tick=False):
        client.post(restore, undo)
    assert AgreementLine.objects.filter(pk=line.pk).exists()


def test_undo_is_refused_once_the_agreement_is_no_longer_editable(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    line = agreement.lines.get()
    client.force_login(manager_a)
    undo = _undo_form(_delete_line(client, line).content.decode())
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.CANCELLED)
    response = client.post(reverse("agreements:line_restore"), undo, follow=True)
    assert "can no longer be changed" in response.content.decode()
    assert not AgreementLine.objects.filter(pk=line.pk).exists()
