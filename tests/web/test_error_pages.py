"""Error pages look like the rest of Fieldline and say what to do next."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_unknown_address_is_the_styled_404(client, manager_a):
    client.force_login(manager_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html
    assert 'class="navbar' in html  # the normal layout, menu included


def test_refused_page_is_the_styled_403(tenant_a, technician_a, client):
    client.force_login(technician_a)
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 403
    assert "You may not open this page" in response.content.decode()


def test_server_error_page_renders_without_any_request_context():
    # Django renders 500.html with no context at all: it must not need one.
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "Nothing was saved" in html


@pytest.mark.parametrize("path", ["/no-such-page/", "/customers/999999/"])
def test_with_debug_on_a_missing_page_is_still_the_styled_404(client, manager_a, settings, path):
    """`./dev run` runs with DEBUG = True: it shows our 404, never Django's technical page with
    the project's URL patterns (an unknown address, and a record that does not exist)."""
    settings.DEBUG = True
    client.force_login(manager_a)
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and 'class="navbar' in html
    assert "URLconf" not in html and "DEBUG = True" not in html


def test_with_debug_on_the_404_page_is_in_the_readers_language(client, manager_a, settings):
    settings.DEBUG = True
    manager_a.language = "pl"
    manager_a.save()
    client.force_login(manager_a)
    html = client.get("/no-such-page/").content.decode()
    assert "Ta strona nie istnieje" in html
