"""How the apps above invoicing hear about what happens to the lines they put on invoices.

Invoicing never imports subscriptions, service orders or repairs. An app that adds lines with a
``source`` registers, in its ``ready()``:

- ``register_issued_hook(fn)``: ``fn(*, tenant, invoice, lines)`` runs inside the issuing
  transaction, after the number is given (accruals start recognising a fee here);
- ``register_credited_hook(fn)``: ``fn(*, tenant, credit_note, invoice, lines)`` runs inside the
  transaction that issues a credit note (``lines`` are the credit note's lines, each with
  ``credited_line``; accruals reverse what was not yet recognised);
- ``register_release_hook(source, fn)``: ``fn(*, tenant, source_ids)`` runs when lines of that
  source leave a draft without being invoiced (the draft was cancelled, or the line removed), so
  the source can bill them again (a service order line goes back to "not posted").

A hook that raises rolls the whole action back: nothing is issued, credited or cancelled.
"""

from collections.abc import Callable

_issued: list[Callable] = []
_credited: list[Callable] = []
_release: dict[str, list[Callable]] = {}


def register_issued_hook(fn: Callable) -> None:
    if fn not in _issued:
        _issued.append(fn)


def register_credited_hook(fn: Callable) -> None:
    if fn not in _credited:
        _credited.append(fn)


def register_release_hook(source: str, fn: Callable) -> None:
    hooks = _release.setdefault(source, [])
    if fn not in hooks:
        hooks.append(fn)


def run_issued(*, tenant, invoice, lines) -> None:
    for fn in list(_issued):
        fn(tenant=tenant, invoice=invoice, lines=lines)


def run_credited(*, tenant, credit_note, invoice, lines) -> None:
    for fn in list(_credited):
        fn(tenant=tenant, credit_note=credit_note, invoice=invoice, lines=lines)


def run_release(*, tenant, source_ids: dict[str, list[int]]) -> None:
    for source, ids in source_ids.items():
        if not ids:
            continue
        for fn in list(_release.get(source, [])):
            fn(tenant=tenant, source_ids=list(ids))
