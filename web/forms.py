"""Form helpers every app uses: the project-wide renderer and service errors on forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_noop

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
