"""Coverage change listeners: how a change to what agreements cover reaches the work already
planned from them, without the lower apps naming the higher ones.

Suspending, cancelling or expiring an agreement, stopping or rescheduling one of its lines, or
deactivating a customer or a service object changes which visits the agreements still cover.
The app that changes it (``customers``, ``agreements``) describes the change as a
``CoverageChange`` and

- before the user confirms, asks ``coverage_preview(tenant, change, make_change)``: the change is
  made inside a savepoint, every listener says what it would do (``CoverageEffect``), and the
  savepoint is rolled back, so the preview is exactly what the change will do;
- in the same transaction as the change itself, calls ``coverage_apply(tenant, by, change)``.

A higher app (``service_orders``) registers a ``CoverageListener`` in its registrations: its
``preview`` reads, its ``apply`` writes (cancels what is no longer covered, restores what is
covered again, generates what is newly due). This module knows no order and no agreement.
"""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import ngettext

# How many of the affected records a confirmation names (the rest is a count).
PREVIEW_LIMIT = 10


@dataclass(frozen=True)
class CoverageChange:
    """What changed, and why (``cause``: a code such as "agreement_suspended").

    The ids say where coverage may have changed: an agreement (all its lines), single lines, a
    customer (all its agreements) or a service object (every line on it). ``suspension_id``
    names the suspension the change starts or ends; ``generate_from`` asks for the visits due
    from that day (past ones included: a back-fill) to the look-ahead to be generated now."""

    cause: str
    agreement_ids: frozenset[int] = frozenset()
    line_ids: frozenset[int] = frozenset()
    customer_ids: frozenset[int] = frozenset()
    object_ids: frozenset[int] = frozenset()
    suspension_id: int | None = None
    generate_from: object = None  # datetime.date | None
    # The words that say why, kept with each cancellation ("AG-000012 suspended").
    note: str = ""

    @classmethod
    def of(cls, cause: str, *, note: str = "", **ids: Iterable[int] | int | None):
        values = {
            name: frozenset(value) if isinstance(value, Iterable) else value
            for name, value in ids.items()
        }
        return cls(cause=cause, note=note, **values)


@dataclass(frozen=True)
class AffectedRecord:
    """One record a change touches, as a confirmation names it."""

    label: str  # "SO-000123 · Annual inspection"
    day: object = None  # datetime.date | None
    detail: str = ""  # "2 of 3 lines"


@dataclass(frozen=True)
class CoverageEffect:
    """What one listener does (or would do) for a change: records cancelled and restored."""

    key: str
    cancelled: int = 0  # how many records are cancelled
    cancelled_records: tuple[AffectedRecord, ...] = ()  # the first PREVIEW_LIMIT of them
    restored: int = 0
    restored_records: tuple[AffectedRecord, ...] = ()
    created: int = 0  # records newly generated (resume, back-fill, a new schedule)
    summary: str = ""  # one sentence for the confirmation: "3 service orders …"
    restored_summary: str = ""

    @property
    def changes_anything(self) -> bool:
        return bool(self.cancelled or self.restored)


@dataclass(frozen=True)
class CoverageListener:
    key: str
    # (*, tenant, change) -> CoverageEffect; reads only.
    preview: Callable[..., CoverageEffect]
    # (*, tenant, by, change) -> CoverageEffect; runs inside the change's transaction.
    apply: Callable[..., CoverageEffect]
    order: int = 100


_listeners: dict[str, CoverageListener] = {}


def register_coverage_listener(listener: CoverageListener) -> None:
    _listeners[listener.key] = listener


def coverage_listeners() -> list[CoverageListener]:
    return sorted(_listeners.values(), key=lambda listener: listener.order)


# Set while a preview runs: coverage_apply then asks the listeners' previews instead.
_previewing: ContextVar[list | None] = ContextVar("coverage_previewing", default=None)


def coverage_apply(*, tenant, by, change: CoverageChange) -> list[CoverageEffect]:
    """Tell every listener about a change made in the current transaction (the service that
    makes the change calls it). Inside ``coverage_preview`` the listeners only say what they
    would do."""
    collected = _previewing.get()
    if collected is not None:
        effects = [
            listener.preview(tenant=tenant, change=change) for listener in coverage_listeners()
        ]
        collected.extend(effects)
        return effects
    return [
        listener.apply(tenant=tenant, by=by, change=change) for listener in coverage_listeners()
    ]


class _RollBack(Exception):
    pass


@dataclass
class CoveragePreview:
    effects: list[CoverageEffect] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return any(effect.changes_anything for effect in self.effects)


def coverage_preview(make_change: Callable[[], object]) -> CoveragePreview:
    """What the listeners would do for the change ``make_change()`` makes (a service call that
    validates, may raise ``ValidationError``, and calls ``coverage_apply``). The change is made
    in a savepoint that is always rolled back, so nothing of it stays; its errors reach the
    caller unchanged."""
    preview = CoveragePreview()
    token = _previewing.set(preview.effects)
    try:
        with transaction.atomic():
            make_change()
            raise _RollBack
    except _RollBack:
        pass
    finally:
        _previewing.reset(token)
    return preview


def coverage_description(preview: CoveragePreview) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a confirmation lists: the listeners' sentences (how many records are cancelled,
    restored, generated) and the first records cancelled, by date ("SO-000123 · Annual
    inspection · 12/01/2027"), with how many more there are."""
    sentences: list[str] = []
    records: list[str] = []
    for effect in preview.effects:
        for sentence in (effect.summary, effect.restored_summary):
            if sentence:
                sentences.append(sentence + ".")
        for record in effect.cancelled_records:
            parts = [record.label]
            if record.day:
                parts.append(date_format(record.day, "SHORT_DATE_FORMAT"))
            if record.detail:
                parts.append(record.detail)
            records.append(" · ".join(parts))
        more = effect.cancelled - len(effect.cancelled_records)
        if more > 0:
            records.append(
                ngettext("… and %(count)d more.", "… and %(count)d more.", more) % {"count": more}
            )
    return tuple(sentences), tuple(records)
