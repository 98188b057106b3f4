"""The list filter bars' fields are rendered in Python (web.templatetags.fieldline.field_group)
instead of through templates/forms/field.html and Django's widget templates: the HTML must be
exactly what the templates give, for every kind of field, bound or not, with errors, in every
language; a field the Python renderer does not know is rendered by its templates."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from web.forms import SearchForm, mark_required
from web.templatetags.fieldline import _widget_html, field_group_html

LANGUAGES = ["en", "pl", "fr", "pt-br", "ru", "et"]


class _Own(forms.TextInput):
    template_name = "django/forms/widgets/attrs.html"


class _Sample(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Number or description"))
    name = forms.CharField(label='Name <b>&"', max_length=5, help_text=mark_safe("<em>safe</em>"))
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), ("a&b", "A & B"), ("new", _("New"))],
    )
    when = forms.DateField(
        label=_("Preferred from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount = forms.DecimalField(label=_("Amount"), required=False, localize=True)
    count = forms.IntegerField(label="", required=False, disabled=True, initial=3)
    email = forms.EmailField(
        required=False, widget=forms.EmailInput(attrs={"id": "own-id", "aria-describedby": "x"})
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two")], required=False)
    flag = forms.BooleanField(label=_("Active"), required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput())
    own = forms.CharField(required=False, widget=_Own())
    star = forms.ChoiceField(choices=[("", "-"), ("x", "X")], required=False)
    note = forms.CharField(
        label=_("Note"), max_length=3, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_required(self.fields["star"])


DATA = [
    None,
    {
        "q": "ab<c>",
        "note": "<b>",
        "name": "Ok",
        "state": "a&b",
        "when": "2026-12-04",
        "amount": "1.5",
    },
    {
        "name": "far too long <x>",
        "state": "nope",
        "when": "4th of never",
        "amount": "x",
        "email": "not-an-address",
        "many": ["3"],
        "star": "y",
        "note": "far & too long",
    },
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("data", DATA)
def test_every_field_renders_as_its_templates_render_it(language, data):
    with translation.override(language):
        form = _Sample(data=data, initial={"amount": Decimal("1234.5")})
        for bound in form:
            assert field_group_html(bound) == bound.as_field_group(), bound.name
        search = SearchForm(data={"q": "x & y"} if data else None, label=_("Customer"))
        assert field_group_html(search["q"]) == search["q"].as_field_group()


def test_the_fast_path_covers_the_filter_bars_fields_and_only_those():
    form = _Sample(data=DATA[2])
    fast = {bound.name for bound in form if _widget_html(bound) is not None}
    # a checkbox, a hidden field and a widget with a template of its own go through the templates
    assert fast == {
        "q",
        "name",
        "state",
        "when",
        "amount",
        "count",
        "email",
        "many",
        "star",
        "note",
    }
    assert form["when"].errors and 'aria-invalid="true"' in field_group_html(form["when"])


def test_a_date_value_and_a_bound_value_are_shown():
    form = _Sample(initial={"when": datetime.date(2026, 12, 4)})
    assert 'value="2026-12-04"' in field_group_html(form["when"])
    assert field_group_html(form["when"]) == form["when"].as_field_group()
