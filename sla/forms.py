"""Forms for service levels, business calendars and holidays."""

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from tenancy.models import TIME_ZONE_CHOICES, User

from . import ical
from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationLevel,
    Holiday,
    ServiceLevelAgreement,
    SlaPriority,
    SlaSettings,
    WorkingWindow,
)
from .services import (
    CALENDAR_FIELDS,
    HOLIDAY_FIELDS,
    SETTINGS_FIELDS,
    SLA_FIELDS,
    targets_version,
)

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SlaForm(forms.ModelForm):
    class Meta:
        model = ServiceLevelAgreement
        fields = SLA_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = BusinessCalendar.objects.for_tenant(tenant)
        self.fields["calendar"].empty_label = _("The tenant's default calendar")
        # Empty keeps the current threshold (75 % for a new SLA).
        self.fields["warning_percent"].required = False


class SlaFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("In use")), ("suspended", _("Suspended"))],
    )


class CalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=[("", _("The tenant's time zone")), *TIME_ZONE_CHOICES],
    )
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one working day.")},
    )

    class Meta:
        model = BusinessCalendar
        fields = CALENDAR_FIELDS
        help_texts = {"is_default": _("Used for holidays and open days wherever none is chosen.")}


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = HOLIDAY_FIELDS
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class WindowForm(forms.ModelForm):
    """One opening period of a weekday (the service refuses overlaps beside the field)."""

    class Meta:
        model = WorkingWindow
        fields = ("weekday", "start_time", "end_time")
        widgets = {"start_time": TIME, "end_time": TIME}

    def _post_clean(self):
        pass  # the service checks the window (one message, beside its field)


class ExceptionForm(forms.ModelForm):
    """A one-off date: no hours = closed all day; hours = open only then."""

    class Meta:
        model = CalendarException
        fields = ("date", "name", "start_time", "end_time")
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": TIME,
            "end_time": TIME,
        }
        help_texts = {"end_time": _("Leave both times empty for a day closed all day.")}

    def _post_clean(self):
        pass


class IcalImportForm(forms.Form):
    file = forms.FileField(
        label=_("iCal file (.ics)"),
        help_text=_("Exported from a holiday calendar; at most %(size)s KB.")
        % {"size": ical.MAX_BYTES // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def __init__(self, *args, years: range, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years

    def clean_file(self):
        upload = self.cleaned_data["file"]
        ical.check_size(upload.size)  # before reading: a huge upload is never loaded
        self.holidays = ical.parse(upload.read(), years=self.years)
        return upload


class HoursField(forms.DecimalField):
    """A target in working hours (0.25 = 15 minutes), stored as minutes."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            max_digits=7,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
            **kwargs,
        )


def _minutes(hours) -> int | None:
    return None if hours is None else int(round(hours * 60))


class TargetsForm(forms.Form):
    """Response and resolution targets per priority, in working hours."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, targets=(), **kwargs):
        current = {t.priority: t for t in targets}
        initial = {"seen": targets_version(targets)}
        for priority in SlaPriority.values:
            target = current.get(priority)
            if target is not None:
                if target.response_minutes:
                    initial[f"{priority}_response"] = target.response_minutes / 60
                initial[f"{priority}_resolution"] = target.resolution_minutes / 60
        super().__init__(*args, initial=initial, **kwargs)
        for priority, label in SlaPriority.choices:
            self.fields[f"{priority}_response"] = HoursField(
                label=_("%(priority)s: response (working hours)") % {"priority": label}
            )
            self.fields[f"{priority}_resolution"] = HoursField(
                label=_("%(priority)s: resolution (working hours)") % {"priority": label}
            )

    def rows(self):
        return [
            (label, self[f"{priority}_response"], self[f"{priority}_resolution"])
            for priority, label in SlaPriority.choices
        ]

    def targets(self) -> dict:
        data = self.cleaned_data
        return {
            p: (_minutes(data.get(f"{p}_response")), _minutes(data.get(f"{p}_resolution")))
            for p in SlaPriority.values
        }


class LevelForm(forms.ModelForm):
    class Meta:
        model = EscalationLevel
        fields = ("percent", "role", "user")

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["percent"].widget.attrs.update({"min": 1, "inputmode": "numeric"})
        self.fields["role"].choices = [
            ("", _("— a named person instead —")),
            *self.fields["role"].choices[1:],
        ]
        self.fields["user"].queryset = User.objects.filter(
            memberships__tenant=tenant, memberships__is_active=True, is_active=True
        ).order_by("email")
        self.fields["user"].empty_label = _("— a role instead —")
        self.fields["user"].label_from_instance = _person_label

    def _post_clean(self):
        pass


def _person_label(user) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name} <{user.email}>" if name else user.email


class SlaSettingsForm(forms.ModelForm):
    class Meta:
        model = SlaSettings
        fields = SETTINGS_FIELDS

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_sla"].queryset = ServiceLevelAgreement.objects.for_tenant(tenant)
        self.fields["default_sla"].empty_label = _(
            "No default: orders without an SLA have no clock"
        )

    def _post_clean(self):
        pass
