"""Isolation cases for the data import pages (see tests/isolation.py)."""

from tests.factories import ImportBatchFactory


def _batch(tenant) -> dict:
    return {"pk": ImportBatchFactory(tenant=tenant).pk}


CASES = {
    "imports:batch": _batch,
    "imports:run": _batch,
}
