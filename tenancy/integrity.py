"""Turning a unique (or exclusion) constraint violation into a form error, by constraint name.

Services check uniqueness before saving so that the message lands beside the field, and map a
lost race on the same constraint to the same message. Which constraint failed is read from the
error, and that must work in three shapes:

- plain PostgreSQL: ``diag.constraint_name`` is ``sla_sla_unique_code``;
- Citus: the error comes from a shard, so the name carries the shard id
  (``sla_sla_unique_code_102021``) and ``diag.constraint_name`` may be empty; only the message
  names it: ``duplicate key value violates unique constraint "sla_sla_unique_code_102021"``;
- Citus with a long name: the shard name is ``<name clipped>_<8 hex digits of a hash>_<shard
  id>`` so that it fits PostgreSQL's 63 bytes.
"""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

# SQLSTATEs: unique_violation, exclusion_violation.
CONFLICT_CODES = {"23505", "23P01"}
_QUOTED_CONSTRAINT = re.compile(r'constraint "([^"]+)"')
_SHARD_SUFFIX = re.compile(r"_\d+\Z")
_LONG_NAME_HASH = re.compile(r"_[0-9a-f]{8}\Z")
# Citus clips a long name to leave room for the hash and the shard id; a clipped prefix shorter
# than this is not trusted to identify a constraint.
_MIN_CLIPPED_PREFIX = 20


def constraint_name_matches(found: str, name: str) -> bool:
    """Whether ``found`` (from an error) is constraint ``name``, or one of its shards."""
    if found == name:
        return True
    if not _SHARD_SUFFIX.search(found):
        return False
    base = _SHARD_SUFFIX.sub("", found)
    if base == name:
        return True
    if _LONG_NAME_HASH.search(base):
        clipped = _LONG_NAME_HASH.sub("", base)
        return len(clipped) >= _MIN_CLIPPED_PREFIX and name.startswith(clipped)
    return False


def unique_violation(exc: IntegrityError, names: Iterable[str]) -> str | None:
    """Which of ``names`` the unique/exclusion violation ``exc`` is about, or None.

    None as well for other integrity errors (not-null, check, foreign key).
    """
    cause = exc.__cause__ or exc
    code = getattr(cause, "pgcode", None)
    if code is not None and code not in CONFLICT_CODES:
        return None
    names = list(names)
    diag = getattr(cause, "diag", None)
    candidates = [getattr(diag, "constraint_name", None)]
    candidates += _QUOTED_CONSTRAINT.findall(getattr(diag, "message_primary", None) or "")
    candidates += _QUOTED_CONSTRAINT.findall(str(cause))
    for found in filter(None, candidates):
        for name in names:
            if constraint_name_matches(found, name):
                return name
    return None


def save_unique(obj, conflicts: dict[str, tuple[str, str]]) -> None:
    """Save ``obj`` in a savepoint; a violation of a constraint named in ``conflicts`` becomes
    ``ValidationError({field: message})`` from its ``(field, message)``; anything else is
    raised as it is."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        name = unique_violation(exc, conflicts)
        if name is None:
            raise
        field, message = conflicts[name]
        raise ValidationError({field: message}) from exc
