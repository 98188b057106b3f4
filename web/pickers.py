"""Searchable pickers: a plain ``<select>`` that static/js/fieldline.js turns into a
type-to-search box (Tom Select, vendored). Without JavaScript the select works as it is.

The select lists every choice (so the page works without JavaScript); for lists that can be long
the widget also names a search endpoint, which the picker asks as the user types, so that a
match on something the option text does not show (a number, a city) is found too (a filter of
thousands, web.forms.ValuesChoiceField with ``search``, lists only the chosen one and always
asks the server: decision 0028)::

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


class PickerSelect(forms.Select):
    def __init__(self, attrs=None, choices=(), *, search: str = ""):
        super().__init__(attrs, choices)
        self.search = search  # URL name of the search endpoint, or "" to search the options

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        picker_attrs(context["widget"]["attrs"], self.search)
        return context


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
