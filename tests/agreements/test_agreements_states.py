"""Agreement states: every transition allowed or refused, lost races answer 409, suspensions with
and without back-fill, and the daily job that expires ended agreements."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from agreements import services
from agreements.models import Agreement, AgreementState, AgreementSuspension
from agreements.tasks import expire_ended
from tenancy.models import AuditEvent
from tests.factories import AgreementFactory

from .isolation_cases_agreements import agreement_with_line

pytestmark = pytest.mark.django_db

DRAFT, ACTIVE, SUSPENDED = AgreementState.DRAFT, AgreementState.ACTIVE, AgreementState.SUSPENDED
EXPIRED, CANCELLED = AgreementState.EXPIRED, AgreementState.CANCELLED

# transition -> (states it applies to, state it leads to)
ALLOWED = {
    "activate": ({DRAFT}, ACTIVE),
    "suspend": ({ACTIVE}, SUSPENDED),
    "resume": ({SUSPENDED}, ACTIVE),
    "expire": ({ACTIVE, SUSPENDED}, EXPIRED),
    "cancel": ({DRAFT, ACTIVE, SUSPENDED}, CANCELLED),
}


def _state(agreement) -> str:
    return Agreement.objects.get(pk=agreement.pk).state


@pytest.mark.parametrize("state", AgreementState.values)
@pytest.mark.parametrize("transition", sorted(ALLOWED))
def test_every_transition_from_every_state(tenant_a, manager_a, transition, state):
    agreement = agreement_with_line(tenant_a, state=state)
    sources, target = ALLOWED[transition]
    run = services.TRANSITIONS[transition]
    if state in sources:
        run(tenant=tenant_a, agreement_id=agreement.pk, by=manager_a)
        assert _state(agreement) == target
        event = AuditEvent.objects.get(tenant=tenant_a, action=f"agreement.{transition}")
        assert event.changes["state"] == [state, target] and event.actor == manager_a
    else:
        with pytest.raises(services.TransitionRefused):
            run(tenant=tenant_a, agreement_id=agreement.pk, by=manager_a)
        assert _state(agreement) == state
        assert not AuditEvent.objects.filter(tenant=tenant_a, action=f"agreement.{transition}")


def test_the_page_offers_only_the_allowed_transitions(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=SUSPENDED)
    client.force_login(manager_a)
    page = client.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content
    page = page.decode()
    for transition in ALLOWED:
        offered = f'data-testid="transition-{transition}"' in page
        assert offered == (SUSPENDED in ALLOWED[transition][0]), transition


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (lambda a: Agreement.objects.filter(pk=a.pk).update(is_template=True), "template"),
        (lambda a: a.lines.all().delete(), "at least one line"),
        (
            lambda a: Agreement.objects.filter(pk=a.pk).update(end_date=datetime.date(2020, 1, 31)),
            "ended on 2020-01-31",
        ),
    ],
    ids=["template", "no-lines", "already-ended"],
)
def test_activation_needs_a_ready_agreement(tenant_a, manager_a, client, arrange, message):
    agreement = agreement_with_line(tenant_a, start_date=datetime.date(2019, 1, 1))
    arrange(agreement)
    client.force_login(manager_a)
    response = client.post(reverse("agreements:agreement_activate", args=[agreement.pk]))
    assert response.status_code == 409
    assert message in response.content.decode()
    assert _state(agreement) == DRAFT


def test_a_template_without_customer_cannot_be_activated(tenant_a, manager_a):
    template = AgreementFactory(customer=None, tenant=tenant_a, is_template=True)
    with pytest.raises(services.TransitionRefused, match="template"):
        services.agreement_activate(tenant=tenant_a, agreement_id=template.pk, by=manager_a)


def test_resuming_a_draft_answers_409_with_the_current_state(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    client.force_login(manager_a)
    response = client.post(reverse("agreements:agreement_resume", args=[agreement.pk]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Only a suspended agreement can be resumed; this one is draft." in page
    assert 'data-testid="agreement-state">Draft<' in page
    assert not AgreementSuspension.objects.exists()


def test_a_lost_race_answers_409(tenant_a, manager_a, make_member, client):
    """Two managers press "Suspend" on the same active agreement; the second request sees the
    state the first left behind."""
    from tenancy.roles import Role

    other = make_member(tenant_a, Role.SERVICE_MANAGER)
    agreement = agreement_with_line(tenant_a, state=ACTIVE)
    services.agreement_suspend(tenant=tenant_a, agreement_id=agreement.pk, by=other)

    client.force_login(manager_a)
    response = client.post(
        reverse("agreements:agreement_suspend", args=[agreement.pk]),
        {"reason": "late", "confirmed": "1"},
    )
    assert response.status_code == 409
    assert 'data-testid="agreement-state">Suspended<' in response.content.decode()
    assert AgreementSuspension.objects.filter(agreement=agreement).count() == 1


def test_transitions_are_posts(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a)
    client.force_login(manager_a)
    assert (
        client.get(reverse("agreements:agreement_activate", args=[agreement.pk])).status_code == 405
    )
    assert _state(agreement) == DRAFT


def test_a_dispatcher_sees_the_state_but_no_buttons(tenant_a, dispatcher_a, client):
    agreement = agreement_with_line(tenant_a, state=ACTIVE)
    client.force_login(dispatcher_a)
    page = client.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content.decode()
    assert 'data-testid="agreement-state">Active<' in page
    assert 'data-testid="transition-' not in page
    response = client.post(
        reverse("agreements:agreement_suspend", args=[agreement.pk]), {"confirmed": "1"}
    )
    assert response.status_code == 403
    assert _state(agreement) == ACTIVE


@time_machine.travel(datetime.datetime(2026, 5, 10, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_suspend_then_resume_without_backfill(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=ACTIVE)
    client.force_login(manager_a)
    client.post(
        reverse("agreements:agreement_suspend", args=[agreement.pk]),
        {"reason": "Site closed", "confirmed": "1"},
    )
    suspension = AgreementSuspension.objects.get(agreement=agreement)
    assert (suspension.suspended_from, suspension.resumed_on) == (datetime.date(2026, 5, 10), None)
    assert suspension.reason == "Site closed"

    with time_machine.travel(datetime.datetime(2026, 5, 20, 9, 0, tzinfo=datetime.UTC)):
        response = client.post(reverse("agreements:agreement_resume", args=[agreement.pk]), {})
    assert response.url == reverse("agreements:agreement_detail", args=[agreement.pk])
    suspension.refresh_from_db()
    assert (suspension.resumed_on, suspension.backfill) == (datetime.date(2026, 5, 20), False)
    assert _state(agreement) == ACTIVE
    page = client.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content.decode()
    assert "Site closed" in page


def test_resume_with_backfill_records_it(tenant_a, manager_a, client):
    agreement = agreement_with_line(tenant_a, state=ACTIVE)
    services.agreement_suspend(tenant=tenant_a, agreement_id=agreement.pk, by=manager_a)
    client.force_login(manager_a)
    client.post(reverse("agreements:agreement_resume", args=[agreement.pk]), {"backfill": "on"})
    suspension = AgreementSuspension.objects.get(agreement=agreement)
    assert suspension.backfill is True and suspension.resumed_on is not None
    event = AuditEvent.objects.get(tenant=tenant_a, action="agreement.resume")
    assert event.changes["backfill"] is True


def test_suspension_starts_on_the_tenants_date(tenant_b, manager_b):
    """23:30 UTC on 9 May is still 9 May in São Paulo (UTC-3) but already 10 May in UTC+2."""
    agreement = agreement_with_line(tenant_b, state=ACTIVE)
    with time_machine.travel(datetime.datetime(2026, 5, 9, 23, 30, tzinfo=datetime.UTC)):
        services.agreement_suspend(tenant=tenant_b, agreement_id=agreement.pk, by=manager_b)
    suspension = AgreementSuspension.objects.get(agreement=agreement)
    assert suspension.suspended_from == datetime.date(2026, 5, 9)


# --- The daily expiry job ----------------------------------------------------------------------


def _ending(tenant, end_date, state):
    return agreement_with_line(tenant, state=state, end_date=end_date)


@time_machine.travel(datetime.datetime(2026, 7, 1, 0, 30, tzinfo=datetime.UTC), tick=False)
def test_the_expire_job_expires_ended_agreements_once(tenant_a, tenant_b):
    # 00:30 UTC on 1 July is 02:30 in Warsaw: 30 June has ended there.
    ended = _ending(tenant_a, datetime.date(2026, 6, 30), ACTIVE)
    ended_suspended = _ending(tenant_a, datetime.date(2026, 3, 31), SUSPENDED)
    running = _ending(tenant_a, datetime.date(2026, 7, 1), ACTIVE)
    draft = _ending(tenant_a, datetime.date(2026, 6, 30), DRAFT)
    open_ended = agreement_with_line(tenant_a, state=ACTIVE)
    other_tenant = _ending(tenant_b, datetime.date(2026, 6, 30), ACTIVE)

    assert expire_ended.apply(kwargs={"tenant_id": tenant_a.pk}).get() == 2

    assert _state(ended) == _state(ended_suspended) == EXPIRED
    assert _state(running) == _state(open_ended) == ACTIVE
    assert _state(draft) == DRAFT
    assert _state(other_tenant) == ACTIVE  # another tenant's job
    assert expire_ended.apply(kwargs={"tenant_id": tenant_a.pk}).get() == 0
    assert AuditEvent.objects.filter(tenant=tenant_a, action="agreement.expire").count() == 2


@time_machine.travel(datetime.datetime(2026, 7, 1, 0, 30, tzinfo=datetime.UTC), tick=False)
def test_the_expire_job_uses_the_tenants_date(tenant_b):
    # 00:30 UTC on 1 July is 21:30 on 30 June in São Paulo: the agreement still runs today.
    running = _ending(tenant_b, datetime.date(2026, 6, 30), ACTIVE)
    assert expire_ended.apply(kwargs={"tenant_id": tenant_b.pk}).get() == 0
    assert _state(running) == ACTIVE


def test_the_expire_job_is_scheduled_daily_for_every_tenant(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["expire-ended-agreements"]
    assert entry["task"] == "tenancy.fan_out"
    assert entry["args"] == ("agreements.expire_ended",)
    # Once a day: the schedule's next run is 24 hours after the previous one.
    schedule = entry["schedule"]
    assert schedule.hour == {0} and len(schedule.minute) == 1
