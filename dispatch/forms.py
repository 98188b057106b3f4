"""Forms of the board, the technician's day and the dispatch set-up pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sla.selectors import calendar_list

from . import selectors
from .models import Absence, AbsenceKind, TechnicianProfile

VIEWS = (("day", _("Day")), ("week", _("Week")))


class BoardFilterForm(forms.Form):
    """What the board shows: day or week from a date, teams, a skill, completed work."""

    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.TypedMultipleChoiceField(label=_("Teams"), coerce=int, required=False)
    skill = forms.CharField(label=_("Skill"), required=False, max_length=80)
    done = forms.BooleanField(label=_("Show completed work"), required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.pk, team.name) for team in teams]


class PlanForm(forms.Form):
    """Place a queued order (``order``) or move a visit (``appointment``): technician, day,
    time and length. The drag and drop fills the same fields."""

    order = forms.IntegerField(required=False, widget=forms.HiddenInput)
    appointment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    technician = forms.TypedChoiceField(
        label=_("Technician"),
        coerce=int,
        error_messages={"required": _("Choose a technician.")},
    )
    date = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Choose the day.")},
    )
    time = forms.TimeField(
        label=_("Start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Empty: the first free time from 8:00."),
    )
    minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        help_text=_("Empty: as planned, or the order's tasks."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for planning outside the order's window"),
        max_length=300,
        required=False,
    )

    def __init__(self, *args, technicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].choices = [("", "—")] + [
            (profile.pk, str(profile)) for profile in technicians
        ]

    def clean_minutes(self):
        minutes = self.cleaned_data.get("minutes")
        if minutes == 0:
            raise forms.ValidationError(_("The visit has no length: give at least one minute."))
        return minutes

    def clean(self):
        data = super().clean()
        if not data.get("order") and not data.get("appointment"):
            raise forms.ValidationError(_("Choose an order from the queue or a visit first."))
        return data


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120)
    owner = forms.ModelChoiceField(
        label=_("Dispatcher"),
        queryset=None,
        required=False,
        help_text=_(
            "Who plans this team. A dispatcher plans the teams they own and teams without one."
        ),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Technicians with a profile; each belongs to one team."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        from tenancy import selectors as tenancy_selectors

        from .capabilities import DISPATCH

        self.fields["owner"].queryset = tenancy_selectors.member_users_with(
            tenant=tenant, capability=DISPATCH
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.email
        self.fields["members"].queryset = selectors.profile_list(tenant=tenant)


class SkillsField(forms.CharField):
    """Skills typed as a comma-separated list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class ProfileForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        label=_("Technician"),
        queryset=None,
        error_messages={"required": _("Choose a technician.")},
    )
    skills = SkillsField(
        label=_("Skills"),
        required=False,
        help_text=_("Separated by commas, as the service tasks name them in “required skill”."),
    )

    class Meta:
        model = TechnicianProfile
        fields = ("user", "team", "skills", "home_base", "calendar", "max_orders_per_day")

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = selectors.technicians_without_profile(tenant=tenant)
            self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.email
        self.fields["team"].queryset = selectors.team_choices(tenant=tenant)
        self.fields["calendar"].queryset = calendar_list(tenant=tenant)
        self.fields["max_orders_per_day"].min_value = 1
        self.fields["max_orders_per_day"].widget.attrs["min"] = 1


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ("technician", "kind", "start_date", "end_date", "note")
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = selectors.profile_list(tenant=tenant)
        self.fields["kind"].choices = AbsenceKind.choices

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day is before the first."))
        return data


class StepForm(forms.Form):
    to_stage = forms.IntegerField(widget=forms.HiddenInput)
