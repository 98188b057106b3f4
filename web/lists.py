"""List pages: filter, sort, paginate and export CSV the same way everywhere.

A view builds its filtered queryset, then hands it to ``list_response`` with the columns it
shows. Sorting is only by the columns' declared keys (never a raw query-string field), pages
have a fixed size, and ``?format=csv`` exports every filtered row, not just the page.

The page shows the rows with one component, ``web/list.html`` (include it where the table goes):
on wide screens a table whose columns appear from their ``breakpoint`` up (every column by
1200 px, long text cut with an ellipsis, the full text on hover and focus); on phones (below
576 px) one card per row built from the columns' ``role`` - the title line, the facts, the state
badge, the primary action - with sort and filters folded into a panel.
"""

import csv
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy

from .permissions import request_can

PAGE_SIZE = 25


# What a column is in a row's card on a phone (Column.role). A column without a role shows in the
# table only.
TITLE = "title"  # the card's first line (the record's number or name, usually its link)
FACT = "fact"  # a key fact under the title, with the column's label
BADGE = "badge"  # the state badge, beside the title
ACTION = "action"  # the row's primary action, a button at the foot of the card
ROLES = ("", TITLE, FACT, BADGE, ACTION)
# Column.breakpoint: the smallest screen on which the table shows the column (Bootstrap's names).
# "" shows it from 576 px (where the table starts); every column shows from 1200 px.
BREAKPOINTS = ("", "md", "lg", "xl")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order_by: str | None = None  # the ORM ordering for this column; None: not sortable
    value: Callable[[Any], Any] | None = None  # CSV value; default: attribute ``key``
    # How the list component shows the column (web/list.html); CSV ignores all of these.
    role: str = ""  # TITLE, FACT, BADGE, ACTION or "" (table only)
    breakpoint: str = ""  # "", "md", "lg" or "xl": the table shows the column from there up
    truncate: bool = False  # one line cut with an ellipsis; the full text on hover and focus
    link: Callable[[Any], str | None] | None = None  # the cell links to this URL (None: no link)
    display: Callable[[Any], Any] | None = None  # the shown value; default: the CSV value
    template: str | None = None  # renders the cell's content, given ``row`` and ``value``
    # renders the cell's content in Python, html(row, value) -> escaped HTML: for cells of long
    # lists, where a template per cell costs more than the rest of the row (test it against the
    # template it stands for)
    html: Callable[[Any, Any], str] | None = None
    numeric: bool = False  # right-aligned
    nowrap: bool = False  # never wraps (numbers, dates)
    capability: str | None = None  # only users with this capability see the column
    export: bool = True  # False: not a CSV column (actions)
    hide_label: bool = False  # the header is for screen readers only (e.g. a checkbox column)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Column {self.key!r}: role {self.role!r} is not one of {ROLES}")
        if self.breakpoint not in BREAKPOINTS:
            raise ValueError(f"Column {self.key!r}: breakpoint {self.breakpoint!r} is unknown")
        if self.role == ACTION and self.link is None:
            raise ValueError(f"Column {self.key!r}: an action needs a link")

    def display_value(self, obj) -> Any:
        """What the page shows before formatting: ``display``, else the CSV value."""
        if self.display:
            return self.display(obj)
        return self.value(obj) if self.value else _dotted(obj, self.key)

    def csv_value(self, obj) -> Any:
        value = self.value(obj) if self.value else _dotted(obj, self.key)
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        return "" if value is None else value


@dataclass(frozen=True)
class ImportExport:
    """A list page's export in the import columns of a kind (web.imports): the kind's records
    whose ``relation`` is among the filtered rows ("pk": the rows themselves; "customer": the
    sites of the listed customers)."""

    kind: str
    relation: str = "pk"


# A stand-in id: reverse() once with it, then each row's id is put in its place.
_STAND_IN = 918273645
_URL_PATTERNS: dict[tuple, tuple[str, str] | None] = {}


def reverse_id(url_name: str, pk) -> str:
    """``reverse(url_name, args=[pk])`` for an integer id, without resolving the pattern on
    every call (a list page links each of its rows, often twice): the URL is reversed once per
    URL name, script prefix and language with a stand-in id, which each call replaces."""
    if type(pk) is not int or pk < 0:
        return reverse(url_name, args=[pk])
    key = (url_name, get_script_prefix(), get_urlconf(), get_language())
    pattern = _URL_PATTERNS.get(key, False)
    if pattern is False:
        url = reverse(url_name, args=[_STAND_IN])
        parts = url.split(str(_STAND_IN))
        pattern = (parts[0], parts[1]) if len(parts) == 2 else None
        _URL_PATTERNS[key] = pattern
    if pattern is None:
        return reverse(url_name, args=[pk])
    return f"{pattern[0]}{pk}{pattern[1]}"


def link_to(url_name: str, attr: str = "pk") -> Callable[[Any], str | None]:
    """A Column.link to the page ``url_name`` of the row's ``attr`` (a dotted path, e.g.
    "customer_id"); no link when it is empty."""

    def link(obj) -> str | None:
        value = _dotted(obj, attr)
        return None if value is None else reverse_id(url_name, value)

    return link


def shown(value) -> Any:
    """A cell's value as people read it: dates in the reader's format, yes/no, a dash for
    nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, int | float | Decimal):
        return formats.localize(value)
    return value


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


_NOT_FILTERS = frozenset({"page", "sort", "format"})
_ASCENDING = gettext_lazy("%(column)s, ascending")
_DESCENDING = gettext_lazy("%(column)s, descending")


def _sort_options(columns: Sequence[Column]) -> list[tuple[str, str]]:
    """The choices of the phone's "Sort by" field: each sortable column, both ways."""
    options = []
    for column in columns:
        if column.order_by:
            options.append((column.key, _ASCENDING % {"column": column.label}))
            options.append((f"-{column.key}", _DESCENDING % {"column": column.label}))
    return options


class ListPaginator(Paginator):
    """Django's Paginator, except that the first page reads its rows before the count: when
    that page is not full, its rows are all the rows, and the exact count ("3 records") is
    their number without a count query (a filtered list of a few rows, a number search: the
    count is a second pass over the same rows). A full first page counts as Django's does, and
    shows the same rows, count and pages."""

    def get_page(self, number):
        if number not in (None, "", "1", 1) or self.orphans:
            return super().get_page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached property
        return self._get_page(rows, 1, self)


def list_response(
    request,
    queryset: QuerySet,
    *,
    template: str,
    columns: Sequence[Column],
    default_sort: str,
    csv_filename: str,
    context: dict | None = None,
    imports: Sequence[ImportExport] = (),
) -> HttpResponse:
    from .imports import import_kind

    sort, ordering = _sort(request, columns, default_sort)
    queryset = queryset.order_by(*ordering)
    if request.GET.get("format") == "csv":
        return _csv_response(queryset, columns, csv_filename)
    exports = [(e, import_kind(e.kind)) for e in imports if import_kind(e.kind)]
    if request.GET.get("format") == "import" and exports:
        return _import_response(request, queryset, exports, csv_filename)
    page = ListPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    filtered = [
        key for key, value in request.GET.items() if key not in _NOT_FILTERS and value.strip()
    ]
    ctx = {
        "page_obj": page,
        "rows": page.object_list,
        "columns": columns,
        "list_columns": [
            c for c in columns if not c.capability or request_can(request, c.capability)
        ],
        "sort": sort,
        "sort_options": _sort_options(columns),
        "filter_count": len(filtered),
        "querystring": query.urlencode(),
        "today": formats.date_format(request.tenant.today(), "SHORT_DATE_FORMAT"),
        "import_exports": [(kind.key, kind.label) for _export, kind in exports],
    }
    ctx.update(context or {})
    return render(request, template, ctx)


def _import_response(request, queryset, exports, filename: str) -> HttpResponse:
    """The filtered rows (or their sites, contacts, lines…) in the import columns of a kind."""
    from .imports import export_response

    export, kind = next(
        ((e, k) for e, k in exports if k.key == request.GET.get("kind")), exports[0]
    )
    rows = kind.export_queryset(request.tenant).filter(
        **{f"{export.relation}__in": queryset.order_by().values("pk")}
    )
    return export_response(kind, rows, f"{filename}-{kind.key}")


def _csv_response(queryset: QuerySet, columns: Sequence[Column], filename: str) -> HttpResponse:
    # Not streamed: rows must be read inside the request transaction that carries the tenant.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    columns = [column for column in columns if column.export]
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
