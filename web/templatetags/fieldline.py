"""Template helpers shared by every app: sortable headers, query strings, capabilities."""

import html

from django import template
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeData, mark_safe

from ..forms import FieldlineFormRenderer
from ..permissions import request_can

register = template.Library()


def _column_classes(column, *, header: bool = False) -> str:
    """The classes of a list column's header and cells (web/list.html, static CSS); a header
    may wrap where its cells may not."""
    classes = []
    if column.role:
        classes.append(f"fl-role-{column.role}")
    if column.breakpoint:
        classes.append(f"fl-from-{column.breakpoint}")
    if column.numeric:
        classes.append("text-end")
    if column.nowrap and not header:
        classes.append("text-nowrap")
    if column.truncate:
        classes.append("fl-trunc")
    return " ".join(classes)


@register.simple_tag(takes_context=True)
def sort_header(context, column):
    """A table header that links to sorting by this column (toggling the direction)."""
    classes = _column_classes(column, header=True)
    if getattr(column, "role", "") == "action" or getattr(column, "hide_label", False):
        return format_html(
            '<th scope="col" class="{}"><span class="visually-hidden">{}</span></th>',
            classes,
            column.label,
        )
    if not column.order_by:
        return format_html('<th scope="col" class="{}">{}</th>', classes, column.label)
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
        '<th scope="col" class="{}" aria-sort="{}"><a href="?{}">{}{}</a></th>',
        classes,
        aria,
        query.urlencode(),
        column.label,
        arrow,
    )


def _cell_start(column) -> str:
    """The opening ``<td>`` every cell of a column shares on a page (classes, card label)."""
    from ..lists import ACTION, TITLE

    label = "" if column.role in (TITLE, ACTION) else column.label
    return f'<td class="{_column_classes(column)}" data-label="{_escape(label)}">'


def _cell(context, column, row, start: str) -> str:
    """One cell: the row's value for the column, formatted, linked, truncated, or rendered by
    the column's ``html`` function or its template. Plain strings, not format_html: a list
    page has hundreds of cells."""
    from ..lists import ACTION, shown

    value = column.display_value(row)
    text = None  # the content as plain text, where it is known (the title of a cut cell)
    if column.html is not None:
        content = column.html(row, value)
    elif column.template:
        template = context.template.engine.get_template(column.template)
        with context.push(row=row, value=value, column=column):
            content = template.render(context)
        content = content.strip()
    else:
        value = shown(value)
        if type(value) is str:
            text = value
            content = html.escape(value)
        else:
            content = str(conditional_escape(value))
    url = column.link(row) if column.link else None
    if column.role == ACTION:
        content = (
            f'<a class="btn btn-sm btn-outline-primary" href="{_escape(url)}">'
            f"{_escape(column.label)}</a>"
        )
        text = None
    elif url:
        content = f'<a href="{_escape(url)}">{content}</a>'
    if column.truncate:
        if text is None:
            text = html.unescape(strip_tags(content))
        focus = "" if url else ' tabindex="0"'
        content = f'<span class="fl-trunc-text" title="{html.escape(text)}"{focus}>{content}</span>'
    return f"{start}{content}</td>"


@register.simple_tag(takes_context=True)
def list_cell(context, column, row):
    """One cell of the list component: the row's value for the column, formatted, linked,
    truncated, or rendered by the column's template; labelled for the phone's card."""
    return mark_safe(_cell(context, column, row, _cell_start(column)))  # noqa: S308 - escaped


@register.simple_tag(takes_context=True)
def list_rows(context, columns, rows):
    """The rows of the list component, each a ``<tr>`` of ``list_cell`` cells (the same HTML),
    rendered in one pass: what the cells of a column share is worked out once per page."""
    starts = [_cell_start(column) for column in columns]
    out = []
    for row in rows:
        out.append("\n    <tr>")
        for column, start in zip(columns, starts, strict=True):
            out.append(_cell(context, column, row, start))
        out.append("</tr>\n  ")
    return mark_safe("".join(out))  # noqa: S308 - every cell is escaped


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
    each runs its owning app's selectors, so the page's query count stays constant. A panel's
    template is rendered like an include: in the page's context (the request, the user, the
    CSRF token: the context processors are not run again) with the panel's values on top."""
    from django.utils.safestring import mark_safe

    from ..registry import panels_for

    request = context["request"]
    engine = context.template.engine
    parts = []
    for panel in panels_for(slot):
        if panel.capability and not request_can(request, panel.capability):
            continue
        panel_context = panel.context(request, obj)
        if panel_context is None:
            continue
        with context.push(panel_context):
            parts.append(engine.get_template(panel.template).render(context))
    return mark_safe("".join(parts))  # noqa: S308 - each part is an autoescaped template


@register.inclusion_tag("web/_breadcrumbs.html")
def breadcrumbs(*trail):
    """The page's place: ``{% breadcrumbs "customers:customer_list" customer _("Edit") %}``.

    Each part is a menu entry's URL name (its label and link from web.navigation), a record
    (its text, linked to its ``get_absolute_url``), a path starting with "/" (the link of the
    text that follows it), or a text; empty parts are left out. The last part is the page
    itself and is not a link."""
    from django.urls import reverse

    from ..navigation import registered

    labels = {item.url_name: item.label for item in registered()}
    crumbs = []
    link = ""
    parts = []
    for part in trail:  # a list or queryset (e.g. an object's ancestors) adds its records
        is_many = isinstance(part, list | tuple) or hasattr(part, "model")
        parts.extend(part if is_many else [part])
    for part in parts:
        if part is None or part == "":
            continue
        if isinstance(part, str) and part.startswith("/"):
            link = part
            continue
        if hasattr(part, "get_absolute_url"):
            crumbs.append({"label": str(part), "url": part.get_absolute_url()})
        elif isinstance(part, str) and part in labels:
            crumbs.append({"label": labels[part], "url": reverse(part)})
        else:
            crumbs.append({"label": str(part), "url": link})
        link = ""
    if crumbs:
        crumbs[-1]["url"] = ""
    return {"crumbs": crumbs}


@register.inclusion_tag("web/_confirm_button.html")
def confirm_button(url: str, label, css: str = "btn-outline-danger", testid: str = ""):
    """A button for an action that asks first (web.confirm): a dialog with htmx, without
    JavaScript a link to the confirmation page."""
    return {"url": url, "label": label, "css": css, "testid": testid}


@register.inclusion_tag("web/_undo_offer.html", takes_context=True)
def undo_offer(context):
    """The undo a view offered after a delete (web.undo), shown on this page view only."""
    from ..undo import undo_offer_take

    request = context.get("request")
    return {
        "offer": undo_offer_take(request) if request is not None else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def weekday_date(value):
    """A date with its weekday as the reader's language writes it ("piątek, 4 grudnia 2026");
    see web/dates.py."""
    from ..dates import weekday_date as format_weekday_date

    return format_weekday_date(value) if value else ""


# --- Select options -------------------------------------------------------------------------------

# Django's own template for one option: rendered here in Python when a widget uses it, as one
# template include per option costs about 50 µs, which a filter of 2,000 customers turns into
# a tenth of a second. The HTML is the same as the templates' (tests/web/test_select_options.py).
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(" " + _escape(name))
        else:
            parts.append(f' {_escape(name)}="{_formatted(value)}"')
    return "".join(parts)


def _escape(value) -> str:
    """What autoescaping prints for ``value`` (already safe text as it is)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``: the text of the value, escaped unless it was safe."""
    text = "%s" % (value,)  # noqa: UP031 - what stringformat does
    return text if isinstance(value, SafeData) else html.escape(text)


@register.simple_tag(takes_context=True)
def select_options(context, widget):
    """The options (and option groups) of a select widget, as django/forms/widgets/select.html
    renders them; an option with a template of its own is rendered with that template."""
    from django.template.loader import render_to_string

    if "options_html" in widget:  # written in one pass (web.forms.ValuesSelect)
        return widget["options_html"]
    out = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] == _OPTION_TEMPLATE:
                label = option["label"]
                shown = (
                    html.escape(label)
                    if type(label) is str
                    else render_value_in_context(label, context)
                )
                value = _formatted(option["value"])
                attrs = _attrs_html(option["attrs"]) if option["attrs"] else ""
                # the option template's file ends with a newline
                out.append(f'\n  <option value="{value}"{attrs}>{shown}</option>\n')
            else:
                out.append("\n  ")
                out.append(render_to_string(option["template_name"], {"widget": option}))
        if group_name:
            out.append("\n  </optgroup>")
    return mark_safe("".join(out))  # noqa: S308 - every part is escaped


# --- Field groups ---------------------------------------------------------------------------------

# templates/forms/field.html in Python for the field types of the list filter bars and the order
# page's action forms (text-like inputs, selects, text areas): a list's filters through the
# field, widget and attrs templates cost about a third of a list page. The HTML is the same as
# the templates' (tests/web/test_field_group.py, in every language); any other field (a
# checkbox, a field or widget with a template of its own, a hidden initial value, another form
# renderer) is rendered by its templates.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "date", "number", "email", "search", "url", "tel", "time", "datetime")
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
_FIELD_TEMPLATE = "forms/field.html"


def _value_html(value) -> str:
    """``{{ value }}`` in a template with autoescaping (localized, escaped unless safe)."""
    if type(value) is str:
        return html.escape(value)
    return str(render_value_in_context(value, Context()))


def _widget_html(bound) -> str | None:
    """``{{ field }}`` (BoundField.as_widget) for an input or a select; None for another widget."""
    field = bound.field
    widget = field.widget
    template_name = widget.template_name
    if template_name not in _INPUT_TEMPLATES and template_name not in (
        _SELECT_TEMPLATE,
        _TEXTAREA_TEMPLATE,
    ):
        return None
    if field.localize:
        widget.is_localized = True
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    data = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    if data.get("template_name", template_name) != template_name:
        return None
    name = _value_html(data["name"])
    attrs_html = _attrs_html(data["attrs"])
    if template_name == _SELECT_TEMPLATE:
        return f'<select name="{name}"{attrs_html}>{select_options(Context(), data)}\n</select>'
    value = data["value"]
    if template_name == _TEXTAREA_TEMPLATE:
        text = _value_html(value) if value else ""
        return f'<textarea name="{name}"{attrs_html}>\n{text}</textarea>'
    value_html = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_value_html(data["type"])}" name="{name}"{value_html}{attrs_html}>'


def field_group_html(bound) -> str:
    """What ``{{ bound.as_field_group }}`` gives (templates/forms/field.html)."""
    field = bound.field
    renderer = bound.form.renderer
    fast = (
        type(renderer) is FieldlineFormRenderer
        and renderer.field_template_name == _FIELD_TEMPLATE
        and field.template_name is None
        and not field.show_hidden_initial
        and not field.widget.is_hidden
    )
    widget_html = _widget_html(bound) if fast else None
    if widget_html is None:
        return bound.as_field_group()
    errors = bound.errors
    auto_id = _value_html(bound.auto_id)
    out = [
        '<div class="mb-3 fl-field',
        " fl-field-error" if errors else "",
        f'" data-field="{_value_html(bound.html_name)}">\n\n  ',
    ]
    label = bound.label
    if label:
        out.append(
            f'<label class="form-label" for="{_value_html(bound.id_for_label)}">'
            f"{_value_html(label)}"
        )
        if field.required or getattr(field, "fl_required", False):
            out.append(' <span aria-hidden="true" class="text-danger">*</span>')
        out.append("</label>")
    out.append(f"\n  {widget_html}\n\n")
    help_text = bound.help_text
    if help_text:
        out.append(f'<div class="form-text" id="{auto_id}_helptext">{help_text}</div>')
    out.append("\n")
    for error in errors:
        out.append(
            f'<div class="invalid-feedback d-block" id="{auto_id}_error">{_value_html(error)}</div>'
        )
    out.append("\n</div>")
    return mark_safe("".join(out))  # noqa: S308 - every part is escaped (help text is |safe)


@register.simple_tag
def field_group(bound):
    """``{{ bound.as_field_group }}`` rendered in Python where the field allows it."""
    return field_group_html(bound)
