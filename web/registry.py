"""Registries through which higher apps add to pages and rules of lower ones.

A lower app never names a higher one. Instead, in its ``AppConfig.ready()``, a higher app
registers:

- **panels**: a section on another app's detail page (``detail_panels`` template tag), e.g. the
  agreements and service orders of a customer on the customer page. The panel's ``context``
  function runs the owning app's selectors and returns None to stay hidden.
- **home tiles**: a count or short list on a role's home page.
- **usage checks**: "is this record still in use?" before a lower app deletes or deactivates
  one of its records, e.g. a customer with service orders cannot be deleted.
- **settings sections**: a form of tenant settings the app owns, shown on the settings page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    slot: str  # which page: "customer", "service_object", "agreement", …
    key: str  # unique per slot
    template: str
    context: Callable[..., dict | None]  # (request, obj) -> context, None to hide the panel
    capability: str | None = None  # who may see it (None: whoever sees the page)
    order: int = 100


@dataclass(frozen=True)
class HomeTile:
    key: str
    label: str | Promise
    roles: frozenset[str]
    template: str
    context: Callable[..., dict | None]  # (request) -> context, None to hide the tile
    order: int = 100


@dataclass(frozen=True)
class UsageCheck:
    model_label: str  # "customers.customer"
    # (tenant, obj) -> a sentence saying where the record is used, or None.
    check: Callable[..., str | None]


@dataclass(frozen=True)
class SettingsSection:
    key: str
    label: str | Promise
    # (*, tenant, data=None, prefix) -> a bound (data) or unbound form for this tenant's
    # settings of the app; the settings page gives each section's form the section key as its
    # prefix, so field names never clash.
    form: Callable[..., Any]
    # (*, tenant, by, data=form.cleaned_data) -> None; raises ValidationError like any service.
    # The page saves the tenant's fields and every section in one transaction.
    save: Callable[..., None]
    order: int = 100


_panels: dict[tuple[str, str], Panel] = {}
_tiles: dict[str, HomeTile] = {}
_usage: list[UsageCheck] = []
_settings: dict[str, SettingsSection] = {}


def register_panel(panel: Panel) -> None:
    _panels[(panel.slot, panel.key)] = panel


def panels_for(slot: str) -> list[Panel]:
    return sorted((p for p in _panels.values() if p.slot == slot), key=lambda p: p.order)


def register_home_tile(tile: HomeTile) -> None:
    _tiles[tile.key] = tile


def home_tiles_for(role: str) -> list[HomeTile]:
    return sorted((t for t in _tiles.values() if role in t.roles), key=lambda t: t.order)


def register_usage_check(model_label: str, check: Callable[..., str | None]) -> None:
    entry = UsageCheck(model_label, check)
    if entry not in _usage:
        _usage.append(entry)


def usage_of(tenant, obj) -> list[str]:
    """Where ``obj`` is still used, as sentences for the user (empty: not used anywhere)."""
    label = obj._meta.label_lower
    found = (entry.check(tenant, obj) for entry in _usage if entry.model_label == label)
    return [message for message in found if message]


def register_settings_section(section: SettingsSection) -> None:
    _settings[section.key] = section


def settings_sections() -> list[SettingsSection]:
    return sorted(_settings.values(), key=lambda s: s.order)


# A role's home page given by an app (the technician's "My day", from dispatch): the home view
# answers with this view instead of the role's own home template.
_role_homes: dict[str, Callable] = {}


def register_role_home(role: str, view: Callable) -> None:
    _role_homes[str(role)] = view


def role_home(role: str) -> Callable | None:
    return _role_homes.get(str(role))
