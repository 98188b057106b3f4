"""Forms for signing in, invitations, one's own account, tenant settings, members and
document numbering."""

from allauth.account.forms import LoginForm
from django import forms
from django.contrib.auth import password_validation
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from tenancy.models import Tenant, User
from tenancy.roles import Role
from tenancy.services import SEQUENCE_PREFIX_PATTERN, TENANT_SETTINGS_FIELDS

from .bindings import bound_roles, role_bindings


class SignInForm(LoginForm):
    """allauth's sign-in form (rate limits, two-factor step) with our label."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("E-mail address")
        self.fields["login"].widget.attrs.update(
            {"autocomplete": "email", "inputmode": "email", "autofocus": True}
        )
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        # Our sign-in page has its own "Forgot password?" link.
        self.fields["password"].help_text = ""


class TenantSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = TENANT_SETTINGS_FIELDS


class InvitationForm(forms.Form):
    """Address and role, and the fields of the bound roles (accounts.bindings: the customer of
    a customer contact), each required only for its role (the binding app's check says so)."""

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.binding_fields: dict[str, list[str]] = {}
        for binding in role_bindings():
            fields = binding.form_fields(tenant)
            for name, field in fields.items():
                field.required = False
                field.fl_required = True  # marked as required: the role's check requires it
                field.widget.attrs["data-fl-for-role"] = str(binding.role)
                self.fields[name] = field
            self.binding_fields[str(binding.role)] = list(fields)

    def details(self) -> dict:
        """The cleaned values of the chosen role's extra fields."""
        role = self.cleaned_data.get("role", "")
        return {name: self.cleaned_data.get(name) for name in self.binding_fields.get(role, [])}


class InvitationAcceptNewForm(forms.Form):
    """A new person's own name and password, on the invitation page."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class ProfileForm(forms.ModelForm):
    """What everyone may change about themselves: name and language."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "language")
        labels = {"language": _("Language")}

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        # No language of one's own means the tenant's (else the browser's): the empty choice
        # says which, rather than "Select an option".
        if tenant is not None:
            default = _("Same as %(tenant)s (%(language)s)") % {
                "tenant": tenant.name,
                "language": tenant.get_default_language_display(),
            }
        else:
            default = _("The browser's language")
        field = self.fields["language"]
        field.choices = [("", default), *((code, name) for code, name in field.choices if code)]


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive member can no longer enter this tenant."),
    )

    def __init__(self, *args, current_role: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        bound = bound_roles()
        if current_role in bound:
            # Bound by their invitation (a customer's contact): the role stays what it is.
            self.fields["role"].choices = [c for c in Role.choices if c[0] == current_role]
            self.fields["role"].help_text = _(
                "This role is bound to a record chosen at the invitation: invite the person "
                "again for another role."
            )
        else:
            self.fields["role"].choices = [c for c in Role.choices if c[0] not in bound]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )


class NumberSequenceForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    prefix = forms.CharField(
        label=_("Prefix"),
        max_length=10,
        required=False,
        validators=[
            RegexValidator(
                SEQUENCE_PREFIX_PATTERN,
                message=_("Use up to 10 letters, digits and the signs - / _ . only."),
            )
        ],
    )
    padding = forms.IntegerField(label=_("Digits"), min_value=1, max_value=12)


NumberSequenceFormSet = forms.formset_factory(NumberSequenceForm, extra=0)
