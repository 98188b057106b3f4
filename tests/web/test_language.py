"""The language: the tenant's default, then each person's own choice (set_language)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_tenant_default_language_then_personal_choice(tenant_a, manager_a, client):
    tenant_a.default_language = "pl"
    tenant_a.save()
    client.force_login(manager_a)
    assert client.get(reverse("home")).headers["Content-Language"] == "pl"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    manager_a.refresh_from_db()
    assert manager_a.language == "fr"
    assert client.get(reverse("home")).headers["Content-Language"] == "fr"


def test_unknown_language_is_refused(client, db):
    assert client.post(reverse("set_language"), {"language": "xx"}).status_code == 400


def test_language_switch_does_not_redirect_off_site(client, db):
    response = client.post(
        reverse("set_language"), {"language": "et", "next": "https://evil.test/"}
    )
    assert response.url == "/"


def _member_of_both(tenant_a, tenant_b, language=""):
    from tenancy.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(language=language)
    MembershipFactory(tenant=tenant_a, user=user, role=Role.SERVICE_MANAGER)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.SERVICE_MANAGER)
    return user


def _switch(client, tenant):
    response = client.post(reverse("switch_tenant"), {"tenant": tenant.pk}, follow=True)
    return response, response.content.decode()


def test_after_a_tenant_switch_the_message_is_in_the_new_tenants_language(
    tenant_a, tenant_b, client
):
    tenant_a.default_language, tenant_b.default_language = "pl", "pt-br"
    tenant_a.save()
    tenant_b.save()
    client.force_login(_member_of_both(tenant_a, tenant_b))
    response, html = _switch(client, tenant_b)
    assert response.headers["Content-Language"] == "pt-br"
    assert "Agora você está trabalhando em Beta Serviços." in html
    response, html = _switch(client, tenant_a)
    assert response.headers["Content-Language"] == "pl"
    assert "Pracujesz teraz w firmie Alpha Services." in html


def test_a_personal_language_stays_across_a_tenant_switch(tenant_a, tenant_b, client):
    tenant_b.default_language = "pt-br"
    tenant_b.save()
    client.force_login(_member_of_both(tenant_a, tenant_b, language="fr"))
    response, html = _switch(client, tenant_b)
    assert response.headers["Content-Language"] == "fr"
    assert "Vous travaillez maintenant dans Beta Serviços." in html


def test_the_tenant_and_language_switchers_are_labelled_and_look_different(
    tenant_a, tenant_b, client
):
    tenant_a.default_language = "pl"
    tenant_a.save()
    client.force_login(_member_of_both(tenant_a, tenant_b))
    html = client.get(reverse("home")).content.decode()
    tenant_form = html.split('data-testid="tenant-switcher"')[1].split("</form>")[0]
    language_form = html.split('data-testid="language-switcher"')[1].split("</form>")[0]
    # Each carries a visible label (not only one for screen readers), in the page's language.
    assert (
        'class="input-group-text" for="fl-tenant" data-testid="tenant-switcher-label">Firma<'
        in (tenant_form)
    )
    assert 'data-testid="language-switcher-label">Język<' in language_form
    assert "visually-hidden" not in tenant_form + language_form
    # They are styled apart: the tenant a solid control, the language an outlined one.
    assert (
        "fl-switch-tenant" in html.split('data-testid="tenant-switcher"')[0].rsplit("<form", 1)[1]
    )
    assert (
        "fl-switch-language"
        in html.split('data-testid="language-switcher"')[0].rsplit("<form", 1)[1]
    )
