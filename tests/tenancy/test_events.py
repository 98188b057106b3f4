"""The activity log keeps each event's code and parameters and reads them in the reader's
language (tenancy.events): what a Polish user did reads in Portuguese for a Portuguese reader."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from agreements import services as agreement_services
from agreements.models import AgreementState
from sla import services as sla_services
from tenancy.events import event_types
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AuditEventFactory,
    MembershipFactory,
    ServiceLevelAgreementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _reader(tenant, language: str):
    user = UserFactory(language=language)
    MembershipFactory(tenant=tenant, user=user, role=Role.SERVICE_MANAGER)
    return user


def _polish_user_suspends_an_agreement(tenant):
    polish = _reader(tenant, "pl")
    agreement = AgreementFactory(
        customer__tenant=tenant, number="AG-000123", state=AgreementState.ACTIVE
    )
    with translation.override("pl"):  # as in a request of the Polish user
        agreement_services.agreement_suspend(tenant=tenant, agreement_id=agreement.pk, by=polish)
    return agreement


def test_an_event_keeps_its_code_and_parameters_not_the_actors_sentence(tenant_a):
    agreement = _polish_user_suspends_an_agreement(tenant_a)
    event = AuditEvent.objects.get(tenant=tenant_a, action="agreement.suspend")
    assert event.params == {"number": "AG-000123"}
    assert event.changes["state"] == [AgreementState.ACTIVE, AgreementState.SUSPENDED]
    assert event.summary == "AG-000123 suspended"  # the default language, not the actor's
    assert event.target_id == agreement.pk


def test_an_event_recorded_by_a_polish_user_reads_in_portuguese(tenant_a, client):
    _polish_user_suspends_an_agreement(tenant_a)
    client.force_login(_reader(tenant_a, "pt-br"))
    html = client.get(reverse("accounts:audit")).content.decode()
    assert "Contrato AG-000123 suspenso" in html
    assert "Zawieszono" not in html and "agreement.suspend" not in html
    for header in ("Quando", "Por", "Registro", "O que aconteceu"):
        assert header in html
    assert "Contrato AG-000123 suspenso" in client.get(reverse("home")).content.decode()


def test_the_polish_reader_reads_the_same_event_in_polish(tenant_a, client):
    _polish_user_suspends_an_agreement(tenant_a)
    client.force_login(_reader(tenant_a, "pl"))
    assert "Zawieszono umowę AG-000123" in client.get(reverse("accounts:audit")).content.decode()


def test_changed_fields_read_as_their_labels_in_the_readers_language(tenant_a, admin_a):
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD", name="Gold")
    sla_services.sla_update(
        tenant=tenant_a, by=admin_a, sla_id=sla.pk, data={"name": "Ouro", "is_suspended": True}
    )
    event = AuditEvent.objects.get(tenant=tenant_a, action="sla.update")
    with translation.override("pl"):
        text = event.text()
    assert "is_suspended" not in text and "zawieszon" in text
    assert "GOLD · Ouro" in text


def test_the_csv_export_reads_in_the_readers_language(tenant_a, client):
    _polish_user_suspends_an_agreement(tenant_a)
    client.force_login(_reader(tenant_a, "pt-br"))
    csv = client.get(reverse("accounts:audit") + "?format=csv").content.decode()
    assert "Contrato AG-000123 suspenso" in csv


def test_an_event_without_parameters_reads_as_its_recorded_summary(tenant_a, client):
    AuditEventFactory(tenant=tenant_a, action="settings.update", summary="Old row, as recorded")
    client.force_login(_reader(tenant_a, "pt-br"))
    html = client.get(reverse("accounts:audit")).content.decode()
    assert "Old row, as recorded" in html and "settings.update" not in html


def test_the_record_column_filters_by_the_kind_of_record(tenant_a, admin_a, client):
    _polish_user_suspends_an_agreement(tenant_a)
    sla = ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD", name="Gold")
    sla_services.sla_update(tenant=tenant_a, by=admin_a, sla_id=sla.pk, data={"name": "Ouro"})
    client.force_login(_reader(tenant_a, "en"))
    html = client.get(reverse("accounts:audit") + "?record=agreements.agreement").content.decode()
    assert "AG-000123 suspended" in html and "GOLD · Ouro" not in html
    assert "Showing changes to: Service agreement" in html


VARIANTS = ({}, {"template": True, "reason": "<reason>"})  # what sentence functions look at
COUNTS = {"count"}


def test_every_registered_sentence_reads_in_every_language():
    """Each event type's sentence renders with its parameters filled in each language: a
    translation naming a parameter the event lacks, or dropping one, fails here."""
    formatted = {"fields", "record", "role", "what", "date", "start", "end", "line"}
    assert {"agreement.activate", "member.add", "order.cancel"} <= {k.code for k in event_types()}
    for kind in event_types():
        for variant in VARIANTS:
            sentence = kind.sentence if isinstance(kind.sentence, str | Promise) else None
            english = str(sentence if sentence is not None else kind.sentence(variant))
            names = PLACEHOLDER.findall(english)
            params = {**variant, **{name: f"<{name}>" for name in names}}
            params.update(dict.fromkeys(COUNTS & set(names), 3))  # plural sentences count
            event = AuditEvent(action=kind.code, target_type="tenancy.tenant", params=params)
            for language in ("en", "pt-br", "ru", "pl", "fr", "et"):
                with translation.override(language):
                    text = event.text()
                assert "%(" not in text, (kind.code, language, text)
                for name in set(names) - formatted - COUNTS:
                    assert f"<{name}>" in text, (kind.code, language, text)
