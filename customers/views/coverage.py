"""Saving an edit that changes what agreements cover (customers.coverage), after the user has
seen what it does to the work planned from them.

The form page shows the effects (how many open generated visits are cancelled, the first of
them) with a "Save anyway" button carrying ``coverage_confirmed``; an edit that changes nothing
planned is saved at once. The preview is the save itself, made in a savepoint and rolled back,
so the list is exactly what saving does.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError

from web.forms import attach_errors

from ..coverage import coverage_description, coverage_preview

CONFIRMED = "coverage_confirmed"


def save_with_coverage_check(
    request, form, save: Callable[[dict], object], *, fields: Iterable[str]
) -> tuple[object | None, dict]:
    """Save ``form`` (valid) with ``save(cleaned_data)`` unless it first needs the user's
    confirmation. Returns (the saved record or None, context for the form page: ``coverage``
    with the sentences and records to show)."""
    fields = set(fields)
    confirmed = CONFIRMED in request.POST
    if not confirmed and fields & set(form.changed_data):
        try:
            preview = coverage_preview(lambda: save(form.cleaned_data))
        except ValidationError as exc:
            attach_errors(form, exc)
            return None, {}
        if preview.changes_anything:
            effects, affected = coverage_description(preview)
            return None, {"coverage": {"effects": effects, "affected": affected}}
    try:
        return save(form.cleaned_data), {}
    except ValidationError as exc:
        attach_errors(form, exc)
        return None, {}
