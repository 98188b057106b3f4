"""Select options are rendered in Python (web.templatetags.fieldline.select_options) instead of
one template include per option: the HTML must be exactly what Django's own templates give."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from web.forms import FieldlineFormRenderer


class _Danger(forms.Select):
    """An option template of its own (here a template that shows the option's attributes only):
    rendered with its template, not by the fast path."""

    option_template_name = "django/forms/widgets/attrs.html"


CASES = [
    forms.Select(choices=[("", "---------"), (1, "One"), (2, "Two <b>\"&'")]),
    forms.Select(
        choices=[
            ("Heating", [(1, "Boiler"), (2, "Heat pump")]),
            ("Cooling", [(3, "Air conditioning")]),
            (4, "Other"),
        ],
        attrs={"class": "form-select", "data-x": '"quoted"', "required": True, "hidden": False},
    ),
    forms.SelectMultiple(choices=[(1, "A"), (2, "B"), (3, "C")]),
    forms.NullBooleanSelect(),
    forms.Select(
        choices=[(gettext_lazy("Any"), gettext_lazy("All states")), (Decimal("1.5"), 1.5)]
    ),
    forms.Select(choices=[(datetime.date(2026, 12, 4), datetime.date(2026, 12, 4))]),
    forms.Select(
        choices=[(mark_safe("a&amp;b"), mark_safe("<i>safe</i>")), ("x&y", "A & B")],  # noqa: S308
        attrs={"title": mark_safe("&amp;"), "data-y": "&"},  # noqa: S308
    ),
    _Danger(choices=[(1, "One"), (2, "Two")]),
]
VALUES = [2, 3, [1, 3], True, "Any", None, "x&y", 1]


@pytest.mark.parametrize(("widget", "value"), list(zip(CASES, VALUES, strict=True)))
@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_select_renders_exactly_as_djangos_templates_render_it(widget, value, language):
    from django.utils import translation

    with translation.override(language):
        ours = widget.render("field", value, renderer=FieldlineFormRenderer())
        django = widget.render("field", value, renderer=DjangoTemplates())
    assert ours == django
    if not isinstance(widget, _Danger):
        groups = widget.optgroups("field", widget.format_value(value))
        assert ours.count("<option") == sum(len(options) for _, options, _ in groups) > 0


def test_a_model_choice_field_renders_exactly_as_djangos_templates_render_it(tenant_a):
    from customers.models import Customer
    from tests.factories import CustomerFactory

    for name in ("Kowalski & Syn", "<Nowak>", "Zieliński"):
        CustomerFactory(tenant=tenant_a, name=name)
    field = forms.ModelChoiceField(queryset=Customer.objects.filter(tenant=tenant_a))
    chosen = Customer.objects.filter(tenant=tenant_a).first().pk
    ours = field.widget.render("customer", chosen, renderer=FieldlineFormRenderer())
    django = field.widget.render("customer", chosen, renderer=DjangoTemplates())
    assert ours == django
    assert "Kowalski &amp; Syn" in ours and "&lt;Nowak&gt;" in ours and " selected>" in ours


class _PlainChoices:
    """What ValuesChoiceField's iterator offers ValuesSelect: ``plain()`` pairs, and the same
    pairs for Django's Select."""

    def __init__(self, pairs):
        self.pairs = pairs

    def plain(self):
        return iter(self.pairs)

    def __iter__(self):
        return iter(self.pairs)


PLAIN = [
    ("", gettext_lazy("All states")),
    (1, "Kowalski & Syn <Gdańsk>"),
    (2, "\"Quoted\" 'single'"),
    (3, mark_safe("<i>safe</i>")),  # noqa: S308
    (4, "Plain"),
    ("x&y", "Text value"),
]


@pytest.mark.parametrize("value", [None, "", 2, "2", "x&y", 99])
@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("with_nul", [False, True])
def test_a_values_select_renders_exactly_as_djangos_select(value, language, with_nul):
    """web.forms.ValuesSelect writes the options of a long list in one pass: the same HTML as
    Django's Select and templates for the same choices, the chosen one selected."""
    from django.utils import translation

    from web.forms import ValuesSelect

    pairs = [*PLAIN, (5, "odd \x00 label")] if with_nul else PLAIN
    ours_widget = ValuesSelect(attrs={"class": "form-select"})
    ours_widget.choices = _PlainChoices(pairs)
    django_widget = forms.Select(attrs={"class": "form-select"}, choices=pairs)
    with translation.override(language):
        ours = ours_widget.render("customer", value, renderer=FieldlineFormRenderer())
        django = django_widget.render("customer", value, renderer=DjangoTemplates())
    assert ours == django
    assert ours.count("<option") == len(pairs)
    assert ours.count(" selected") == (0 if value == 99 else 1)


def test_a_values_choice_field_renders_with_values_select(tenant_a):
    from tests.factories import CustomerFactory
    from web.forms import ValuesChoiceField, ValuesSelect

    for name in ("B & Co", "A <Ltd>"):
        CustomerFactory(tenant=tenant_a, name=name)
    from customers.models import Customer

    field = ValuesChoiceField(
        queryset=Customer.objects.filter(tenant=tenant_a).order_by("name"),
        required=False,
        empty_label="Any",
        label_fields=("name",),
        label_of=lambda name: name,
    )

    class Form(forms.Form):
        customer = field

    chosen = Customer.objects.get(tenant=tenant_a, name="B & Co")
    form = Form({"customer": str(chosen.pk)}, renderer=FieldlineFormRenderer())
    assert isinstance(form.fields["customer"].widget, ValuesSelect)
    html = str(form["customer"])
    assert f'<option value="{chosen.pk}" selected>B &amp; Co</option>' in html
    assert "A &lt;Ltd&gt;" in html and html.count("<option") == 3
    assert form.is_valid() and form.cleaned_data["customer"] == chosen


def test_plain_query_choices_give_the_same_options_in_one_query(tenant_a):
    """web.forms.PlainQueryChoiceIterator: Django's options, read by one SELECT instead of a
    server-side cursor (DECLARE, FETCH, CLOSE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import Customer
    from tests.factories import CustomerFactory
    from web.forms import PlainQueryChoiceIterator

    for name in ("Kowalski & Syn", "<Nowak>", "Zieliński"):
        CustomerFactory(tenant=tenant_a, name=name)
    queryset = Customer.objects.filter(tenant=tenant_a).order_by("name")
    djangos = forms.ModelChoiceField(queryset=queryset, empty_label="Nobody")
    ours = forms.ModelChoiceField(queryset=queryset.none(), empty_label="Nobody")
    ours.iterator = PlainQueryChoiceIterator
    ours.queryset = queryset
    chosen = queryset.first().pk
    expected = djangos.widget.render("c", chosen, renderer=FieldlineFormRenderer())
    with CaptureQueriesContext(connection) as queries:
        got = ours.widget.render("c", chosen, renderer=FieldlineFormRenderer())
    assert got == expected and got.count("<option") == 4
    assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT")
