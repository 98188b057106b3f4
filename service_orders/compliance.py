"""The SLA compliance report: settled clocks over a period, grouped by customer, agreement
group, SLA or technician — met %, breached count, average response and resolution time — and
its chart, drawn on the server as SVG (no JavaScript; it scales to a phone and prints).

One aggregate query whatever the number of orders; the chart is computed from its rows.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _

from tenancy.models import Tenant

from .models import ClockStatus, OrderClock

GROUPINGS = {
    # key: (label, id path, name paths)
    "customer": (_("Customer"), "order__customer_id", ("order__customer__name",)),
    "agreement_group": (
        _("Agreement group"),
        "order__agreement__group_id",
        ("order__agreement__group__code", "order__agreement__group__name"),
    ),
    "sla": (_("SLA"), "sla_id", ("sla__code", "sla__name")),
    "technician": (
        _("Technician"),
        "order__assigned_technician_id",
        (
            "order__assigned_technician__first_name",
            "order__assigned_technician__last_name",
            "order__assigned_technician__email",
        ),
    ),
}


@dataclass(frozen=True)
class ComplianceRow:
    key: int | None
    label: str
    settled: int
    met: int
    breached: int
    avg_response: datetime.timedelta | None
    avg_resolution: datetime.timedelta | None

    @property
    def met_percent(self) -> Decimal:
        if not self.settled:
            return Decimal(0)
        return (Decimal(self.met) * 100 / self.settled).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def _label(grouping: str, values: dict) -> str:
    names = [values[path] for path in GROUPINGS[grouping][2]]
    if grouping == "technician":
        first, last, email = names
        return f"{first} {last}".strip() or email or ""
    if grouping in ("agreement_group", "sla"):
        code, name = names
        return f"{code} · {name}" if code else ""
    return names[0] or ""


def compliance_rows(
    *, tenant: Tenant, start: datetime.date, end: datetime.date, grouping: str
) -> list[ComplianceRow]:
    """Clocks decided met or breached from ``start`` to ``end`` (the tenant's dates, both
    included), grouped by ``grouping``; worst met % first. Orders without the grouping's record
    (no agreement group, no technician) form one row with an empty label."""
    zone = tenant.zone
    since = datetime.datetime.combine(start, datetime.time(0), zone)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), zone)
    key_path, name_paths = GROUPINGS[grouping][1], GROUPINGS[grouping][2]
    response = ExpressionWrapper(F("responded_at") - F("started_at"), output_field=DurationField())
    rows = (
        OrderClock.objects.for_tenant(tenant)
        .filter(
            status__in=(ClockStatus.MET, ClockStatus.BREACHED),
            decided_at__gte=since,
            decided_at__lt=until,
        )
        .values(key_path, *name_paths)
        .annotate(
            settled=Count("pk"),
            met=Count("pk", filter=Q(status=ClockStatus.MET)),
            breached=Count("pk", filter=Q(status=ClockStatus.BREACHED)),
            avg_response=Avg(response, filter=Q(responded_at__isnull=False)),
            avg_resolution=Avg("used"),
        )
        .order_by()
    )
    result = [
        ComplianceRow(
            key=row[key_path],
            label=_label(grouping, row),
            settled=row["settled"],
            met=row["met"],
            breached=row["breached"],
            avg_response=row["avg_response"],
            avg_resolution=row["avg_resolution"],
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.met_percent, -r.breached, r.label))


def totals(rows: list[ComplianceRow]) -> ComplianceRow:
    """All rows together (the averages weighted by each row's orders)."""

    def weighted(attr: str) -> datetime.timedelta | None:
        pairs = [(getattr(r, attr), r.settled) for r in rows if getattr(r, attr) is not None]
        count = sum(n for _v, n in pairs)
        if not count:
            return None
        return sum((v * n for v, n in pairs), datetime.timedelta()) / count

    return ComplianceRow(
        key=None,
        label="",
        settled=sum(r.settled for r in rows),
        met=sum(r.met for r in rows),
        breached=sum(r.breached for r in rows),
        avg_response=weighted("avg_response"),
        avg_resolution=weighted("avg_resolution"),
    )


# --- The chart -----------------------------------------------------------------------------------

BAR_HEIGHT = 14
ROW_HEIGHT = 40  # label line + bar + gap
CHART_WIDTH = 320  # user units; the SVG scales to its container (viewBox), 375 px phones included


@dataclass(frozen=True)
class ChartBar:
    label: str
    met_percent: Decimal
    breached: int
    y_label: int
    y_bar: int
    met_width: Decimal
    breached_x: Decimal
    breached_width: Decimal


def chart(rows: list[ComplianceRow]) -> dict:
    """Geometry of a horizontal stacked bar per row: met share (solid) and breached share
    (hatched, so the print in black and white still tells them apart), label above the bar so a
    long customer name never squeezes it."""
    bars = []
    for index, row in enumerate(rows):
        met_width = (
            Decimal(CHART_WIDTH) * row.met / row.settled if row.settled else Decimal(0)
        ).quantize(Decimal("0.1"))
        breached_width = (Decimal(CHART_WIDTH) - met_width) if row.settled else Decimal(0)
        bars.append(
            ChartBar(
                label=row.label,
                met_percent=row.met_percent,
                breached=row.breached,
                y_label=index * ROW_HEIGHT + 12,
                y_bar=index * ROW_HEIGHT + 17,
                met_width=met_width,
                breached_x=met_width,
                breached_width=breached_width,
            )
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(rows), 1) * ROW_HEIGHT + 4,
        "bar_height": BAR_HEIGHT,
    }
