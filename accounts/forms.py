"""Forms for signing in, tenant settings, members and document numbering."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import LoginFailure, Tenant
from tenancy.roles import Role
from tenancy.services import SEQUENCE_PREFIX_PATTERN, TENANT_SETTINGS_FIELDS


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class SignInForm(AuthenticationForm):
    """E-mail and password, with throttling of repeated failures per e-mail and per address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Wait %(minutes)s minutes and try again."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = email
        self._refuse_when_throttled(email)
        try:
            return super().clean()
        except forms.ValidationError:
            if email:
                LoginFailure.objects.create(email=email, ip_address=client_ip(self.request))
            raise

    def _refuse_when_throttled(self, email: str) -> None:
        window = settings.LOGIN_FAILURE_WINDOW_MINUTES
        since = timezone.now() - timedelta(minutes=window)
        recent = LoginFailure.objects.filter(created_at__gte=since)
        limit = settings.LOGIN_FAILURE_LIMIT
        ip = client_ip(self.request)
        by_email = recent.filter(email=email).count() >= limit
        # An address may try several accounts (an office behind one IP), but not endlessly.
        by_ip = ip is not None and recent.filter(ip_address=ip).count() >= limit * 4
        if by_email or by_ip:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": window}
            )


class TenantSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = TENANT_SETTINGS_FIELDS


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Needed only when the e-mail address is new to Fieldline; an existing user keeps "
            "their password and simply gains access to this tenant."
        ),
    )


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive member can no longer enter this tenant."),
    )


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
