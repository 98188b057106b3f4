"""Multi-row INSERTs without model instances, for the batch writers (the billing run's fees and
invoice lines).

``insert_rows(Model, rows)`` writes ``rows`` (dicts of field attnames → plain values) with one
``INSERT … SELECT … FROM unnest(%s::type[], …)`` per batch: a column with the same value in
every row (the tenant, the run, a default) is one parameter; every other column travels as one
array literal, read by PostgreSQL's array input in one go rather than parsed as thousands of
placeholders, as in the benchmarks' plain-SQL floor. Every column a row leaves out gets its
field's default, prepared once as ``Model.save()`` would (``auto_now_add`` included), so a
field added to the model later is written without touching the callers.

The same technique as ``service_orders.services.generation``'s insert; kept here, in the lowest
layer, so that invoicing and subscriptions can share it.
"""

import datetime
from decimal import Decimal
from enum import Enum

from django.db import connection
from django.db.models import Model

BATCH_SIZE = 5000  # rows per INSERT statement


def insert_rows(
    model: type[Model],
    rows: list[dict],
    *,
    ignore_conflicts: bool = False,
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """INSERT ``rows`` into ``model``'s table; with ``ignore_conflicts``, ON CONFLICT DO
    NOTHING (a row that violates a unique constraint is skipped, every other error still
    fails). Returns the ``returning`` columns of the rows actually inserted (the caller counts
    them to learn what was skipped)."""
    if not rows:
        return []
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), BATCH_SIZE):
            query, params = _statement(
                model, rows[offset : offset + BATCH_SIZE], ignore_conflicts, returning
            )
            cursor.execute(query, params)
            if returning:
                inserted.extend(cursor.fetchall())
    return inserted


def _defaults(model: type[Model], fields) -> dict:
    """Each field's value in a new row, prepared for the database. ``auto_now_add`` fields are
    prepared per call (they hold the time)."""
    blank = model()
    return {f.attname: f.get_db_prep_save(f.pre_save(blank, True), connection) for f in fields}


def _statement(
    model: type[Model], batch: list[dict], ignore_conflicts: bool, returning: tuple[str, ...]
) -> tuple[str, list]:
    quote = connection.ops.quote_name
    present = set().union(*(row.keys() for row in batch))
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in present]
    defaults = _defaults(model, fields)
    columns = ", ".join(quote(f.column) for f in fields)
    selected, constants, arrays, array_params = [], [], [], []
    for field in fields:
        default = defaults.get(field.attname) if field is not pk else None
        if field.attname in present:
            values = [row.get(field.attname, default) for row in batch]
        else:  # the default in every row
            values = [default] * len(batch)
        db_type = field.db_type(connection)
        if _all_equal(values) and (arrays or field is not fields[-1]):
            selected.append(f"%s::{db_type}")
            constants.append(values[0])
            continue
        arrays.append(f"%s::{db_type}[]")
        array_params.append(_array_literal(values))
        selected.append(f"u.c{len(arrays) - 1}")
    names = ", ".join(f"c{n}" for n in range(len(arrays)))
    query = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({names})"
    )
    if ignore_conflicts:
        query += " ON CONFLICT DO NOTHING"
    if returning:
        returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
        query += f" RETURNING {returned}"
    return query, constants + array_params


def _all_equal(values: list) -> bool:
    first = values[0]
    kind = type(first)
    return all(value is first or (type(value) is kind and value == first) for value in values)


def _quoted(value) -> str:
    text = str(value.value if isinstance(value, Enum) else value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# How each kind of value is written as an element of an array literal (by exact type; a
# subclass, say a choices enum, goes through ``_element``).
_ELEMENT = {
    type(None): lambda value: "NULL",
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    datetime.date: str,  # 2026-05-01: nothing to quote
    datetime.datetime: _quoted,  # has a space
    str: _quoted,
}


def _element(value) -> str:
    write = _ELEMENT.get(type(value))
    if write is not None:
        return write(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, int):  # an IntegerChoices member
        return str(int(value))
    raise TypeError(type(value))


def _array_literal(values: list) -> object:
    """PostgreSQL's text form of an array of these values ('{1,NULL,"a \\"b\\""}'); the list
    itself (psycopg2 adapts it) for a value of another kind."""
    kinds = {type(value) for value in values} - {type(None)}
    if len(kinds) == 1:  # a column holds one kind of value: pick its writer once
        (kind,) = kinds
        write = _ELEMENT.get(kind) or (_quoted if issubclass(kind, str) else None)
        if write is not None:
            return "{" + ",".join(["NULL" if v is None else write(v) for v in values]) + "}"
    try:
        return "{" + ",".join(map(_element, values)) + "}"
    except TypeError:
        return values
