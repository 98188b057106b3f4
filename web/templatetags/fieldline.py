"""Template helpers shared by every app: sortable headers, query strings, capabilities."""

from django import template
from django.utils.html import format_html

from ..permissions import request_can

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, column):
    """A table header that links to sorting by this column (toggling the direction)."""
    if not column.order_by:
        return format_html('<th scope="col">{}</th>', column.label)
    request = context["request"]
    current = context.get("sort", "")
    descending = current == column.key
    query = request.GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{column.key}" if descending else column.key
    arrow = ""
    aria = "none"
    if current.lstrip("-") == column.key:
        arrow = " ▼" if current.startswith("-") else " ▲"
        aria = "descending" if current.startswith("-") else "ascending"
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}">{}{}</a></th>',
        aria,
        query.urlencode(),
        column.label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (e.g. page=3)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def can(request, capability: str) -> bool:
    return request_can(request, capability)


@register.simple_tag
def submission_token():
    """A hidden one-use token for create forms (see tenancy.submissions)."""
    from ..submissions import FIELD, new_token

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())


@register.simple_tag(takes_context=True)
def detail_panels(context, slot: str, obj):
    """The sections other apps registered for this page (web.registry.Panel), rendered in order;
    each runs its owning app's selectors, so the page's query count stays constant."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from ..registry import panels_for

    request = context["request"]
    parts = []
    for panel in panels_for(slot):
        if panel.capability and not request_can(request, panel.capability):
            continue
        panel_context = panel.context(request, obj)
        if panel_context is None:
            continue
        parts.append(render_to_string(panel.template, panel_context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - each part is an autoescaped template


@register.filter
def weekday_date(value):
    """A date with its weekday as the reader's language writes it ("piątek, 4 grudnia 2026");
    see web/dates.py."""
    from ..dates import weekday_date as format_weekday_date

    return format_weekday_date(value) if value else ""
