"""The SLA compliance report page (service managers): a period, a grouping, the table, the
chart and the CSV of the same rows. Reads through service_orders.compliance."""

import csv
import datetime

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sla.capabilities import MANAGE_SERVICE_LEVELS
from web.lists import csv_cell
from web.permissions import capability_required

from . import compliance
from .forms import DateInput

MAX_DAYS = 3 * 366


class ComplianceForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput())
    group_by = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        choices=[(key, label) for key, (label, _id, _names) in compliance.GROUPINGS.items()],
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The period must end on or after its first day."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choose a period of at most three years."))
        return data


def duration_text(value: datetime.timedelta | None) -> str:
    """A duration as people say it: "3 h 05 min", "2 d 4 h" (working time can exceed a day)."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}


def _hours(value: datetime.timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.2f}"


@capability_required(MANAGE_SERVICE_LEVELS)
def compliance_report(request):
    today = request.tenant.today()
    initial = {"start": today - datetime.timedelta(days=29), "end": today, "group_by": "customer"}
    form = ComplianceForm({**initial, **request.GET.dict()} if request.GET else initial)
    rows, total = [], None
    if form.is_valid():
        data = form.cleaned_data
        rows = compliance.compliance_rows(
            tenant=request.tenant, start=data["start"], end=data["end"], grouping=data["group_by"]
        )
        total = compliance.totals(rows)
        if request.GET.get("format") == "csv":
            return _csv(rows, data)
    group_label = compliance.GROUPINGS.get(form.data.get("group_by"), ("",))[0]
    return render(
        request,
        "service_orders/compliance_report.html",
        {
            "form": form,
            "rows": [
                (row, duration_text(row.avg_response), duration_text(row.avg_resolution))
                for row in rows
            ],
            "total": total,
            "total_response": duration_text(total.avg_response) if total else "",
            "total_resolution": duration_text(total.avg_resolution) if total else "",
            "chart": compliance.chart(rows),
            "group_label": group_label,
            "querystring": request.GET.urlencode(),
        },
    )


def _csv(rows, data) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"sla-compliance-{data['group_by']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            csv_cell(str(compliance.GROUPINGS[data["group_by"]][0])),
            _("Orders"),
            _("Met"),
            _("Breached"),
            _("Met %"),
            _("Average response (hours)"),
            _("Average resolution (working hours)"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                csv_cell(row.label),
                row.settled,
                row.met,
                row.breached,
                row.met_percent,
                _hours(row.avg_response),
                _hours(row.avg_resolution),
            ]
        )
    return response
