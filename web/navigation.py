"""The main navigation. Apps add their entries in AppConfig.ready(); each entry names the
capability it needs, so the menu shows only what the role may open."""

import logging
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .permissions import request_can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    capability: str | None  # None: every member of the tenant
    order: int = 100
    section: str = ""  # URL prefix that marks the entry active
    group: str = ""  # a key of GROUPS: entries of one group share a drop-down menu


# The menu's drop-downs (key → label), registered by the apps that fill them; they appear in the
# order of their first entry. Entries without a group stand alone.
GROUPS: dict[str, str] = {"admin": _("Administration")}


def register_group(key: str, label) -> None:
    GROUPS.setdefault(key, label)


_registry: list[NavItem] = []
logger = logging.getLogger(__name__)


def register(*items: NavItem) -> None:
    for item in items:
        if item not in _registry:
            _registry.append(item)
    _registry.sort(key=lambda item: item.order)


def registered() -> list[NavItem]:
    return list(_registry)


def nav_for(request) -> list[dict]:
    if getattr(request, "tenant", None) is None:
        return []
    entries = []
    for item in _registry:
        if item.capability is None or request_can(request, item.capability):
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:  # tests/web/test_navigation.py fails on this; pages don't
                logger.error("Navigation entry %s has no URL", item.url_name)
                continue
            entries.append(
                {"url": url, "label": item.label, "section": item.section, "group": item.group}
            )
    # The entry whose section is the longest prefix of the path is the active one (so that
    # /orders/generate/ marks "Generate orders", not also "Service orders").
    matches = [e for e in entries if e["url"] == request.path] or [
        e for e in entries if e["section"] and request.path.startswith(e["section"])
    ]
    active = max(matches, key=lambda e: len(e["section"] or e["url"]), default=None)
    for entry in entries:
        entry["active"] = entry is active
    return entries


def nav_groups(entries: list[dict]) -> list[dict]:
    """The entries as the menu shows them: a group with one entry is a plain link."""
    menus: list[dict] = []
    by_group: dict[str, dict] = {}
    for entry in entries:
        key = entry["group"]
        if not key:
            menus.append({"label": entry["label"], "entries": [entry]})
            continue
        if key not in by_group:
            by_group[key] = {"label": GROUPS[key], "entries": []}
            menus.append(by_group[key])
        by_group[key]["entries"].append(entry)
    for menu in menus:
        menu["active"] = any(entry["active"] for entry in menu["entries"])
        menu["key"] = f"nav-{len(menu['label'])}-{id(menu)}"
    return menus
