"""The activity log's event types: what each recorded event says, in the reader's language.

An ``AuditEvent`` keeps its code (``action``) and the named parameters of its sentence
(``params``), not a sentence in the language of whoever caused it; the sentence is put together
when the log is read, in the reader's language. Each app registers the event types it records in
its ``AppConfig.ready()`` (in its registrations module), and tenancy never names them:

    register_event("agreement.activate", gettext_lazy("%(number)s activated"))
    ...
    audit_record(tenant=tenant, actor=by, action="agreement.activate", target=agreement,
                 params={"number": agreement.number})

Parameters are stored as plain JSON (numbers, texts typed by users, codes, lists of field
names, ISO dates) and turned into words when read, by a formatter per parameter:

- ``fields`` (any event): field names, read as the verbose names of the target's model fields;
  ``FieldLabels("app.Model")`` reads them from another model;
- ``ChoiceLabel(SomeChoices)``: a stored choice value, read as its label;
- ``DateParam()``: an ISO date, read in the reader's date format;
- anything else is shown as stored.

Codes ending in ``.create``, ``.update`` or ``.delete`` need no registration when their ``params``
name the ``record``: they read "<Kind of record> <record> created / changed: <fields> / deleted",
the kind being the target model's verbose name.

Rows recorded before event types existed (or by code that passes only a ``summary``) have no
parameters: they show the summary they were recorded with.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import AuditEvent

type Sentence = str | Promise
type ParamFormatter = Callable[[Any, "AuditEvent"], str]


def _target_model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@dataclass(frozen=True)
class FieldLabels:
    """A list of field names, read as the fields' verbose names (of ``model``, an
    ``"app_label.ModelName"``, or else of the event's target)."""

    model: str | None = None

    def __call__(self, value: Any, event: "AuditEvent") -> str:
        names = value if isinstance(value, list | tuple) else [value]
        model = _target_model(self.model or event.target_type)
        labels = []
        for name in names:
            try:
                labels.append(str(model._meta.get_field(name).verbose_name) if model else name)
            except FieldDoesNotExist:
                labels.append(str(name))
        return ", ".join(labels)


@dataclass(frozen=True)
class ChoiceLabel:
    """A stored choice value, read as its label (the value itself when no longer a choice)."""

    choices: Any  # a models.TextChoices / IntegerChoices class

    def __call__(self, value: Any, event: "AuditEvent") -> str:
        try:
            return str(self.choices(value).label)
        except ValueError:
            return str(value)


@dataclass(frozen=True)
class DateParam:
    """An ISO date, read in the reader's date format."""

    format: str = "DATE_FORMAT"

    def __call__(self, value: Any, event: "AuditEvent") -> str:
        try:
            return formats.date_format(datetime.date.fromisoformat(value), self.format)
        except (TypeError, ValueError):
            return str(value)


def target_kind(target_type: str) -> str:
    """What kind of record a target type ("customers.customer") is, in the active language."""
    model = _target_model(target_type) if target_type else None
    return str(capfirst(model._meta.verbose_name)) if model else ""


def _record(value: Any, event: "AuditEvent") -> str:
    kind = target_kind(event.target_type)
    return f"{kind} {value}" if kind else str(value)


def _plain(value: Any, event: "AuditEvent") -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


DEFAULT_FORMATTERS: dict[str, ParamFormatter] = {"fields": FieldLabels(), "record": _record}


@dataclass(frozen=True)
class EventType:
    code: str
    # The sentence, with a %(name)s placeholder per parameter; or a function of the stored
    # parameters that chooses one (e.g. a template's creation reads differently).
    sentence: Sentence | Callable[[dict], Sentence]
    formatters: Mapping[str, ParamFormatter] = field(default_factory=dict)

    def render(self, event: "AuditEvent") -> str:
        params = event.params or {}
        sentence = self.sentence
        if not isinstance(sentence, str | Promise):
            sentence = sentence(params)
        values = {}
        for key, value in params.items():
            formatter = self.formatters.get(key) or DEFAULT_FORMATTERS.get(key, _plain)
            values[key] = formatter(value, event)
        return str(sentence) % values


_events: dict[str, EventType] = {}

GENERIC = {
    "create": EventType("*.create", _("%(record)s created")),
    "update": EventType("*.update", _("%(record)s changed: %(fields)s")),
    "delete": EventType("*.delete", _("%(record)s deleted")),
}


def register_event(
    code: str, sentence: Sentence | Callable[[dict], Sentence], **formatters: ParamFormatter
) -> EventType:
    """Declare what the events of ``code`` say. Declaring a code twice is a programming error
    (two apps would record the same code with different meanings)."""
    if code in _events and _events[code].sentence != sentence:
        raise ValueError(f"Event type {code!r} is registered twice.")
    _events[code] = EventType(code, sentence, formatters)
    return _events[code]


def event_type(code: str) -> EventType | None:
    return _events.get(code)


def event_types() -> list[EventType]:
    return list(_events.values())


def event_type_for(code: str, params: dict) -> EventType | None:
    """The registered type of ``code``; or the generic create/update/delete sentence when the
    code ends in that verb and the parameters name the record."""
    registered = _events.get(code)
    if registered is not None:
        return registered
    verb = code.rpartition(".")[2]
    if verb in GENERIC and "record" in params:
        return GENERIC[verb]
    return None


def event_text(event: "AuditEvent") -> str:
    """What ``event`` says, in the active language. Events without parameters (recorded before
    event types existed) read as the summary they were recorded with."""
    params = event.params or {}
    kind = event_type_for(event.action, params) if params or event.action in _events else None
    if kind is not None:
        try:
            return kind.render(event)
        except (KeyError, TypeError, ValueError):
            pass  # parameters of an older shape than the sentence: the recorded summary
    return event.summary


def _sequence_label(value: Any, event: "AuditEvent") -> str:
    from .sequences import sequence_info

    info = sequence_info(value)
    return str(info.label) if info else str(value)


def register_tenancy_events() -> None:
    """The events tenancy records itself (called from TenancyConfig.ready())."""
    from .roles import Role

    register_event("settings.update", _("Settings changed: %(fields)s"))
    register_event("member.add", _("%(email)s added as %(role)s"), role=ChoiceLabel(Role))
    register_event("member.update", _("%(email)s: %(fields)s changed"))
    register_event(
        "settings.numbers",
        _("Numbering of %(what)s changed: next is %(next)s"),
        what=_sequence_label,
    )
