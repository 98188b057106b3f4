"""Every URL of the project declares who may use it.

A view asks for a capability (``web.permissions.capability_required``), or it is on the short,
explicit list below of pages that are for anyone, for any signed-in person or for any member of
the current tenant, each with the reason. A new view without either fails
``test_every_url_declares_who_may_use_it``; ``test_an_undeclared_view_is_caught`` shows that it
does.
"""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, reverse
from django.urls.resolvers import RegexPattern

from tenancy.roles import capabilities
from web.permissions import capability_required

# url name -> who may use it and why it needs no capability.
OPEN_PAGES = {
    # Anyone, signed in or not.
    "login": "anyone: the sign-in page",
    "logout": "anyone: signing out ends whatever session there is",
    "healthz": "anyone: the load balancer's health check, reveals no data",
    "set_language": "anyone: the language cookie (and the person's own preference)",
    "invitation": "anyone holding the invitation's secret link (checked by the view)",
    "account_signup": "anyone: only redirects to the sign-in page (no sign-up)",
    "dispatch:feed": "anyone holding a technician's secret calendar link (checked by the view)",
    # Any signed-in person, whether or not they work in a tenant.
    "no_tenant": "signed in: the page for a person without any active membership",
    "switch_tenant": "signed in: only into a tenant of the person's own memberships",
    "my_account": "signed in: the person's own name, language, password and two-factor",
    "account_email": "signed in: only redirects to the person's own account page",
    # Any member of the current tenant.
    "home": "any member: the home page of the member's own role",
    "notification_list": "any member: the member's own notifications",
    "notification_badge": "any member: the count of the member's own unread notifications",
    "notification_read": "any member: marks one of the member's own notifications read",
    "notification_read_all": "any member: marks the member's own notifications read",
}
# Namespaces whose views guard themselves.
GUARDED_NAMESPACES = {
    "admin": "platform admins only: Django admin's own staff check, every visit logged",
}
# Third-party views that guard themselves: allauth's account pages (password reset by e-mail
# link, password change and two-factor for the signed-in person, their sessions).
GUARDED_VIEW_MODULES = ("allauth.",)


def _patterns(resolver, namespace=""):
    """(url name or route, view, namespace) of every URL pattern under ``resolver``."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}", entry.callback, namespace


def _required_capability(view) -> str | None:
    for candidate in (view, getattr(view, "view_class", None)):
        if capability := getattr(candidate, "required_capability", None):
            return capability
    return None


def _view_module(view) -> str:
    view = getattr(view, "view_class", view)
    return getattr(view, "__module__", "") or ""


def undeclared(resolver) -> list[str]:
    """The URLs under ``resolver`` whose view declares nobody who may use it."""
    known = {info.code for info in capabilities()}
    missing = []
    for name, view, namespace in _patterns(resolver):
        capability = _required_capability(view)
        if capability is not None:
            # One capability, or a tuple of which any one will do.
            wanted = capability if isinstance(capability, tuple | list) else (capability,)
            if not wanted or not set(wanted) <= known:
                missing.append(f"{name} (unknown capability {capability!r})")
            continue
        if name in OPEN_PAGES or namespace.split(":", 1)[0] in GUARDED_NAMESPACES:
            continue
        if _view_module(view).startswith(GUARDED_VIEW_MODULES):
            continue
        missing.append(name)
    return sorted(missing)


def test_every_url_declares_who_may_use_it():
    assert undeclared(get_resolver()) == [], (
        "give these views a capability (web.permissions.capability_required) or, for a page "
        "every member or anyone may open, an entry with the reason in OPEN_PAGES"
    )


def test_every_open_page_exists():
    """No stale entries: the list names only pages the project has."""
    names = {name for name, _view, _namespace in _patterns(get_resolver())}
    assert sorted(set(OPEN_PAGES) - names) == []


def _view(request):
    raise AssertionError("never called")


def _either(request):
    raise AssertionError("never called")


def _either_typo(request):
    raise AssertionError("never called")


_either.required_capability = ("manage_users", "view_audit")
_either_typo.required_capability = ("manage_users", "view_audits")


class _FakeUrls:
    urlpatterns = [
        path("declared/", capability_required("manage_users")(_view), name="declared"),
        path("forgotten/", _view, name="forgotten"),
        path("typo/", capability_required("manage_userz")(_view), name="typo"),
        path("either/", _either, name="either"),
        path("either_typo/", _either_typo, name="either_typo"),
        path("home/", _view, name="home"),
    ]


def test_an_undeclared_view_is_caught():
    resolver = URLResolver(RegexPattern(r"^/"), _FakeUrls)
    assert undeclared(resolver) == [
        "either_typo (unknown capability ('manage_users', 'view_audits'))",
        "forgotten",
        "typo (unknown capability 'manage_userz')",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", sorted(n for n, r in OPEN_PAGES.items() if r.startswith("any member"))
)
def test_a_member_page_sends_a_stranger_to_sign_in(name, client):
    try:
        url = reverse(name)
    except NoReverseMatch:  # a page of one record (an id that need not exist: never reached)
        url = reverse(name, args=[1])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
