"""Forms for service levels, business calendars and holidays."""

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from tenancy.models import TIME_ZONE_CHOICES

from .models import BusinessCalendar, Holiday, ServiceLevelAgreement
from .services import CALENDAR_FIELDS, HOLIDAY_FIELDS, SLA_FIELDS


class SlaForm(forms.ModelForm):
    class Meta:
        model = ServiceLevelAgreement
        fields = SLA_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
