"""List pages: filter, sort, paginate and export CSV the same way everywhere.

A view builds its filtered queryset, then hands it to ``list_response`` with the columns it
shows. Sorting is only by the columns' declared keys (never a raw query-string field), pages
have a fixed size, and ``?format=csv`` exports every filtered row, not just the page.
"""

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.functional import Promise

PAGE_SIZE = 25


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order_by: str | None = None  # the ORM ordering for this column; None: not sortable
    value: Callable[[Any], Any] | None = None  # CSV value; default: attribute ``key``

    def csv_value(self, obj) -> Any:
        value = self.value(obj) if self.value else _dotted(obj, self.key)
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        return "" if value is None else value


def _dotted(obj, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
        if callable(obj) and part.startswith("get_"):
            obj = obj()
    return obj


def _sort(request, columns: Sequence[Column], default: str) -> tuple[str, list[str]]:
    requested = request.GET.get("sort", default)
    key = requested.lstrip("-")
    column = next((c for c in columns if c.key == key and c.order_by), None)
    if column is None:
        requested = default
        key = default.lstrip("-")
        column = next(c for c in columns if c.key == key)
    descending = requested.startswith("-")
    order = column.order_by
    ordering = [f"-{order}" if descending else order, "-pk" if descending else "pk"]
    return requested, ordering


def list_response(
    request,
    queryset: QuerySet,
    *,
    template: str,
    columns: Sequence[Column],
    default_sort: str,
    csv_filename: str,
    context: dict | None = None,
) -> HttpResponse:
    sort, ordering = _sort(request, columns, default_sort)
    queryset = queryset.order_by(*ordering)
    if request.GET.get("format") == "csv":
        return _csv_response(queryset, columns, csv_filename)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    ctx = {
        "page_obj": page,
        "rows": page.object_list,
        "columns": columns,
        "sort": sort,
        "querystring": query.urlencode(),
        "today": formats.date_format(request.tenant.today(), "SHORT_DATE_FORMAT"),
    }
    ctx.update(context or {})
    return render(request, template, ctx)


def _csv_response(queryset: QuerySet, columns: Sequence[Column], filename: str) -> HttpResponse:
    # Not streamed: rows must be read inside the request transaction that carries the tenant.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([csv_cell(column.label) for column in columns])
    for obj in queryset.iterator(chunk_size=2000):
        writer.writerow([csv_cell(column.csv_value(obj)) for column in columns])
    return response


# A spreadsheet reads a cell that starts with one of these as a formula (=HYPERLINK(...) that
# sends data away, =cmd|... that runs a program), also after a leading tab or carriage return.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as typed: text starting like a formula gets a
    leading apostrophe (OWASP's advice). Numbers stay numbers, negative ones included."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
