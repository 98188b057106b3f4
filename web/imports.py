"""Data import: CSV or XLSX files of records, checked row by row before anything is saved.

Each business app registers the kinds of record it can import (``register_import_kind``) with
the columns of its files; this module reads a file, checks every row (column values, a key used
twice in the file, references to other records by their numbers or codes, the model's own
rules) and saves either all rows or, by choice, the valid ones, in one transaction. The upload
page (``web.import_views``) and ``manage.py import_data`` share it, and a list page exports its
rows in the same columns (``export_response``) so that what one tenant exports another imports.

A column is one line of its kind's ``columns``::

    ImportColumn("tax_id", "tax_id")                       # text into the model field
    ImportColumn("install_date", "install_date", parse_date)
    ImportColumn("customer", "customer", ref=Ref("customers.Customer", "number"))

Rows are identified by the kind's ``identity`` (a number, a code, or the customer and a name):
a row whose identity exists updates that record, any other creates one. Only the columns in
the file are written on an update.
"""

import csv
import datetime
import gc
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.roles import OFFICE, capability

from .lists import csv_cell

IMPORT_DATA = capability("import_data", gettext_lazy("Import data from files"), *OFFICE)

# The largest file the upload page and the command accept (settings.IMPORT_MAX_BYTES).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
CREATE, UPDATE = "create", "update"


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, too large, no header)."""


# --- Parsing cell values -------------------------------------------------------------------------


def parse_text(value: str) -> str:
    return value.strip()


_TRUE = {"1", "yes", "true", "y", "x"}
_FALSE = {"0", "no", "false", "n", ""}


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(_("Write yes or no."))


def parse_date(value: str) -> datetime.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10] if "T" in text or " " in text else text)
    except ValueError:
        raise ValidationError(
            _("Write the date as YYYY-MM-DD, for example 2026-03-31; “%(value)s” is not one.")
            % {"value": text}
        ) from None


def parse_time(value: str) -> datetime.time | None:
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.time.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("Write the time as HH:MM, for example 08:30; “%(value)s” is not one.")
            % {"value": text}
        ) from None


def parse_decimal(value: str) -> Decimal | None:
    text = value.strip().replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(
            _("Write a number such as 12.50; “%(value)s” is not one.") % {"value": value.strip()}
        )
    return number


def parse_int(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if text.endswith(".0"):  # a spreadsheet's whole number
        text = text[:-2]
    try:
        return int(text)
    except ValueError:
        raise ValidationError(
            _("Write a whole number; “%(value)s” is not one.") % {"value": text}
        ) from None


def parse_int_list(value: str) -> list[int]:
    """ "1;7;12" (or commas): a list of whole numbers."""
    parts = [p for p in re.split(r"[;,\s]+", value.strip()) if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValidationError(
            _("Write whole numbers separated by semicolons, for example 1;7;12.")
        ) from None


def choice(choices) -> Callable[[str], str]:
    """A parser for a choice field: the stored value (as exported), case-insensitive."""
    values = [str(v) for v in choices.values]

    def parse(value: str) -> str:
        text = value.strip()
        if not text:
            return ""
        for known in values:
            if known.lower() == text.lower():
                return known
        raise ValidationError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": text, "choices": ", ".join(values)}
        )

    return parse


def export_bool(value: bool) -> str:
    return "yes" if value else "no"


def export_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return export_bool(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, Promise):
        return str(value)
    return value


# --- Columns and kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A reference to another record by one of its unique fields (a number or a code):
    ``Ref("customers.Customer", "number")``. Resolved within the importing tenant only."""

    model: str
    lookup: str

    def model_class(self):
        return apps.get_model(self.model)


@dataclass(frozen=True)
class ImportColumn:
    name: str  # the header in the file
    field: str  # the model attribute it sets (for a Ref: the relation's name)
    parse: Callable[[str], Any] = parse_text
    ref: Ref | None = None
    # The value a list exports (given the record); default: the attribute, a Ref's lookup field.
    export: Callable[[Any], Any] | None = None
    required: bool = False  # a row may not leave it empty (the model checks its own fields too)

    def export_of(self, obj) -> Any:
        if self.export is not None:
            return export_value(self.export(obj))
        value = getattr(obj, self.field)
        if self.ref is not None:
            value = getattr(value, self.ref.lookup) if value is not None else ""
        return export_value(value)


@dataclass
class Row:
    line: int  # the row's line in the file (the header is line 1)
    values: dict[str, str]  # the raw cells by column name
    data: dict[str, Any] = field(default_factory=dict)  # parsed values by field
    errors: list[str] = field(default_factory=list)
    action: str = ""
    key: str = ""  # how the row is named in the preview (its number, or customer / name)
    instance: Any = None
    before: dict | None = None  # a stored record's field values before the row was applied

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str | None, message: str) -> None:
        text = f"{column}: {message}" if column else str(message)
        if text not in self.errors:
            self.errors.append(text)

    def preview(self) -> dict:
        return {"line": self.line, "key": self.key, "action": self.action, "errors": self.errors}


class ImportKind:
    """What one kind of record needs to import; subclasses fill in the class attributes and
    override the hooks where their rows need more than the generic steps."""

    key: str = ""
    label: str | Promise = ""  # plural: "Customers"
    model: str = ""  # "customers.Customer"
    columns: Sequence[ImportColumn] = ()
    identity: tuple[str, ...] = ("number",)  # the columns that identify a record
    sequence: str | None = None  # the number sequence of the identity, when it is a number
    number_field: str = "number"
    # Fields clean_fields leaves alone (relations are never re-read: they were resolved here).
    not_cleaned: tuple[str, ...] = ()
    order: int = 100  # where the kind is offered on the upload page
    list_url: str = ""  # the list page that shows the imported records (and exports them)

    def model_class(self):
        return apps.get_model(self.model)

    def column(self, name: str) -> ImportColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    # -- the steps, in order --

    def queryset(self, tenant):
        return self.model_class().objects.for_tenant(tenant)

    def identity_of(self, row: Row) -> tuple | None:
        """The row's identity; None when the row has no number (a new record, numbered
        from the sequence)."""
        values = tuple(row.values.get(name, "").strip() for name in self.identity)
        if not all(values):
            return None
        return tuple(v.lower() if i > 0 else v for i, v in enumerate(values))

    def key_label(self, row: Row) -> str:
        return " / ".join(row.values.get(name, "").strip() for name in self.identity)

    def resolve(self, tenant, rows: list[Row]) -> None:
        """Turn each Ref column's value into the record (one query per column)."""
        for column in self.columns:
            if column.ref is None:
                continue
            wanted = {
                row.values[column.name].strip()
                for row in rows
                if row.values.get(column.name, "").strip()
            }
            found = self.lookup(tenant, column.ref, wanted)
            for row in rows:
                value = (
                    row.values.get(column.name, "").strip() if column.name in row.values else None
                )
                if value is None:
                    continue
                if not value:
                    row.data[column.field] = None
                    continue
                target = found.get(value)
                if target is None:
                    row.error(column.name, self.missing_message(column, value))
                else:
                    row.data[column.field] = target

    def lookup(self, tenant, ref: Ref, values: set[str]) -> dict[str, Any]:
        if not values:
            return {}
        model = ref.model_class()
        records = model.objects.for_tenant(tenant).filter(**{f"{ref.lookup}__in": values})
        return {getattr(r, ref.lookup): r for r in records}

    def missing_message(self, column: ImportColumn, value: str) -> str:
        model = column.ref.model_class()
        return _("No %(what)s “%(value)s” exists.") % {
            "what": model._meta.verbose_name,
            "value": value,
        }

    def existing(self, tenant, identities: set[tuple]) -> dict[tuple, Any]:
        """The records the identities name, by identity (single-column identities here)."""
        if not identities:
            return {}
        (name,) = self.identity
        field_name = self.column(name).field
        records = self.queryset(tenant).filter(**{f"{field_name}__in": {i[0] for i in identities}})
        return {(getattr(r, field_name),): r for r in records}

    def new(self, tenant, row: Row):
        return self.model_class()(tenant=tenant)

    def assign(self, instance, row: Row) -> None:
        for column in self.columns:
            if column.field in row.data:
                setattr(instance, column.field, row.data[column.field])

    def validate(self, tenant, row: Row, instance) -> None:
        """The model's field rules and clean(), without queries (relations are not re-read)."""
        exclude = [f.name for f in instance._meta.fields if f.is_relation] + list(self.not_cleaned)
        if row.action == CREATE and self.sequence and not getattr(instance, self.number_field):
            exclude.append(self.number_field)
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            self.add_errors(row, exc)
        try:
            instance.clean()
        except ValidationError as exc:
            self.add_errors(row, exc)

    def check_rows(self, tenant, rows: list[Row]) -> None:
        """Hook for rules across rows (after each row was validated)."""

    def add_errors(self, row: Row, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                column = self.column_for_field(name)
                for error in errors:
                    row.error(column, " ".join(error.messages))
        else:
            for message in exc.messages:
                row.error(None, message)

    def column_for_field(self, field_name: str) -> str | None:
        for column in self.columns:
            if column.field == field_name:
                return column.name
        return None if field_name == "__all__" else field_name

    def save(self, tenant, rows: list[Row]) -> None:
        """Save the checked rows' instances: new ones in bulk, changed ones in bulk."""
        model = self.model_class()
        new = [row.instance for row in rows if row.action == CREATE]
        if self.sequence:
            self.number(tenant, new)
        model.objects.bulk_create(new, batch_size=1000)
        # Only the rows and fields that differ from what is stored are written (a re-import of
        # the same file writes nothing).
        allowed = set(self.update_fields([row for row in rows if row.action == UPDATE]))
        changed, fields = [], set()
        for row in rows:
            if row.action == UPDATE and row.before is not None:
                differ = {
                    f.name
                    for f in model._meta.concrete_fields
                    if f.name in allowed
                    and getattr(row.instance, f.attname) != row.before[f.attname]
                }
                if differ:
                    changed.append(row.instance)
                    fields |= differ
        if changed:
            model.objects.bulk_update(changed, sorted(fields), batch_size=500)

    def update_fields(self, rows: list[Row]) -> list[str]:
        names = {name for row in rows for name in row.values}
        model_fields = {f.name for f in self.model_class()._meta.concrete_fields}
        return sorted(
            {
                c.field
                for c in self.columns
                if c.name in names and c.field in model_fields and c.name not in self.identity
            }
        )

    def number(self, tenant, instances: list) -> None:
        """Keep the given numbers (the sequence continues after the highest) and give the
        others the sequence's next free numbers."""
        from tenancy.services import sequence_continue_after, sequence_next_numbers

        given = [getattr(i, self.number_field) for i in instances if getattr(i, self.number_field)]
        sequence_continue_after(tenant=tenant, key=self.sequence, numbers=given)
        missing = [i for i in instances if not getattr(i, self.number_field)]
        taken = set(given)
        while missing:
            candidates = sequence_next_numbers(tenant=tenant, key=self.sequence, count=len(missing))
            taken |= set(
                self.queryset(tenant)
                .filter(**{f"{self.number_field}__in": candidates})
                .values_list(self.number_field, flat=True)
            )
            free = [number for number in candidates if number not in taken]
            for instance, number in zip(missing, free, strict=False):
                setattr(instance, self.number_field, number)
            missing = missing[len(free) :]

    # -- export --

    def export_queryset(self, tenant):
        return self.queryset(tenant)

    def export_rows(self, queryset) -> Iterable[list]:
        for obj in queryset:
            yield [column.export_of(obj) for column in self.columns]


def moves(target, current_id) -> bool:
    """Whether a row's reference (a record or None) points elsewhere than ``current_id``
    (compared by id: reading the current record would cost a query per row)."""
    return target is not None and target.pk != current_id


_kinds: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> None:
    _kinds[kind.key] = kind


def import_kinds() -> list[ImportKind]:
    return sorted(_kinds.values(), key=lambda k: k.order)


def import_kind(key: str) -> ImportKind | None:
    return _kinds.get(key)


# --- Reading a file ------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    records: list[list[str]]  # cells as text, one list per data row


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return export_bool(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(name: str, content: bytes) -> Table:
    """The header and rows of a CSV (UTF-8, comma or semicolon) or XLSX (first sheet) file."""
    if len(content) > max_bytes():
        raise ImportFileError(
            _("The file is larger than %(size)s MB; split it into smaller files.")
            % {"size": round(max_bytes() / 1024 / 1024, 1)}
        )
    if name.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        rows = _xlsx_rows(content)
    else:
        rows = _csv_rows(content)
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    headers = [h.strip().lower() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    records = [[_unguard(c) for c in (row + [""] * width)[:width]] for row in rows[1:]]
    if not records:
        raise ImportFileError(_("The file has a header but no rows."))
    return Table(headers, records)


def _unguard(cell: str) -> str:
    """A cell our exports wrote with a leading apostrophe so that a spreadsheet shows a text
    starting like a formula as typed (web.lists.csv_cell) reads as the text again."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("Save the file as CSV in UTF-8 (or as an Excel workbook) and upload it again.")
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if "\x00" in text:
        raise ImportFileError(_("This is not a CSV or Excel file."))
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same answer to the user
        raise ImportFileError(_("This is not a CSV or Excel file.")) from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


# --- Checking and saving -------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: list[Row]
    saved: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == CREATE)

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == UPDATE)

    def summary(self) -> str:
        created, updated = (self.created, self.updated) if self.saved else (0, 0)
        return f"created={created} updated={updated} failed={self.failed}"


def check_rows(tenant, kind: ImportKind, table: Table) -> list[Row]:
    """Every row with its action (create/update) and errors; nothing is saved."""
    known = {c.name for c in kind.columns}
    unknown = [h for h in table.headers if h not in known]
    repeated = [h for h, n in Counter(table.headers).items() if n > 1 and h]
    missing = [name for name in kind.identity[1:] if name not in table.headers]
    if not any(name in table.headers for name in kind.identity[:1]) and (kind.sequence is None):
        missing.insert(0, kind.identity[0])
    file_errors = []
    for header in unknown:
        file_errors.append(
            _("Unknown column “%(column)s”; the columns are: %(columns)s.")
            % {"column": header or "?", "columns": ", ".join(c.name for c in kind.columns)}
        )
    for header in repeated:
        file_errors.append(_("The column “%(column)s” appears twice.") % {"column": header})
    for name in missing:
        file_errors.append(_("The column “%(column)s” is missing.") % {"column": name})

    rows = []
    for index, cells in enumerate(table.records, start=2):
        values = {h: c for h, c in zip(table.headers, cells, strict=True) if h in known}
        row = Row(line=index, values=values)
        for message in file_errors:
            row.error(None, message)
        row.key = kind.key_label(row)
        for column in kind.columns:
            if column.name not in values or column.ref is not None:
                continue
            try:
                row.data[column.field] = column.parse(values[column.name])
            except ValidationError as exc:
                row.error(column.name, " ".join(exc.messages))
        for column in kind.columns:
            if column.required and column.name in values and not values[column.name].strip():
                row.error(column.name, _("This column cannot be empty."))
        rows.append(row)

    # A record named twice in the file.
    seen: dict[tuple, int] = {}
    for row in rows:
        identity = kind.identity_of(row)
        if identity is None:
            continue
        if identity in seen:
            row.error(
                kind.identity[0],
                _("%(key)s appears twice in the file (also on row %(line)s).")
                % {"key": row.key, "line": seen[identity]},
            )
        else:
            seen[identity] = row.line

    kind.resolve(tenant, rows)
    found = kind.existing(tenant, {i for row in rows if (i := kind.identity_of(row))})
    for row in rows:
        identity = kind.identity_of(row)
        instance = found.get(identity) if identity else None
        row.action = UPDATE if instance is not None else CREATE
        if instance is None:
            for column in kind.columns:
                if column.required and column.name not in row.values:
                    row.error(
                        None, _("The column “%(column)s” is missing.") % {"column": column.name}
                    )
        if not row.ok:
            continue
        if instance is None:
            instance = kind.new(tenant, row)
        else:
            row.before = {
                f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            }
        kind.assign(instance, row)
        row.instance = instance
        kind.validate(tenant, row, instance)
    kind.check_rows(tenant, rows)
    return rows


def _lock_kind(tenant, kind: ImportKind) -> None:
    """One import of a kind at a time per tenant (the numbers and keys it checks stay true
    until it commits)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"import:{tenant.pk}:{kind.key}"]
        )


@contextmanager
def _no_cyclic_gc():
    """Python's cyclic garbage collector, run again and again over the tens of thousands of
    rows and model instances an import holds, took a third of its time; they are freed by
    reference counting anyway. Collected once at the end instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(
    tenant, kind: ImportKind, table: Table, *, valid_only: bool = False, dry_run: bool = False
) -> ImportResult:
    """Check every row and save: all rows when every row is valid, the valid rows when
    ``valid_only``, nothing on a dry run. Runs in the caller's tenant scope."""
    with transaction.atomic(), _no_cyclic_gc():
        _lock_kind(tenant, kind)
        rows = check_rows(tenant, kind, table)
        result = ImportResult(rows)
        if dry_run or (result.failed and not valid_only):
            return result
        valid = [row for row in rows if row.ok]
        if valid:
            kind.save(tenant, valid)
        result.saved = True
        return result


def export_response(kind: ImportKind, queryset, filename: str) -> HttpResponse:
    """The rows in the kind's import columns, as CSV."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([c.name for c in kind.columns])
    for values in kind.export_rows(queryset):
        writer.writerow([csv_cell(v) for v in values])
    return response


# --- Batches: the upload page's preview, then the import ----------------------------------------


def batch_list(*, tenant):
    from .models import ImportBatch

    return (
        ImportBatch.objects.for_tenant(tenant)
        .select_related("created_by")
        .defer("headers", "records", "preview")
    )


def batch_get(*, tenant, pk: int):
    from .models import ImportBatch

    return ImportBatch.objects.for_tenant(tenant).select_related("created_by").get(pk=pk)


def kind_label(value, event=None) -> str:
    """An import kind's key, read as its name (the activity log's ``kind`` parameter)."""
    kind = import_kind(value)
    return str(kind.label) if kind else str(value)


def register_events() -> None:
    from tenancy.events import register_event

    register_event(
        "import.run",
        gettext_lazy(
            "%(kind)s imported from %(file)s: %(created)s created, %(updated)s updated, "
            "%(failed)s rows with errors left out"
        ),
        kind=kind_label,
    )


def _record(tenant, by, batch, result: ImportResult) -> None:
    from django.utils import timezone

    from tenancy.services import audit_record

    batch.state = batch.DONE
    batch.finished_at = timezone.now()
    batch.created_count, batch.updated_count = result.created, result.updated
    batch.failed_count = result.failed
    batch.preview = [row.preview() for row in result.rows]
    batch.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="import.run",
        target=batch,
        params={
            "kind": batch.kind,
            "file": batch.file_name,
            "created": result.created,
            "updated": result.updated,
            "failed": result.failed,
        },
    )


@transaction.atomic
def batch_create(*, tenant, by, kind: ImportKind, file_name: str, table: Table):
    """Check an uploaded file and keep it with the preview of every row; nothing is saved."""
    from .models import ImportBatch

    rows = check_rows(tenant, kind, table)
    return ImportBatch.objects.create(
        tenant=tenant,
        kind=kind.key,
        file_name=file_name[:200],
        headers=table.headers,
        records=table.records,
        preview=[row.preview() for row in rows],
        failed_count=sum(1 for row in rows if not row.ok),
        created_by=by,
    )


@transaction.atomic
def batch_run(*, tenant, by, batch_id: int, valid_only: bool):
    """Import a checked upload: every row when every row is still valid, or the valid rows
    when asked. Returns (batch, result); result is None when the batch had already run (a
    second submit). Rows are checked again first: the data may have changed since the
    preview."""
    from .models import ImportBatch

    batch = ImportBatch.objects.for_tenant(tenant).select_for_update().get(pk=batch_id)
    kind = import_kind(batch.kind)
    if batch.state == batch.DONE or kind is None:
        return batch, None
    result = run_import(tenant, kind, Table(batch.headers, batch.records), valid_only=valid_only)
    if result.saved:
        batch.valid_only = valid_only
        _record(tenant, by, batch, result)
    else:
        batch.preview = [row.preview() for row in result.rows]
        batch.failed_count = result.failed
        batch.save(update_fields=["preview", "failed_count"])
    return batch, result


@transaction.atomic
def import_file(
    *, tenant, by, kind: ImportKind, file_name: str, table: Table, valid_only: bool, dry_run: bool
) -> ImportResult:
    """The command's import: check and save in one go, recorded like an upload."""
    from .models import ImportBatch

    result = run_import(tenant, kind, table, valid_only=valid_only, dry_run=dry_run)
    if result.saved:
        batch = ImportBatch.objects.create(
            tenant=tenant,
            kind=kind.key,
            file_name=file_name[:200],
            headers=table.headers,
            records=[],  # the file stays where it was; the counts and errors are kept
            valid_only=valid_only,
            created_by=by,
        )
        _record(tenant, by, batch, result)
    return result
