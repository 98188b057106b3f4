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
