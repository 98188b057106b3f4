"""Form helpers every app uses: the project-wide renderer and service errors on forms."""

import html
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, gettext_noop

from . import pickers
from .pickers import search_picker_attrs

# Django's own strings that its catalogues don't translate in all our languages yet: listing them
# here puts them in ours (which take precedence), so no English shows through.
DJANGO_STRINGS_OUR_CATALOGUES_COVER = (gettext_noop("- Select an option -"),)


def attach_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: beside its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class FieldlineFormRenderer(TemplatesSetting):
    """Every form renders with its errors beside each field (templates/forms/)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class ServiceCheckedModelForm(forms.ModelForm):
    """Fields and widgets from the model; the model and cross-record rules are checked once, by
    the service, so a message never appears twice."""

    def _post_clean(self):
        pass


def mark_required(field: forms.Field) -> None:
    """Show a field as required although the form lets it be empty in some cases (e.g. an
    agreement's customer, optional only for templates): the star, and aria-required."""
    field.fl_required = True
    field.widget.attrs["aria-required"] = "true"


@dataclass(frozen=True)
class FormSection:
    """A group of a long form's fields under a heading; a folded one starts closed (for fields
    rarely used) unless one of its fields has an error or a value other than its default."""

    title: str
    fields: tuple[str, ...]
    folded: bool = False


class SectionedFormMixin:
    """``{{ form }}`` renders the fields in ``sections`` (FormSection), each a fieldset, the
    folded ones inside <details>; fields in no section come last."""

    sections: tuple[FormSection, ...] = ()
    template_name = "forms/sections.html"

    def _differs_from_default(self, bound) -> bool:
        value = bound.value()
        model = getattr(getattr(self, "_meta", None), "model", None)
        default = None
        if model is not None:
            try:
                default = model._meta.get_field(bound.name).get_default()
            except Exception:  # noqa: BLE001 - a form-only field has no model default
                default = None
        empty = (None, "", [], (), False, 0, "0")
        if value in empty and default in empty:
            return False
        return str(value) != str(default)

    def grouped_fields(self) -> list[dict]:
        groups = []
        placed: set[str] = set()
        for section in self.sections:
            fields = [self[name] for name in section.fields if name in self.fields]
            placed.update(bound.name for bound in fields)
            if not fields:
                continue
            instance = getattr(self, "instance", None)
            editing = instance is not None and instance.pk is not None
            opened = any(bound.errors for bound in fields) or (
                editing and any(self._differs_from_default(bound) for bound in fields)
            )
            groups.append(
                {
                    "title": section.title,
                    "fields": fields,
                    "folded": section.folded,
                    "open": not section.folded or opened,
                }
            )
        rest = [bound for bound in self.visible_fields() if bound.name not in placed]
        if rest:
            groups.append({"title": "", "fields": rest, "folded": False, "open": True})
        return groups


class SearchForm(forms.Form):
    """The filter bar of a list whose only filter is a search box (web/list.html)."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["q"].label = label


class _ValuesChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        fields = self.field.label_fields
        for pk, *values in self.queryset.values_list("pk", *fields):
            yield (forms.models.ModelChoiceIteratorValue(pk, None), self.field.label_of(*values))

    def plain(self, chosen=None):
        """The choices as (value, label) with the bare primary key: what ValuesSelect writes.
        When the field searches the server and the list is long: the empty choice and the
        chosen one only (``self.searched`` tells which), from the same one query."""
        self.searched = False
        label_of = self.field.label_of
        rows = self.queryset.values_list("pk", *self.field.label_fields)
        if self.field.search:
            rows = list(rows[: pickers.LONG_LIST + 1])
            self.searched = len(rows) > pickers.LONG_LIST
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.searched:
            yield from self.field.chosen_choice(chosen)
            return
        for pk, *values in rows:
            yield (pk, label_of(*values))


def _escaped(value) -> str:
    """What autoescaping prints for ``value`` (safe text as it is)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


class ValuesSelect(forms.Select):
    """The select of a ValuesChoiceField: its options written in one pass, the same HTML as
    Django's select templates give (tests/web/test_select_options.py), without the dictionary
    per option Django's ``optgroups`` builds - with thousands of options that is most of a
    list page's filter form. Other choices (no ``plain()``) go through Django's way."""

    def get_context(self, name, value, attrs):
        plain = getattr(self.choices, "plain", None)
        if plain is None or self.allow_multiple_selected:
            return super().get_context(name, value, attrs)
        context = forms.Widget.get_context(self, name, value, attrs)
        chosen = context["widget"]["value"]
        values, labels, raw = [], [], []
        choices = list(plain(chosen[0] if chosen else None))
        if getattr(self.choices, "searched", False):
            search_picker_attrs(context["widget"]["attrs"], self.choices.field.search)
        for option_value, label in choices:
            values.append(
                str(option_value)
                if type(option_value) is int
                else html.escape("" if option_value is None else str(option_value))
            )
            if type(label) is str:
                labels.append(None)
                raw.append(label)
            else:  # lazy or safe text: as autoescaping prints it
                labels.append(str(conditional_escape(label)))
        # one escape of all the plain labels, not one per option (thousands of them)
        joined = "\x00".join(raw)
        if raw and joined.count("\x00") == len(raw) - 1:  # no label has a NUL of its own
            escaped = iter(html.escape(joined).split("\x00"))
        else:
            escaped = iter([html.escape(label) for label in raw])
        out = []
        selected = False
        for value, label in zip(values, labels, strict=True):
            mark = ""
            if not selected and value in chosen:
                selected = True
                mark = " selected"
            shown = next(escaped) if label is None else label
            # the option template's file ends with a newline
            out.append(f'\n  <option value="{value}"{mark}>{shown}</option>\n')
        context["widget"]["optgroups"] = ()
        context["widget"]["options_html"] = mark_safe("".join(out))  # noqa: S308 - escaped
        return context


class PlainQueryChoiceIterator(forms.models.ModelChoiceIterator):
    """A ModelChoiceField's options read by one plain query when the field is shown (set as the
    field's ``iterator`` before its queryset). Django's iterator reads them with
    ``QuerySet.iterator()``, which on PostgreSQL is a server-side cursor: DECLARE, FETCH and
    CLOSE, three round trips for a short list on a page that must be fast. Same options. A
    field with ``listed`` (a function returning the same records, e.g. a precompiled selector,
    tenancy.precompiled) shows what it returns; its queryset still validates the choice."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        listed = getattr(self.field, "listed", None)
        for obj in listed() if listed is not None else self.queryset.all():
            yield self.choice(obj)


def listed_choices(field: forms.ModelChoiceField, objects) -> list:
    """The options a ModelChoiceField would read from its queryset, made from ``objects``
    already read (the same records, in its order): set them as ``field.choices`` to show the
    field without another query. Validation still looks the chosen value up in the queryset."""
    options = [("", field.empty_label)] if field.empty_label is not None else []
    options.extend(
        (forms.models.ModelChoiceIteratorValue(obj.pk, obj), field.label_from_instance(obj))
        for obj in objects
    )
    return options


class ValuesChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField for long lists (a filter of every customer): its options are read as
    plain values, ``label_fields``, and labelled by ``label_of(*values)``, instead of one model
    instance per option; give the same text as the model's ``__str__`` (test it). The chosen
    value is looked up and cleaned as by ModelChoiceField.

    With ``search`` (a picker endpoint's URL name, see web.pickers) and more than
    ``pickers.LONG_LIST`` choices the select holds only the chosen one and its picker searches
    the server: thousands of options cost the page more than everything else on it, in time and
    in weight."""

    iterator = _ValuesChoiceIterator
    widget = ValuesSelect

    def __init__(self, *args, label_fields: tuple[str, ...], label_of, search: str = "", **kwargs):
        self.label_fields = label_fields
        self.label_of = label_of
        self.search = search
        self.chosen = None  # the record the submitted value named (to_python)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        self.chosen = super().to_python(value)
        return self.chosen

    def chosen_choice(self, value=None):
        """The chosen record's (value, label): from the record validation read (no query), or
        for an unbound form's initial ``value`` (a page opened with ?customer=) read here."""
        if self.chosen is None and value and str(value).isdigit() and len(str(value)) < 19:
            row = self.queryset.filter(pk=int(value)).values_list("pk", *self.label_fields)
            if (found := row.first()) is not None:
                yield (found[0], self.label_of(*found[1:]))
        elif self.chosen is not None:
            values = (getattr(self.chosen, field) for field in self.label_fields)
            yield (self.chosen.pk, self.label_of(*values))
