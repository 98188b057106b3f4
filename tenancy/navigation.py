"""The main navigation. Apps add their entries in AppConfig.ready(); each entry names the
capability it needs, so the menu shows only what the role may open."""

from dataclasses import dataclass

from django.urls import reverse

from .permissions import request_can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    capability: str | None  # None: every member of the tenant
    order: int = 100
    section: str = ""  # URL prefix that marks the entry active


_registry: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item not in _registry:
            _registry.append(item)
    _registry.sort(key=lambda item: item.order)


def nav_for(request) -> list[dict]:
    if getattr(request, "tenant", None) is None:
        return []
    entries = []
    for item in _registry:
        if item.capability is None or request_can(request, item.capability):
            url = reverse(item.url_name)
            active = request.path == url or bool(
                item.section and request.path.startswith(item.section)
            )
            entries.append({"url": url, "label": item.label, "active": active})
    return entries
