"""The data import pages: upload a file, see every row's action and errors, then import all
rows (only when every row is valid) or, by choice, the valid rows only (web.imports)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .imports import (
    IMPORT_DATA,
    ImportFileError,
    batch_create,
    batch_get,
    batch_list,
    batch_run,
    import_kind,
    import_kinds,
    max_bytes,
    read_table,
)
from .lookups import get_or_404
from .permissions import capability_required
from .submissions import create_once_url

PREVIEW_PAGE_SIZE = 100


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8) or Excel (.xlsx); the first row names the columns."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, k.label) for k in import_kinds()]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; split it into smaller files.")
                % {"size": round(max_bytes() / 1024 / 1024, 1)}
            )
        try:
            self.table = read_table(upload.name, upload.read())
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


@capability_required(IMPORT_DATA)
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            batch = batch_create(
                tenant=request.tenant,
                by=request.user,
                kind=import_kind(form.cleaned_data["kind"]),
                file_name=form.cleaned_data["file"].name,
                table=form.table,
            )
            return reverse("imports:batch", args=[batch.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(
        request,
        "web/imports/upload.html",
        {
            "form": form,
            "kinds": import_kinds(),
            "recent": batch_list(tenant=request.tenant)[:10],
        },
    )


@capability_required(IMPORT_DATA)
def import_batch(request, pk: int):
    batch = get_or_404(batch_get, tenant=request.tenant, pk=pk)
    kind = import_kind(batch.kind)
    only_errors = request.GET.get("errors") == "1"
    rows = [row for row in batch.preview if row["errors"]] if only_errors else batch.preview
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    total = len(batch.preview)
    failed = sum(1 for row in batch.preview if row["errors"])
    return render(
        request,
        "web/imports/batch.html",
        {
            "batch": batch,
            "kind": kind,
            "page_obj": page,
            "rows": page.object_list,
            "querystring": "errors=1" if only_errors else "",
            "only_errors": only_errors,
            "total": total,
            "failed": failed,
            "valid": total - failed,
            "to_create": sum(
                1 for r in batch.preview if not r["errors"] and r["action"] == "create"
            ),
            "to_update": sum(
                1 for r in batch.preview if not r["errors"] and r["action"] == "update"
            ),
            "list_url": reverse(kind.list_url) if kind and kind.list_url else "",
        },
    )


@capability_required(IMPORT_DATA)
def import_run(request, pk: int):
    batch = get_or_404(batch_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    valid_only = request.POST.get("mode") == "valid"
    batch, result = batch_run(
        tenant=request.tenant, by=request.user, batch_id=batch.pk, valid_only=valid_only
    )
    if result is None:
        messages.info(request, _("This file has already been imported."))
    elif result.saved:
        messages.success(
            request,
            _("Imported: %(created)s created, %(updated)s updated.")
            % {"created": result.created, "updated": result.updated},
        )
    else:
        messages.error(
            request,
            _(
                "Nothing was imported: %(failed)s rows have errors. Fix the file and upload it "
                "again, or import the valid rows only."
            )
            % {"failed": result.failed},
        )
    return redirect("imports:batch", pk=batch.pk)
