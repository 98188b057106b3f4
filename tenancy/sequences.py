"""The registry of per-tenant document number sequences.

Each app that numbers its documents declares the sequence in its ``AppConfig.ready()`` with
``register_sequence(key, label, default_prefix)``; the numbering settings page lists what is
registered, and ``tenancy.services.sequence_next_numbers`` hands the numbers out.
"""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class SequenceInfo:
    key: str
    label: str | Promise
    default_prefix: str


_sequences: dict[str, SequenceInfo] = {}


def register_sequence(key: str, label: str | Promise, default_prefix: str = "") -> None:
    _sequences[key] = SequenceInfo(key, label, default_prefix)


def registered_sequences() -> list[SequenceInfo]:
    return list(_sequences.values())


def sequence_info(key: str) -> SequenceInfo | None:
    return _sequences.get(key)


def default_prefix(key: str) -> str:
    info = _sequences.get(key)
    return info.default_prefix if info else ""
