"""What an import file can hold of agreements: agreements (by number) and their lines (by the
agreement's number and the line's position). Columns are listed in docs/import.md; a new column
is one ``ImportColumn`` line.

A line's service object and task are added to the agreement's covered objects and tasks when
they are not there yet (a migrated agreement brings them along); its ``generated_through`` date
says up to which day the earlier system already made the visits.
"""

from django.db.models import Max, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import LineKind
from web.imports import (
    UPDATE,
    ImportColumn,
    ImportKind,
    Ref,
    Row,
    choice,
    moves,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_int_list,
    parse_time,
    register_import_kind,
)

from . import selectors
from .models import (
    Agreement,
    AgreementLine,
    AgreementObject,
    AgreementState,
    AgreementTask,
    CombineRule,
    IntervalUnit,
    TimeWindow,
)


def _email(user) -> str:
    return user.email if user is not None else ""


def _resolve_people(rows: list[Row], column: str, field: str, people, message: str) -> None:
    """A column of e-mail addresses: each must be one of ``people`` (a user queryset)."""
    wanted = {r.values[column].strip().lower() for r in rows if r.values.get(column, "").strip()}
    found = {u.email.lower(): u for u in people if u.email.lower() in wanted} if wanted else {}
    for row in rows:
        if column not in row.values:
            continue
        email = row.values[column].strip().lower()
        if not email:
            row.data[field] = None
        elif email in found:
            row.data[field] = found[email]
        else:
            row.error(column, message % {"value": row.values[column].strip()})


class AgreementKind(ImportKind):
    key = "agreements"
    label = gettext_lazy("Agreements")
    model = "agreements.Agreement"
    sequence = "agreement"
    not_cleaned = ("state",)  # a protected FSM field: parsed by its column, set on creation
    order = 60
    list_url = "agreements:agreement_list"
    columns = (
        ImportColumn("number", "number"),
        ImportColumn(
            "customer", "customer", ref=Ref("customers.Customer", "number"), required=True
        ),
        ImportColumn("description", "description", required=True),
        ImportColumn("group", "group", ref=Ref("customers.AgreementGroup", "code")),
        ImportColumn("start_date", "start_date", parse_date, required=True),
        ImportColumn("end_date", "end_date", parse_date),
        ImportColumn("currency", "currency", lambda v: v.strip().upper()),
        ImportColumn("combine_rule", "combine_rule", choice(CombineRule)),
        # The state on creation (an agreement running in the earlier system is "active").
        ImportColumn("state", "state", choice(AgreementState)),
        ImportColumn("responsible", "responsible", export=lambda a: _email(a.responsible)),
        ImportColumn(
            "preferred_technician",
            "preferred_technician",
            export=lambda a: _email(a.preferred_technician),
        ),
        ImportColumn("sla", "sla", ref=Ref("sla.ServiceLevelAgreement", "code")),
    )

    def queryset(self, tenant):
        return super().queryset(tenant).filter(is_template=False)

    def resolve(self, tenant, rows):
        super().resolve(tenant, rows)
        for row in rows:
            row.data.pop("responsible", None)
            row.data.pop("preferred_technician", None)
        _resolve_people(
            rows,
            "responsible",
            "responsible",
            selectors.responsible_manager_choices(tenant=tenant),
            _("%(value)s is not a service manager of this tenant."),
        )
        _resolve_people(
            rows,
            "preferred_technician",
            "preferred_technician",
            selectors.technician_choices(tenant=tenant),
            _("%(value)s is not a technician of this tenant."),
        )

    def new(self, tenant, row):
        state = row.data.get("state") or AgreementState.DRAFT
        return Agreement(tenant=tenant, state=state, currency=tenant.currency)

    def assign(self, instance, row):
        if row.action == UPDATE:
            if instance.state not in selectors.EDITABLE_STATES:
                row.error(
                    None,
                    _("A %(state)s agreement can no longer be changed.")
                    % {"state": instance.get_state_display().lower()},
                )
            if row.data.get("state") and row.data["state"] != instance.state:
                row.error(
                    "state",
                    _(
                        "An agreement's state changes on its page (activate, suspend, …), "
                        "not by an import."
                    ),
                )
            if moves(row.data.get("customer"), instance.customer_id):
                row.error(
                    "customer",
                    _("The customer of an existing agreement cannot be changed by an import."),
                )
        for column in self.columns:
            if column.field in row.data and column.field != "state":
                setattr(instance, column.field, row.data[column.field])

    def validate(self, tenant, row, instance):
        if not instance.currency:
            instance.currency = tenant.currency
        super().validate(tenant, row, instance)

    def check_rows(self, tenant, rows):
        # Changed dates must still hold the agreement's lines.
        changed = {r.instance.pk: r for r in rows if r.ok and r.action == UPDATE}
        if not changed:
            return
        spans = (
            AgreementLine.objects.for_tenant(tenant)
            .filter(agreement_id__in=changed)
            .values("agreement_id")
            .annotate(
                first=Min("start_date"), last_end=Max("end_date"), last_start=Max("start_date")
            )
        )
        for span in spans:
            agreement = changed[span["agreement_id"]].instance
            end = agreement.end_date
            if (span["first"] and span["first"] < agreement.start_date) or (
                end
                and (
                    (span["last_end"] and span["last_end"] > end)
                    or (span["last_start"] and span["last_start"] > end)
                )
            ):
                changed[span["agreement_id"]].error(
                    "end_date" if end else "start_date",
                    _(
                        "Lines of this agreement fall outside these dates; "
                        "change the lines' dates first."
                    ),
                )

    def export_queryset(self, tenant):
        return (
            self.queryset(tenant)
            .select_related("customer", "group", "responsible", "preferred_technician", "sla")
            .order_by("number")
        )


def _position(row: Row) -> str:
    try:
        return str(int(parse_int(row.values.get("position", "")) or 0))
    except Exception:  # noqa: BLE001 - its own error is reported by the column
        return ""


class AgreementLineKind(ImportKind):
    key = "agreement_lines"
    label = gettext_lazy("Agreement lines")
    model = "agreements.AgreementLine"
    identity = ("agreement", "position")
    order = 70
    list_url = "agreements:agreement_list"
    columns = (
        ImportColumn(
            "agreement", "agreement", ref=Ref("agreements.Agreement", "number"), required=True
        ),
        ImportColumn("position", "position", parse_int, required=True),
        ImportColumn("kind", "kind", choice(LineKind)),
        ImportColumn("description", "description"),
        ImportColumn("object", "service_object", ref=Ref("customers.ServiceObject", "number")),
        ImportColumn("task", "task", ref=Ref("customers.ServiceTask", "code")),
        ImportColumn("item", "item", ref=Ref("customers.Item", "number")),
        ImportColumn("quantity", "quantity", parse_decimal),
        ImportColumn("unit", "unit"),
        ImportColumn("unit_price", "unit_price", parse_decimal),
        ImportColumn("technician", "technician", export=lambda line: _email(line.technician)),
        ImportColumn("interval_unit", "interval_unit", choice(IntervalUnit)),
        ImportColumn("interval_count", "interval_count", parse_int),
        ImportColumn("excluded_months", "excluded_months", parse_int_list),
        ImportColumn("exclude_holidays", "exclude_holidays", parse_bool),
        ImportColumn("time_window", "time_window", choice(TimeWindow)),
        ImportColumn("window_days_before", "window_days_before", parse_int),
        ImportColumn("window_days_after", "window_days_after", parse_int),
        ImportColumn("preferred_time", "preferred_time", parse_time),
        ImportColumn("start_date", "start_date", parse_date),
        ImportColumn("end_date", "end_date", parse_date),
        ImportColumn("stopped", "is_stopped", parse_bool),
        ImportColumn("generated_through", "generated_through", parse_date),
    )

    def identity_of(self, row):
        agreement, position = row.values.get("agreement", "").strip(), _position(row)
        return (agreement, position) if agreement and position not in ("", "0") else None

    def existing(self, tenant, identities):
        numbers = {number for number, _position in identities}
        lines = (
            self.queryset(tenant).filter(agreement__number__in=numbers).select_related("agreement")
        )
        return {(line.agreement.number, str(line.position)): line for line in lines}

    def resolve(self, tenant, rows):
        super().resolve(tenant, rows)
        for row in rows:
            row.data.pop("technician", None)
        _resolve_people(
            rows,
            "technician",
            "technician",
            selectors.technician_choices(tenant=tenant),
            _("%(value)s is not a technician of this tenant."),
        )
        for row in rows:
            agreement = row.data.get("agreement")
            if agreement is not None and agreement.is_template:
                row.error("agreement", _("This is a template; import lines into agreements only."))

    def assign(self, instance, row):
        if row.action == UPDATE and moves(row.data.get("agreement"), instance.agreement_id):
            row.error("agreement", _("A line cannot move to another agreement."))
        super().assign(instance, row)
        for field, default in (("quantity", 1), ("interval_count", 1)):
            if getattr(instance, field) is None:
                setattr(instance, field, default)
        for field in ("window_days_before", "window_days_after"):
            if getattr(instance, field) is None:
                setattr(instance, field, 0)
        instance.excluded_months = sorted(set(instance.excluded_months or []))
        if instance.kind == LineKind.ITEM and instance.item is not None and not instance.unit:
            instance.unit = instance.item.unit

    def validate(self, tenant, row, instance):
        super().validate(tenant, row, instance)
        agreement = instance.agreement
        if agreement.state not in selectors.EDITABLE_STATES:
            row.error(
                "agreement",
                _("A %(state)s agreement can no longer be changed.")
                % {"state": agreement.get_state_display().lower()},
            )
        obj = instance.service_object
        if obj is not None and obj.customer_id != agreement.customer_id:
            row.error(
                "object",
                _("This object belongs to another customer; choose one of the agreement's."),
            )
        start, end = agreement.start_date, agreement.end_date
        if instance.start_date and instance.start_date < start:
            row.error(
                "start_date",
                _("The line cannot start before the agreement (%(date)s).")
                % {"date": start.isoformat()},
            )
        if end and instance.start_date and instance.start_date > end:
            row.error(
                "start_date",
                _("The line cannot start after the agreement ends (%(date)s).")
                % {"date": end.isoformat()},
            )
        if end and instance.end_date and instance.end_date > end:
            row.error(
                "end_date",
                _("The line cannot end after the agreement (%(date)s).")
                % {"date": end.isoformat()},
            )
        if instance.excluded_months and (
            len(instance.excluded_months) >= 12
            or not all(1 <= m <= 12 for m in instance.excluded_months)
        ):
            row.error(
                "excluded_months",
                _("Write months 1 to 12, and leave at least one month for visits."),
            )

    def save(self, tenant, rows):
        super().save(tenant, rows)
        # Lines bring their objects and tasks into the agreement's coverage.
        objects = {
            (r.instance.agreement_id, r.instance.service_object_id)
            for r in rows
            if r.instance.service_object_id
        }
        tasks = {(r.instance.agreement_id, r.instance.task_id) for r in rows if r.instance.task_id}
        AgreementObject.objects.bulk_create(
            [
                AgreementObject(tenant=tenant, agreement_id=a, service_object_id=o)
                for a, o in objects
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        AgreementTask.objects.bulk_create(
            [AgreementTask(tenant=tenant, agreement_id=a, task_id=t) for a, t in tasks],
            ignore_conflicts=True,
            batch_size=1000,
        )

    def export_queryset(self, tenant):
        return (
            self.queryset(tenant)
            .filter(agreement__is_template=False)
            .select_related("agreement", "service_object", "task", "item", "technician")
            .order_by("agreement__number", "position", "pk")
        )


def register_import_kinds() -> None:
    register_import_kind(AgreementKind())
    register_import_kind(AgreementLineKind())
