"""Searchable pickers: a plain ``<select>`` that static/js/fieldline.js turns into a
type-to-search box (Tom Select, vendored). Without JavaScript the select works as it is.

The select lists every choice (so the page works without JavaScript); for lists that can be long
the widget also names a search endpoint, which the picker asks as the user types, so that a
match on something the option text does not show (a number, a city) is found too. Over
LONG_LIST choices such a select holds only the chosen one and the picker always asks the server
(PickerSelect with ``search``, and web.forms.ValuesChoiceField with ``search`` for filters read
as values; decision 0028)::

    customer = forms.ModelChoiceField(..., widget=PickerSelect(search="customers:customer_search"))

    @capability_required(VIEW_MASTER_DATA)
    def customer_search(request):
        return picker_results(
            selectors.customer_search(tenant=request.tenant, text=picker_query(request))
        )

Endpoints answer ``{"results": [{"value": "12", "text": "C-000012 · Acme"}]}`` with at most
``PICKER_LIMIT`` rows, from one query.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PICKER_LIMIT = 20
QUERY_MAX_LENGTH = 100


# A picker with a search endpoint and more choices than this holds only the chosen one in the
# page and asks the server as the user types (decision 0028): thousands of options cost a page
# more than everything else on it, in time and in weight.
LONG_LIST = 200


class PickerSelect(forms.Select):
    def __init__(self, attrs=None, choices=(), *, search: str = ""):
        super().__init__(attrs, choices)
        self.search = search  # URL name of the search endpoint, or "" to search the options

    def get_context(self, name, value, attrs):
        choices = self.choices
        read = _read_choices(choices, self.format_value(value)) if self.search else None
        if read is not None:
            options, searched = read
            self.choices = options
        try:
            context = super().get_context(name, value, attrs)
        finally:
            self.choices = choices
        if read is not None and searched:
            search_picker_attrs(context["widget"]["attrs"], self.search)
        else:
            picker_attrs(context["widget"]["attrs"], self.search)
        return context


def _read_choices(choices, value) -> tuple[list, bool] | None:
    """A ModelChoiceField's options read by one query of at most LONG_LIST + 1 records: all of
    them when the list is short, else (searched: True) the empty choice and the chosen record
    only. None for other choices (a fixed list, or a field with ``listed`` records)."""
    queryset = getattr(choices, "queryset", None)
    field = getattr(choices, "field", None)
    if queryset is None or field is None or getattr(field, "listed", None) is not None:
        return None
    rows = list(queryset[: LONG_LIST + 1])
    searched = len(rows) > LONG_LIST
    if searched:
        wanted = {int(v) for v in value if str(v).isdigit() and len(str(v)) < 19}
        rows = [row for row in rows if row.pk in wanted]
        if wanted and not rows:
            rows = list(queryset.filter(pk__in=wanted))
    options = [("", field.empty_label)] if field.empty_label is not None else []
    options.extend(choices.choice(row) for row in rows)
    return options, searched


def picker_attrs(widget_attrs: dict, search: str = "") -> None:
    """Mark a select's attributes for the picker script, with its search endpoint if any."""
    widget_attrs["data-fl-picker"] = ""
    widget_attrs["data-fl-no-results"] = str(_("Nothing found"))
    widget_attrs["data-fl-placeholder"] = str(_("Type to search…"))
    if search:
        widget_attrs["data-fl-search-url"] = reverse(search)


def search_picker_attrs(widget_attrs: dict, search: str) -> None:
    """A picker whose select holds only the chosen option (web.forms.ValuesChoiceField with a
    long list): it always asks the server, whatever the number of options in the page."""
    picker_attrs(widget_attrs, search)
    widget_attrs["data-fl-search-only"] = ""


def picker_query(request) -> str:
    return request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]


def picker_results(rows: Iterable, *, label: Callable[[object], str] = str) -> JsonResponse:
    """The endpoint's answer: at most PICKER_LIMIT rows (slice the queryset, one query)."""
    if hasattr(rows, "query"):
        rows = rows[:PICKER_LIMIT]
    results = [{"value": str(row.pk), "text": label(row)} for row in list(rows)[:PICKER_LIMIT]]
    return JsonResponse({"results": results})
