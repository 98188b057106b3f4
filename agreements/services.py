"""Writes for agreement groups, template groups, agreements, their relations and lines.

State changes lock the agreement row, re-check the transition with django-fsm's ``can_proceed``
after the lock and raise ``TransitionRefused`` when it no longer applies (the view answers 409
with the current state). Every change to an agreement is audited.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from customers.coverage import CoverageChange, coverage_apply
from customers.models import AgreementGroup, Customer, ServiceObject, ServiceTask
from tenancy.integrity import save_unique
from tenancy.models import CURRENCY_CHOICES, Tenant, User
from tenancy.services import (
    audit_changes,
    audit_record,
    audit_snapshot,
    sequence_next_number,
)
from web.registry import usage_of

from . import selectors
from .models import (
    Agreement,
    AgreementLine,
    AgreementObject,
    AgreementRate,
    AgreementState,
    AgreementSuspension,
    AgreementTask,
    RateKind,
    TemplateGroup,
    TimeWindow,
)
from .rates import rate_key


class TransitionRefused(Exception):
    """A state change that does not apply to the agreement as it is now (lost race, wrong
    state, missing prerequisite). Views answer 409 and show the current state."""

    def __init__(self, agreement: Agreement, message: str):
        super().__init__(message)
        self.agreement = agreement
        self.message = message


def _refuse(field: str | None, message: str) -> ValidationError:
    return ValidationError({field or NON_FIELD_ERRORS: message})


def _merge_clean(instance, errors: dict, exclude: list[str] | None = None) -> None:
    """Add the model's own validation messages to ``errors``.

    Where ``clean()`` or the service already speaks about a field, its message is the clearer
    one and replaces the field validator's generic "Ensure this value is…". Check constraints
    repeat clean()'s rules and are not run here; uniqueness is checked by the services.
    """
    found: dict = {}
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        found.update(exc.message_dict)
    try:
        instance.clean()
    except ValidationError as exc:
        found.update(exc.message_dict)
    for field, messages in found.items():
        errors.setdefault(field, messages)


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _belongs(tenant: Tenant, obj) -> bool:
    return obj is None or obj.tenant_id == tenant.pk


# --- Template groups ---------------------------------------------------------------------------


TEMPLATE_GROUP_FIELDS = ("name", "parent")


def _save_template_group(tenant: Tenant, group: TemplateGroup, data: dict) -> None:
    group.name = data.get("name", group.name)
    parent = data.get("parent")
    if not _belongs(tenant, parent):
        raise _refuse("parent", _("Choose one of this tenant's template groups."))
    if parent is not None and group.pk is not None:
        descendants = selectors.template_group_descendant_ids(tenant=tenant, group_id=group.pk)
        if parent.pk == group.pk or parent.pk in descendants:
            raise _refuse("parent", _("A group cannot be placed inside itself or its subgroups."))
    group.parent = parent
    errors: dict = {}
    _merge_clean(group, errors, exclude=["tenant"])
    _raise_if(errors)
    group.save()


@transaction.atomic
def template_group_create(*, tenant: Tenant, by: User, data: dict) -> TemplateGroup:
    group = TemplateGroup(tenant=tenant)
    _save_template_group(tenant, group, data)
    audit_record(
        tenant=tenant,
        actor=by,
        action="template_group.create",
        target=group,
        params={"record": str(group)},
    )
    return group


@transaction.atomic
def template_group_update(*, tenant: Tenant, by: User, group_id: int, data: dict):
    # Locking every group of the tenant would be excessive; locking this one row serialises
    # concurrent moves of the same group, and the database keeps parents within the tenant.
    group = TemplateGroup.objects.for_tenant(tenant).select_for_update().get(pk=group_id)
    before = audit_snapshot(group, TEMPLATE_GROUP_FIELDS)
    _save_template_group(tenant, group, data)
    changes = audit_changes(before, audit_snapshot(group, TEMPLATE_GROUP_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="template_group.update",
            target=group,
            params={"record": str(group), "fields": sorted(changes)},
            changes=changes,
        )
    return group


# --- Agreements --------------------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "customer",
    "description",
    "group",
    "template_group",
    "start_date",
    "end_date",
    "responsible",
    "preferred_technician",
    "sla",
    "currency",
    "combine_rule",
    "contact",
    "customer_reference",
)


def _lock(tenant: Tenant, agreement_id: int) -> Agreement:
    return Agreement.objects.for_tenant(tenant).select_for_update().get(pk=agreement_id)


def _require_editable(agreement: Agreement) -> None:
    if agreement.state not in selectors.EDITABLE_STATES:
        raise _refuse(
            None,
            _("A %(state)s agreement can no longer be changed.")
            % {"state": agreement.get_state_display().lower()},
        )


def _validate_agreement(tenant: Tenant, agreement: Agreement) -> None:
    errors: dict = {}
    for field in ("customer", "group", "template_group", "sla"):
        if not _belongs(tenant, getattr(agreement, field)):
            errors[field] = [_("Choose one of this tenant's records.")]
    if agreement.responsible_id and not (
        selectors.responsible_manager_choices(tenant=tenant)
        .filter(pk=agreement.responsible_id)
        .exists()
    ):
        errors["responsible"] = [_("Choose a service manager of this tenant.")]
    if agreement.preferred_technician_id and not (
        selectors.technician_choices(tenant=tenant)
        .filter(pk=agreement.preferred_technician_id)
        .exists()
    ):
        errors["preferred_technician"] = [_("Choose a technician of this tenant.")]
    contact = agreement.contact
    if contact is not None and (
        contact.tenant_id != tenant.pk or contact.customer_id != agreement.customer_id
    ):
        errors["contact"] = [_("Choose a contact of the agreement's customer.")]
    agreement.customer_reference = (agreement.customer_reference or "").strip()
    if not agreement.is_template:
        agreement.template_group = None
    elif agreement.template_group_id is None:
        errors["template_group"] = [_("A template belongs to a template group; choose one.")]
    _merge_clean(agreement, errors, exclude=["tenant", "number", "state"])
    _raise_if(errors)


def _lines_outside(agreement: Agreement) -> list[int]:
    """Positions of lines whose own dates fall outside the agreement's dates."""
    outside = []
    for line in agreement.lines.all():
        if (line.start_date and line.start_date < agreement.start_date) or (
            agreement.end_date
            and (
                (line.end_date and line.end_date > agreement.end_date)
                or (line.start_date and line.start_date > agreement.end_date)
            )
        ):
            outside.append(line.position)
    return outside


@transaction.atomic
def agreement_create(*, tenant: Tenant, by: User, data: dict) -> Agreement:
    agreement = Agreement(tenant=tenant, is_template=bool(data.get("is_template")))
    for field in AGREEMENT_FIELDS:
        if field in data:
            setattr(agreement, field, data[field])
    agreement.currency = agreement.currency or tenant.currency
    _validate_agreement(tenant, agreement)
    agreement.number = sequence_next_number(tenant=tenant, key="agreement")
    agreement.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.create",
        target=agreement,
        params={"number": agreement.number, "template": agreement.is_template},
    )
    return agreement


@transaction.atomic
def agreement_update(*, tenant: Tenant, by: User, agreement_id: int, data: dict) -> Agreement:
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    before = audit_snapshot(agreement, AGREEMENT_FIELDS)
    for field in AGREEMENT_FIELDS:
        if field in data:
            setattr(agreement, field, data[field])
    errors: dict = {}
    if agreement.customer_id != before["customer"] and agreement.object_links.exists():
        errors["customer"] = [
            _("Remove the service objects of the current customer before changing the customer.")
        ]
    if agreement.state != AgreementState.DRAFT and agreement.customer_id != before["customer"]:
        errors["customer"] = [_("Only a draft agreement can change its customer.")]
    if agreement.currency != before["currency"]:
        foreign = agreement.rates.exclude(currency=agreement.currency).exists()
        if foreign:
            errors["currency"] = [
                _(
                    "The agreement's rate card is in %(currency)s; remove its rates before "
                    "changing the currency."
                )
                % {"currency": before["currency"]}
            ]
    _raise_if(errors)
    _validate_agreement(tenant, agreement)
    outside = _lines_outside(agreement)
    if outside:
        raise _refuse(
            "end_date" if agreement.end_date else "start_date",
            _("Lines %(positions)s fall outside these dates; change their dates first.")
            % {"positions": ", ".join(str(p) for p in outside)},
        )
    agreement.save()
    changes = audit_changes(before, audit_snapshot(agreement, AGREEMENT_FIELDS))
    if {"start_date", "end_date", "combine_rule"} & set(changes):
        coverage_apply(
            tenant=tenant,
            by=by,
            change=CoverageChange.of(
                "agreement_changed",
                agreement_ids=[agreement.pk],
                note=_because(_("Agreement %(number)s changed."), agreement.number),
            ),
        )
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="agreement.update",
            target=agreement,
            params={"number": agreement.number, "fields": sorted(changes)},
            changes=changes,
        )
    return agreement


# --- State transitions -------------------------------------------------------------------------

_REFUSED = {
    "activate": gettext_lazy("Only a draft agreement can be activated; this one is %(state)s."),
    "suspend": gettext_lazy("Only an active agreement can be suspended; this one is %(state)s."),
    "resume": gettext_lazy("Only a suspended agreement can be resumed; this one is %(state)s."),
    "expire": gettext_lazy(
        "Only an active or suspended agreement can expire; this one is %(state)s."
    ),
    "cancel": gettext_lazy("This agreement is %(state)s and can no longer be cancelled."),
}


def _lock_for(tenant: Tenant, agreement_id: int, transition: str) -> Agreement:
    """The agreement, locked, when ``transition`` still applies to it after the lock."""
    agreement = _lock(tenant, agreement_id)
    if not can_proceed(getattr(agreement, transition)):
        raise TransitionRefused(
            agreement,
            str(_REFUSED[transition]) % {"state": agreement.get_state_display().lower()},
        )
    return agreement


def _apply(tenant: Tenant, by: User | None, agreement: Agreement, transition: str, **extra):
    before = agreement.state
    getattr(agreement, transition)()
    agreement.save(update_fields=["state"])
    audit_record(
        tenant=tenant,
        actor=by,
        action=f"agreement.{transition}",
        target=agreement,
        params={"number": agreement.number},
        changes={"state": [before, agreement.state], **extra},
    )
    return agreement


@transaction.atomic
def agreement_activate(*, tenant: Tenant, agreement_id: int, by: User | None) -> Agreement:
    agreement = _lock_for(tenant, agreement_id, "activate")
    if agreement.is_template:
        raise TransitionRefused(
            agreement, _("A template never generates orders and cannot be activated.")
        )
    if not agreement.customer_id:
        raise TransitionRefused(agreement, _("Choose a customer before activating."))
    if not agreement.start_date:
        raise TransitionRefused(agreement, _("Set a start date before activating."))
    if not agreement.lines.exists():
        raise TransitionRefused(agreement, _("Add at least one line before activating."))
    if agreement.end_date and agreement.end_date < tenant.today():
        raise TransitionRefused(
            agreement,
            _("This agreement ended on %(date)s; change its end date or renew it.")
            % {"date": agreement.end_date.isoformat()},
        )
    return _apply(tenant, by, agreement, "activate")


def _because(message: str, number: str, reason: str = "") -> str:
    """The reason kept with each visit a change cancels: "AG-000012 suspended: <reason>"."""
    text = message % {"number": number}
    return f"{text} {reason.strip()}".strip() if reason and reason.strip() else text


@transaction.atomic
def agreement_suspend(
    *,
    tenant: Tenant,
    agreement_id: int,
    by: User | None,
    reason: str = "",
    resume_on: datetime.date | None = None,
) -> Agreement:
    """Suspend from today, until resumed by hand or on ``resume_on`` (by the daily job). The
    open generated visits of the suspension are cancelled in the same transaction."""
    agreement = _lock_for(tenant, agreement_id, "suspend")
    today = tenant.today()
    if resume_on is not None and resume_on <= today:
        raise _refuse(
            "resume_on",
            _("The suspension starts today (%(date)s); it must end after that.")
            % {"date": today.isoformat()},
        )
    if resume_on is not None and agreement.end_date and resume_on > agreement.end_date:
        raise _refuse(
            "resume_on",
            _("The agreement ends on %(date)s; resume it before that or let it expire.")
            % {"date": agreement.end_date.isoformat()},
        )
    suspension = AgreementSuspension.objects.create(
        tenant=tenant,
        agreement=agreement,
        suspended_from=today,
        resume_on=resume_on,
        reason=reason.strip()[:200],
    )
    extra = {"suspended_from": suspension.suspended_from.isoformat()}
    if resume_on is not None:
        extra["resume_on"] = resume_on.isoformat()
    _apply(tenant, by, agreement, "suspend", **extra)
    coverage_apply(
        tenant=tenant,
        by=by,
        change=CoverageChange.of(
            "agreement_suspended",
            agreement_ids=[agreement.pk],
            suspension_id=suspension.pk,
            note=_because(_("Agreement %(number)s suspended."), agreement.number, reason),
        ),
    )
    return agreement


@transaction.atomic
def agreement_resume(
    *, tenant: Tenant, agreement_id: int, by: User | None, backfill: bool = False
) -> Agreement:
    """Active again from today: the visits the suspension cancelled come back, the ones due
    from today are generated now, and with ``backfill`` so are the ones due during the
    suspension."""
    agreement = _lock_for(tenant, agreement_id, "resume")
    today = tenant.today()
    suspension = (
        AgreementSuspension.objects.for_tenant(tenant)
        .filter(agreement=agreement, resumed_on__isnull=True)
        .order_by("-suspended_from", "-pk")
        .first()
    )
    generate_from = today
    if suspension is not None:
        # Resumed late (the daily job did not run on the planned day): active from that day.
        resumed = min(today, suspension.resume_on) if suspension.resume_on else today
        suspension.resumed_on = max(resumed, suspension.suspended_from)
        suspension.backfill = backfill
        suspension.save(update_fields=["resumed_on", "backfill"])
        generate_from = suspension.suspended_from if backfill else suspension.resumed_on
    _apply(tenant, by, agreement, "resume", backfill=backfill)
    coverage_apply(
        tenant=tenant,
        by=by,
        change=CoverageChange.of(
            "agreement_resumed",
            agreement_ids=[agreement.pk],
            suspension_id=suspension.pk if suspension else None,
            generate_from=generate_from,
        ),
    )
    return agreement


def agreements_resume_due(*, tenant: Tenant) -> int:
    """Resume the suspended agreements whose planned end (``resume_on``) has come (without
    back-fill), each in its own transaction. Idempotent."""
    today = tenant.today()
    resumed = 0
    for agreement_id in selectors.agreements_to_resume(tenant=tenant, today=today):
        try:
            agreement_resume(tenant=tenant, agreement_id=agreement_id, by=None)
        except TransitionRefused:
            continue
        resumed += 1
    return resumed


@transaction.atomic
def agreement_expire(*, tenant: Tenant, agreement_id: int, by: User | None) -> Agreement:
    agreement = _lock_for(tenant, agreement_id, "expire")
    _apply(tenant, by, agreement, "expire")
    coverage_apply(
        tenant=tenant,
        by=by,
        change=CoverageChange.of(
            "agreement_expired",
            agreement_ids=[agreement.pk],
            note=_because(_("Agreement %(number)s expired."), agreement.number),
        ),
    )
    return agreement


@transaction.atomic
def agreement_cancel(
    *, tenant: Tenant, agreement_id: int, by: User | None, reason: str = ""
) -> Agreement:
    """Cancel the agreement, keeping why (shown on its page and in the activity log); its open
    generated future visits are cancelled with it."""
    agreement = _lock_for(tenant, agreement_id, "cancel")
    agreement.cancel_reason = reason.strip()
    agreement.save(update_fields=["cancel_reason"])
    _apply(tenant, by, agreement, "cancel", **({"reason": reason.strip()} if reason else {}))
    coverage_apply(
        tenant=tenant,
        by=by,
        change=CoverageChange.of(
            "agreement_cancelled",
            agreement_ids=[agreement.pk],
            note=_because(_("Agreement %(number)s cancelled."), agreement.number, reason),
        ),
    )
    return agreement


TRANSITIONS = {
    "activate": agreement_activate,
    "suspend": agreement_suspend,
    "resume": agreement_resume,
    "expire": agreement_expire,
    "cancel": agreement_cancel,
}


def agreements_expire_ended(*, tenant: Tenant) -> int:
    """Expire the tenant's active and suspended agreements whose end date is before today (in
    the tenant's zone). Each in its own savepoint; one that changed meanwhile is left alone.
    Running it again expires nothing twice."""
    today = tenant.today()
    expired = 0
    for agreement_id in selectors.agreements_to_expire(tenant=tenant, today=today).values_list(
        "pk", flat=True
    ):
        try:
            agreement_expire(tenant=tenant, agreement_id=agreement_id, by=None)
        except TransitionRefused:
            continue
        expired += 1
    return expired


# --- Templates ---------------------------------------------------------------------------------


@transaction.atomic
def agreement_mark_template(
    *, tenant: Tenant, by: User, agreement_id: int, template_group: TemplateGroup
) -> Agreement:
    """Turn a draft without service orders into a template (which never generates orders)."""
    agreement = _lock(tenant, agreement_id)
    if agreement.is_template:
        raise _refuse(None, _("This agreement is already a template."))
    if agreement.state != AgreementState.DRAFT:
        raise _refuse(
            None,
            _("Only a draft agreement can become a template; this one is %(state)s.")
            % {"state": agreement.get_state_display().lower()},
        )
    if usage_of(tenant, agreement):
        raise _refuse(
            None,
            _("This agreement already has service orders, so it cannot become a template."),
        )
    if template_group is None or not _belongs(tenant, template_group):
        raise _refuse("template_group", _("A template belongs to a template group; choose one."))
    agreement.is_template = True
    agreement.template_group = template_group
    agreement.save(update_fields=["is_template", "template_group"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.mark_template",
        target=agreement,
        params={"number": agreement.number},
    )
    return agreement


def _copy_relations(
    tenant: Tenant, source: Agreement, target: Agreement, customer_object_ids: set[int]
) -> None:
    AgreementObject.objects.bulk_create(
        AgreementObject(tenant=tenant, agreement=target, service_object_id=link.service_object_id)
        for link in source.object_links.all()
        if link.service_object_id in customer_object_ids
    )
    AgreementTask.objects.bulk_create(
        AgreementTask(
            tenant=tenant,
            agreement=target,
            task_id=link.task_id,
            internal_note=link.internal_note,
            customer_note=link.customer_note,
        )
        for link in source.task_links.all()
    )


def _copy_rates(tenant: Tenant, source: Agreement, target: Agreement) -> None:
    """The source's rate card, for a target in the same currency."""
    AgreementRate.objects.bulk_create(
        AgreementRate(
            tenant=tenant,
            agreement=target,
            **{field: getattr(rate, field) for field in RATE_COPY_FIELDS},
        )
        for rate in AgreementRate.objects.for_tenant(tenant).filter(
            agreement=source, currency=target.currency
        )
    )


RATE_COPY_FIELDS = (
    "kind",
    "task_id",
    "task_category",
    "item_id",
    "description",
    "currency",
    "sales_price",
    "cost_price",
    "markup_percent",
    "key",
)


LINE_COPY_FIELDS = (
    "position",
    "kind",
    "description",
    "service_object_id",
    "task_id",
    "item_id",
    "technician_id",
    "interval_unit",
    "interval_count",
    "excluded_months",
    "exclude_holidays",
    "time_window",
    "window_days_before",
    "window_days_after",
    "preferred_time",
    "quantity",
    "unit_price",
    "is_stopped",
)


def _shifted_dates(
    line: AgreementLine, source: Agreement, target: Agreement
) -> tuple[datetime.date | None, datetime.date | None] | None:
    """The line's dates moved by the offset between the two agreements' starts (in calendar
    months and days: 1 Feb moves to 1 May when the agreement moves from 1 Jan to 1 Apr) and kept
    within the target's dates; None when nothing of the line is left inside them."""
    offset = relativedelta(target.start_date, source.start_date)

    def shift(day: datetime.date | None) -> datetime.date | None:
        if day is None:
            return None
        if source.end_date and day == source.end_date and target.end_date:
            return target.end_date  # a line running to the end keeps running to the end
        return day + offset

    start, end = shift(line.start_date), shift(line.end_date)
    if start is not None and start < target.start_date:
        start = target.start_date
    if target.end_date and end is not None and end > target.end_date:
        end = target.end_date
    if target.end_date and start is not None and start > target.end_date:
        return None
    if start and end and end < start:
        return None
    return start, end


def _copy_lines(
    tenant: Tenant,
    source: Agreement,
    target: Agreement,
    customer_object_ids: set[int] | None,
    continue_series: bool = False,
) -> int:
    """Copy the source's lines onto the target; returns how many were left out (their object
    belongs to another customer, or their dates fall outside the target's). A renewal
    (``continue_series``) keeps each line's series counted from where it began, so weekly and
    every-N-days lines keep their weekday and rhythm across the renewal."""
    copies, left_out = [], 0
    for line in source.lines.all():
        dates = _shifted_dates(line, source, target)
        foreign_object = (
            customer_object_ids is not None
            and line.service_object_id is not None
            and line.service_object_id not in customer_object_ids
        )
        if dates is None or foreign_object:
            left_out += 1
            continue
        copy = AgreementLine(tenant=tenant, agreement=target)
        for field in LINE_COPY_FIELDS:
            setattr(copy, field, getattr(line, field))
        copy.excluded_months = list(line.excluded_months)
        copy.start_date, copy.end_date = dates
        running_to_the_end = line.end_date is None or line.end_date == source.end_date
        if continue_series and line.interval_unit and running_to_the_end:
            # A line still running when the agreement ends goes on from the renewal's first day
            # in its old rhythm (a seasonal line, ended earlier, starts its season afresh).
            copy.series_anchor = line.anchor(source)
            copy.start_date = target.start_date
        copies.append(copy)
    AgreementLine.objects.bulk_create(copies)
    return left_out


def _source_with_relations(tenant: Tenant, pk: int, **filters) -> Agreement:
    return (
        Agreement.objects.for_tenant(tenant)
        .prefetch_related("lines", "object_links", "task_links")
        .get(pk=pk, **filters)
    )


@transaction.atomic
def agreement_create_from_template(
    *,
    tenant: Tenant,
    by: User,
    template_id: int,
    customer: Customer,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> tuple[Agreement, int]:
    """A new draft agreement for ``customer`` copied from a template (lines, object and task
    relations). Objects of other customers are left out; returns (agreement, lines left out)."""
    try:
        template = _source_with_relations(tenant, template_id, is_template=True)
    except Agreement.DoesNotExist as exc:
        raise _refuse("template", _("Choose one of this tenant's templates.")) from exc
    if customer is None or not _belongs(tenant, customer):
        raise _refuse("customer", _("Choose a customer."))
    if end_date and end_date < start_date:
        raise _refuse("end_date", _("The end date cannot be before the start date."))
    agreement = Agreement(
        tenant=tenant,
        customer=customer,
        description=template.description,
        group_id=template.group_id,
        sla_id=template.sla_id,
        combine_rule=template.combine_rule,
        currency=template.currency or tenant.currency,
        responsible_id=template.responsible_id,
        preferred_technician_id=template.preferred_technician_id,
        start_date=start_date,
        end_date=end_date,
        created_from=template,
    )
    _validate_agreement(tenant, agreement)
    agreement.number = sequence_next_number(tenant=tenant, key="agreement")
    agreement.save()
    customer_object_ids = set(
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer=customer)
        .values_list("pk", flat=True)
    )
    _copy_relations(tenant, template, agreement, customer_object_ids)
    _copy_rates(tenant, template, agreement)
    left_out = _copy_lines(tenant, template, agreement, customer_object_ids)
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.create_from_template",
        target=agreement,
        params={"number": agreement.number, "template": template.number},
        changes={"lines_left_out": left_out},
    )
    return agreement, left_out


# --- Renewal -----------------------------------------------------------------------------------

RENEWABLE_STATES = (AgreementState.ACTIVE, AgreementState.SUSPENDED, AgreementState.EXPIRED)


def renewal_start_date(agreement: Agreement) -> datetime.date:
    return agreement.end_date + datetime.timedelta(days=1)


def renewal_end_date(agreement: Agreement) -> datetime.date:
    """The end of a renewal with the same duration: a year from 1 Jan to 31 Dec renews to the
    next 1 Jan–31 Dec (calendar months, never "a month is 30 days")."""
    start = renewal_start_date(agreement)
    duration = relativedelta(start, agreement.start_date)
    return start + duration - datetime.timedelta(days=1)


class AlreadyRenewed(ValidationError):
    def __init__(self, renewal: Agreement):
        super().__init__(
            {
                NON_FIELD_ERRORS: _("This agreement was already renewed as %(number)s.")
                % {"number": renewal.number}
            }
        )
        self.renewal = renewal


@transaction.atomic
def agreement_renew(
    *, tenant: Tenant, by: User, agreement_id: int, end_date: datetime.date | None = None
) -> tuple[Agreement, int]:
    """A new draft agreement starting the day after this one ends, for the same duration (or
    until ``end_date``), with the lines (dates shifted) and relations copied. The renewed
    agreement itself is not changed; renewing it twice is refused. Returns (renewal, lines
    left out because they would start after the chosen end date)."""
    _lock(tenant, agreement_id)  # serialises two renewals of the same agreement
    old = _source_with_relations(tenant, agreement_id)
    renewal = selectors.agreement_renewal(tenant=tenant, agreement=old)
    if renewal is not None:
        raise AlreadyRenewed(renewal)
    if old.is_template:
        raise _refuse(None, _("A template is not renewed; create an agreement from it."))
    if old.state not in RENEWABLE_STATES:
        raise _refuse(
            None,
            _("A %(state)s agreement cannot be renewed.")
            % {"state": old.get_state_display().lower()},
        )
    if old.end_date is None:
        raise _refuse(None, _("Only an agreement with an end date can be renewed."))
    start = renewal_start_date(old)
    if end_date is not None and end_date < start:
        raise _refuse(
            "end_date",
            _("The renewal starts on %(date)s; it cannot end before that.")
            % {"date": start.isoformat()},
        )
    new = Agreement(
        tenant=tenant,
        customer_id=old.customer_id,
        description=old.description,
        group_id=old.group_id,
        sla_id=old.sla_id,
        combine_rule=old.combine_rule,
        currency=old.currency,
        responsible_id=old.responsible_id,
        preferred_technician_id=old.preferred_technician_id,
        contact_id=old.contact_id,
        start_date=start,
        end_date=end_date or renewal_end_date(old),
        renewed_from=old,
    )
    new.number = sequence_next_number(tenant=tenant, key="agreement")
    new.save()
    _copy_relations(tenant, old, new, {link.service_object_id for link in old.object_links.all()})
    _copy_rates(tenant, old, new)
    left_out = _copy_lines(tenant, old, new, customer_object_ids=None, continue_series=True)
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.renew",
        target=new,
        params={"number": new.number, "old": old.number},
        changes={"lines_left_out": left_out},
    )
    return new, left_out


# --- Object and task relations -----------------------------------------------------------------


@transaction.atomic
def agreement_object_add(
    *, tenant: Tenant, by: User, agreement_id: int, service_object: ServiceObject
) -> AgreementObject:
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    if not agreement.customer_id:
        raise _refuse("service_object", _("Choose the agreement's customer first."))
    if not _belongs(tenant, service_object) or service_object.customer_id != agreement.customer_id:
        raise _refuse("service_object", _("Choose a service object of the agreement's customer."))
    if agreement.object_links.filter(service_object=service_object).exists():
        raise _refuse("service_object", _("This object is already covered by the agreement."))
    link = AgreementObject.objects.create(
        tenant=tenant, agreement=agreement, service_object=service_object
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.object_add",
        target=agreement,
        params={"number": agreement.number, "object": str(service_object)},
    )
    return link


def _refuse_if_lines_use(agreement: Agreement, message: str, names: dict, **line_filter) -> None:
    """Refuse to remove what lines of the agreement still use: ``message`` names them by
    %(positions)s, and by ``names``."""
    positions = agreement.lines.filter(**line_filter).values_list("position", flat=True)
    if positions:
        raise _refuse(None, message % {"positions": ", ".join(map(str, positions)), **names})


@transaction.atomic
def agreement_object_remove(*, tenant: Tenant, by: User, agreement_id: int, link_id: int):
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    link = selectors.agreement_object_link_get(tenant=tenant, agreement=agreement, pk=link_id)
    _refuse_if_lines_use(
        agreement,
        _("Lines %(positions)s use %(object)s; change or delete them first."),
        {"object": link.service_object},
        service_object_id=link.service_object_id,
    )
    link.delete()
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.object_remove",
        target=agreement,
        params={"number": agreement.number, "object": str(link.service_object)},
    )


@transaction.atomic
def agreement_task_add(
    *,
    tenant: Tenant,
    by: User,
    agreement_id: int,
    task: ServiceTask,
    internal_note: str = "",
    customer_note: str = "",
) -> AgreementTask:
    """Add a task to the agreement, with the notes its generated orders carry (internal: for
    the technician; customer: on the work receipt)."""
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    if not _belongs(tenant, task):
        raise _refuse("task", _("Choose one of this tenant's service tasks."))
    if agreement.task_links.filter(task=task).exists():
        raise _refuse("task", _("This task is already part of the agreement."))
    link = AgreementTask.objects.create(
        tenant=tenant,
        agreement=agreement,
        task=task,
        internal_note=(internal_note or "").strip(),
        customer_note=(customer_note or "").strip(),
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.task_add",
        target=agreement,
        params={"number": agreement.number, "task": str(task)},
    )
    return link


@transaction.atomic
def agreement_task_remove(*, tenant: Tenant, by: User, agreement_id: int, link_id: int):
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    link = selectors.agreement_task_link_get(tenant=tenant, agreement=agreement, pk=link_id)
    _refuse_if_lines_use(
        agreement,
        _("Lines %(positions)s use %(task)s; change or delete them first."),
        {"task": link.task},
        task_id=link.task_id,
    )
    link.delete()
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.task_remove",
        target=agreement,
        params={"number": agreement.number, "task": str(link.task)},
    )


# --- Lines -------------------------------------------------------------------------------------

LINE_FIELDS = (
    "kind",
    "description",
    "service_object",
    "task",
    "item",
    "technician",
    "interval_unit",
    "interval_count",
    "excluded_months",
    "exclude_holidays",
    "time_window",
    "window_days_before",
    "window_days_after",
    "preferred_time",
    "start_date",
    "end_date",
    "quantity",
    "unit_price",
    "is_stopped",
)


def _line_reference_errors(tenant: Tenant, agreement: Agreement, line: AgreementLine) -> dict:
    errors: dict = {}
    obj = line.service_object
    if obj is not None:
        if obj.tenant_id != tenant.pk or obj.customer_id != agreement.customer_id:
            errors["service_object"] = [
                _("This object belongs to another customer; choose one of the agreement's.")
            ]
        elif not agreement.object_links.filter(service_object=obj).exists():
            errors["service_object"] = [
                _("This object is not covered by the agreement; add it under Service objects.")
            ]
    if line.task is not None and not agreement.task_links.filter(task=line.task).exists():
        errors["task"] = [_("This task is not part of the agreement; add it under Service tasks.")]
    if not _belongs(tenant, line.item):
        errors["item"] = [_("Choose one of this tenant's items.")]
    if line.technician_id and not (
        selectors.technician_choices(tenant=tenant).filter(pk=line.technician_id).exists()
    ):
        errors["technician"] = [_("Choose a technician of this tenant.")]
    return errors


def _line_date_errors(agreement: Agreement, line: AgreementLine) -> dict:
    errors: dict = {}
    start, end = agreement.start_date, agreement.end_date
    if line.start_date and line.start_date < start:
        errors["start_date"] = [
            _("The line cannot start before the agreement (%(date)s).")
            % {"date": start.isoformat()}
        ]
    if end and line.start_date and line.start_date > end:
        errors["start_date"] = [
            _("The line cannot start after the agreement ends (%(date)s).")
            % {"date": end.isoformat()}
        ]
    if end and line.end_date and line.end_date > end:
        errors["end_date"] = [
            _("The line cannot end after the agreement (%(date)s).") % {"date": end.isoformat()}
        ]
    return errors


def _validate_line(tenant: Tenant, agreement: Agreement, line: AgreementLine) -> None:
    errors = _line_reference_errors(tenant, agreement, line)
    for field, messages in _line_date_errors(agreement, line).items():
        errors.setdefault(field, []).extend(messages)
    if line.quantity is not None and line.quantity < 0:
        errors.setdefault("quantity", []).append(_("The quantity cannot be negative."))
    if line.excluded_months and len(set(line.excluded_months)) >= 12:
        errors.setdefault("excluded_months", []).append(
            _("Excluding every month leaves no visits.")
        )
    elif selectors.line_never_due(agreement, line):
        errors.setdefault("excluded_months", []).append(
            _(
                "This line falls due only in months it excludes, so it would never generate a "
                "visit: change the excluded months or the line's start date."
            )
        )
    if line.unit_price is None and line.item_id and agreement.currency != tenant.currency:
        errors.setdefault("unit_price", []).append(
            _(
                "The item's price is in %(item_currency)s and this agreement is in "
                "%(currency)s: enter the line's price in %(currency)s."
            )
            % {"item_currency": tenant.currency, "currency": agreement.currency}
        )
    _merge_clean(line, errors, exclude=["tenant", "agreement"])
    # Model validators and our checks may say the same thing twice.
    _raise_if({field: list(dict.fromkeys(messages)) for field, messages in errors.items()})


# Changing one of these starts the line's series afresh (a renewal's carried-over anchor goes).
SERIES_FIELDS = ("interval_unit", "interval_count", "start_date")


def _assign_line(line: AgreementLine, data: dict) -> None:
    for field in LINE_FIELDS:
        if field in data:
            setattr(line, field, data[field])
    line.excluded_months = sorted({int(m) for m in line.excluded_months or []})


# The line fields that decide which visits it covers (customers.coverage); changing one of
# them cancels the open generated visits the line no longer covers and restores the ones it
# covers again.
SCHEDULE_FIELDS = (
    "service_object",
    "interval_unit",
    "interval_count",
    "excluded_months",
    "exclude_holidays",
    "time_window",
    "window_days_before",
    "window_days_after",
    "start_date",
    "end_date",
    "is_stopped",
)


def _line_change(agreement: Agreement, line: AgreementLine, cause: str) -> CoverageChange:
    messages = {
        "line_stopped": _("Line %(position)s of agreement %(number)s stopped."),
        "line_restarted": _("Line %(position)s of agreement %(number)s restarted."),
    }
    message = messages.get(cause) or _("Line %(position)s of agreement %(number)s rescheduled.")
    return CoverageChange.of(
        cause or "line_stopped",
        line_ids=[line.pk],
        note=message % {"position": line.position, "number": agreement.number},
    )


def _line_params(line: AgreementLine) -> dict:
    """What the activity log calls a line: its description, else its task, else its kind."""
    return {"line": line.description or (str(line.task) if line.task_id else ""), "kind": line.kind}


@transaction.atomic
def agreement_line_create(
    *, tenant: Tenant, by: User, agreement_id: int, data: dict
) -> AgreementLine:
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    last = agreement.lines.aggregate(last=Max("position"))["last"] or 0
    line = AgreementLine(tenant=tenant, agreement=agreement, position=last + 10)
    _assign_line(line, data)
    _validate_line(tenant, agreement, line)
    line.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.line_add",
        target=agreement,
        params={"number": agreement.number, "position": line.position, **_line_params(line)},
    )
    return line


def _lock_line(tenant: Tenant, line_id: int) -> tuple[Agreement, AgreementLine]:
    agreement_id = AgreementLine.objects.for_tenant(tenant).values_list("agreement_id", flat=True)
    agreement = _lock(tenant, agreement_id.get(pk=line_id))
    _require_editable(agreement)
    line = AgreementLine.objects.for_tenant(tenant).select_for_update().get(pk=line_id)
    return agreement, line


@transaction.atomic
def agreement_line_update(*, tenant: Tenant, by: User, line_id: int, data: dict) -> AgreementLine:
    agreement, line = _lock_line(tenant, line_id)
    before = audit_snapshot(line, LINE_FIELDS)
    _assign_line(line, data)
    if audit_snapshot(line, SERIES_FIELDS) != {name: before[name] for name in SERIES_FIELDS}:
        line.series_anchor = None  # a new schedule counts from the line's own start
    _validate_line(tenant, agreement, line)
    line.save()
    changes = audit_changes(before, audit_snapshot(line, LINE_FIELDS))
    if set(changes) & set(SCHEDULE_FIELDS):
        coverage_apply(
            tenant=tenant,
            by=by,
            change=_line_change(agreement, line, "line_changed" if not line.is_stopped else ""),
        )
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="agreement.line_update",
            target=agreement,
            params={
                "number": agreement.number,
                "position": line.position,
                "fields": sorted(changes),
            },
            changes=changes,
        )
    return line


@transaction.atomic
def agreement_line_set_stopped(
    *, tenant: Tenant, by: User, line_id: int, stopped: bool
) -> AgreementLine:
    agreement, line = _lock_line(tenant, line_id)
    if line.is_stopped != stopped:
        line.is_stopped = stopped
        line.save(update_fields=["is_stopped"])
        audit_record(
            tenant=tenant,
            actor=by,
            action="agreement.line_stop" if stopped else "agreement.line_unstop",
            target=agreement,
            params={"number": agreement.number, "position": line.position},
        )
        coverage_apply(
            tenant=tenant,
            by=by,
            change=_line_change(agreement, line, "line_stopped" if stopped else "line_restarted"),
        )
    return line


@transaction.atomic
def agreement_line_delete(*, tenant: Tenant, by: User, line_id: int) -> Agreement:
    agreement, line = _lock_line(tenant, line_id)
    if usage_of(tenant, line):
        raise _refuse(
            None,
            _("Line %(position)s already produced service orders; stop it instead.")
            % {"position": line.position},
        )
    position = line.position
    line.delete()
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.line_delete",
        target=agreement,
        params={"number": agreement.number, "position": position},
    )
    return agreement


def agreement_line_snapshot(line: AgreementLine) -> dict:
    """What ``agreement_line_restore`` needs to put a deleted line back (plain JSON)."""
    return {
        "id": line.pk,
        "agreement_id": line.agreement_id,
        "position": line.position,
        "fields": audit_snapshot(line, LINE_FIELDS),
    }


@transaction.atomic
def agreement_line_restore(*, tenant: Tenant, by: User, snapshot: dict) -> AgreementLine:
    """Put a deleted line back as it was (same id and position), checked like a new line: the
    agreement must still be editable and its object and task still the agreement's."""
    agreement = _lock(tenant, snapshot["agreement_id"])
    _require_editable(agreement)
    if AgreementLine.objects.for_tenant(tenant).filter(pk=snapshot["id"]).exists():
        raise _refuse(
            None, _("Line %(position)s is back already.") % {"position": snapshot["position"]}
        )
    line = AgreementLine(
        tenant=tenant, agreement=agreement, pk=snapshot["id"], position=snapshot["position"]
    )
    for name, value in snapshot["fields"].items():
        field = AgreementLine._meta.get_field(name)
        setattr(line, field.attname, None if value is None else field.to_python(value))
    _validate_line(tenant, agreement, line)
    line.save(force_insert=True)
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.line_restore",
        target=agreement,
        params={"number": agreement.number, "position": line.position},
    )
    return line


# --- Rate cards --------------------------------------------------------------------------------

RATE_FIELDS = (
    "kind",
    "task",
    "task_category",
    "item",
    "description",
    "currency",
    "sales_price",
    "cost_price",
    "markup_percent",
)


def _assign_rate(rate: AgreementRate, data: dict) -> None:
    for field in RATE_FIELDS:
        if field in data:
            setattr(rate, field, data[field])
    rate.task_category = " ".join((rate.task_category or "").split())
    rate.description = " ".join((rate.description or "").split())
    rate.currency = (rate.currency or "").upper()
    # What does not apply to the entry's type is not kept (a task on a fee, say).
    if rate.kind != RateKind.HOUR:
        rate.task, rate.task_category = None, ""
    elif rate.task is not None:
        rate.task_category = ""
    if rate.kind != RateKind.ITEM:
        rate.item = None
    if rate.kind != RateKind.FEE:
        rate.description = ""
    if rate.kind == RateKind.EXPENSE:
        rate.sales_price = rate.cost_price = None
    else:
        rate.markup_percent = None
    rate.key = rate_key(
        kind=rate.kind,
        task_id=rate.task_id,
        task_category=rate.task_category,
        item_id=rate.item_id,
        description=rate.description,
    )


def _validate_rate(tenant: Tenant, rate: AgreementRate, agreement: Agreement | None) -> None:
    errors: dict = {}
    if agreement is not None and rate.currency != agreement.currency:
        errors["currency"] = [
            _(
                "Agreement %(number)s is in %(currency)s; enter its rates in %(currency)s "
                "(%(given)s was given)."
            )
            % {
                "number": agreement.number,
                "currency": agreement.currency,
                "given": rate.currency or "—",
            }
        ]
    elif rate.currency not in {code for code, _label in CURRENCY_CHOICES}:
        errors["currency"] = [_("Choose a currency.")]
    for field in ("sales_price", "cost_price"):
        value = getattr(rate, field)
        if value is not None and value < 0:
            errors[field] = [_("A rate cannot be negative.")]
    if rate.markup_percent is not None and rate.markup_percent < 0:
        errors["markup_percent"] = [_("The markup cannot be negative.")]
    if rate.kind == RateKind.EXPENSE and rate.markup_percent is None:
        errors["markup_percent"] = [_("Enter the markup on expenses, in percent.")]
    if rate.kind != RateKind.EXPENSE and rate.sales_price is None and rate.cost_price is None:
        errors["sales_price"] = [_("Enter a sales price, a cost price or both.")]
    if rate.kind == RateKind.FEE and not rate.description:
        errors["description"] = [_("Say what the fee is for, as fee lines describe it.")]
    if rate.kind == RateKind.ITEM and rate.item is None:
        errors["item"] = [_("Choose the item this price is for.")]
    for field in ("task", "item"):
        if not _belongs(tenant, getattr(rate, field)):
            errors[field] = [_("Choose one of this tenant's records.")]
    _merge_clean(rate, errors, exclude=["tenant", "agreement", "group", "key"])
    if not errors:
        same = AgreementRate.objects.for_tenant(tenant).filter(currency=rate.currency, key=rate.key)
        same = same.filter(agreement=agreement) if agreement else same.filter(group=rate.group)
        if same.exclude(pk=rate.pk).exists():
            errors[NON_FIELD_ERRORS] = [
                _("The rate card already has this rate in %(currency)s; change that one.")
                % {"currency": rate.currency}
            ]
    _raise_if({field: list(dict.fromkeys(messages)) for field, messages in errors.items()})


def _rate_audit(tenant, by, action: str, rate: AgreementRate, **extra) -> None:
    card = rate.agreement if rate.agreement_id else rate.group
    audit_record(
        tenant=tenant,
        actor=by,
        action=action,
        target=card,
        params={
            "card": card.number if rate.agreement_id else card.name,
            # The general hour rate and the markup have no subject: the log words them.
            "rate": "" if rate.key in ("hour:", "expense") else str(rate.subject),
            "kind": rate.kind,
            "currency": rate.currency,
        },
        **extra,
    )


def _save_rate(rate: AgreementRate) -> None:
    save_unique(
        rate,
        {
            "agreements_rate_agreement_key": (
                NON_FIELD_ERRORS,
                _("The rate card already has this rate in %(currency)s; change that one.")
                % {"currency": rate.currency},
            ),
            "agreements_rate_group_key": (
                NON_FIELD_ERRORS,
                _("The rate card already has this rate in %(currency)s; change that one.")
                % {"currency": rate.currency},
            ),
        },
    )


@transaction.atomic
def rate_create(
    *,
    tenant: Tenant,
    by: User,
    data: dict,
    agreement_id: int | None = None,
    group: AgreementGroup | None = None,
) -> AgreementRate:
    """Add an entry to an agreement's rate card, or to a group's default rate card."""
    agreement = None
    if agreement_id is not None:
        agreement = _lock(tenant, agreement_id)
        _require_editable(agreement)
        rate = AgreementRate(tenant=tenant, agreement=agreement)
    else:
        if group is None or not _belongs(tenant, group):
            raise _refuse(None, _("Choose one of this tenant's agreement groups."))
        rate = AgreementRate(tenant=tenant, group=group)
    _assign_rate(rate, data)
    _validate_rate(tenant, rate, agreement)
    _save_rate(rate)
    _rate_audit(tenant, by, "agreement.rate_add", rate)
    return rate


def _lock_rate(tenant: Tenant, rate_id: int) -> tuple[Agreement | None, AgreementRate]:
    rates = AgreementRate.objects.for_tenant(tenant)
    agreement_id = rates.values_list("agreement_id", flat=True).get(pk=rate_id)
    agreement = None
    if agreement_id is not None:
        agreement = _lock(tenant, agreement_id)
        _require_editable(agreement)
    rate = rates.select_for_update().select_related("group", "task", "item").get(pk=rate_id)
    rate.agreement = agreement
    return agreement, rate


@transaction.atomic
def rate_update(*, tenant: Tenant, by: User, rate_id: int, data: dict) -> AgreementRate:
    agreement, rate = _lock_rate(tenant, rate_id)
    before = audit_snapshot(rate, RATE_FIELDS)
    _assign_rate(rate, data)
    _validate_rate(tenant, rate, agreement)
    _save_rate(rate)
    changes = audit_changes(before, audit_snapshot(rate, RATE_FIELDS))
    if changes:
        _rate_audit(tenant, by, "agreement.rate_update", rate, changes=changes)
    return rate


@transaction.atomic
def rate_delete(*, tenant: Tenant, by: User, rate_id: int) -> None:
    _agreement, rate = _lock_rate(tenant, rate_id)
    _rate_audit(tenant, by, "agreement.rate_delete", rate)
    rate.delete()


# --- Bulk upkeep -------------------------------------------------------------------------------


def _chosen_ids(ids) -> list[int]:
    chosen = []
    for value in ids or ():
        try:
            chosen.append(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(set(chosen))


@transaction.atomic
def agreement_objects_add_bulk(
    *, tenant: Tenant, by: User, agreement_id: int, object_ids
) -> list[ServiceObject]:
    """Cover several of the customer's service objects at once (chosen from a filtered list).
    Objects covered already are skipped; a chosen object that is not the customer's (another
    customer's, another tenant's, a missing one) refuses the whole set."""
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    chosen = _chosen_ids(object_ids)
    if not chosen:
        raise _refuse("objects", _("Choose at least one service object."))
    if not agreement.customer_id:
        raise _refuse("objects", _("Choose the agreement's customer first."))
    found = list(
        ServiceObject.objects.for_tenant(tenant)
        .filter(pk__in=chosen, customer_id=agreement.customer_id)
        .order_by("number")
    )
    if len(found) != len(chosen):
        raise _refuse(
            "objects",
            _(
                "Some chosen objects are not service objects of %(customer)s; nothing was "
                "added. Choose again from the list."
            )
            % {"customer": agreement.customer.name},
        )
    covered = set(agreement.object_links.values_list("service_object_id", flat=True))
    added = [obj for obj in found if obj.pk not in covered]
    AgreementObject.objects.bulk_create(
        AgreementObject(tenant=tenant, agreement=agreement, service_object=obj) for obj in added
    )
    if added:
        audit_record(
            tenant=tenant,
            actor=by,
            action="agreement.objects_add_bulk",
            target=agreement,
            params={"number": agreement.number, "count": len(added)},
            changes={"objects": [obj.number for obj in added]},
        )
    return added


def _template_for_copy(tenant: Tenant, template_id: int, agreement: Agreement) -> Agreement:
    try:
        template = _source_with_relations(tenant, template_id, is_template=True)
    except Agreement.DoesNotExist as exc:
        raise _refuse("template", _("Choose one of this tenant's templates.")) from exc
    if template.pk == agreement.pk:
        raise _refuse("template", _("Choose another template than this agreement."))
    return template


def lines_copy_plan(
    *, tenant: Tenant, agreement: Agreement, template_id: int, start_date: datetime.date
) -> tuple[Agreement, list[AgreementLine], list[AgreementLine]]:
    """What copying the template's lines into the agreement would do: (template, lines to
    copy, lines left out because their object is not one the agreement covers). Refuses a
    start outside the agreement's dates."""
    template = _template_for_copy(tenant, template_id, agreement)
    if start_date < agreement.start_date or (
        agreement.end_date and start_date > agreement.end_date
    ):
        raise _refuse(
            "start_date", _("Choose a day within the agreement's dates for the copied lines.")
        )
    covered = set(agreement.object_links.values_list("service_object_id", flat=True))
    copied, left_out = [], []
    for line in template.lines.select_related("task", "service_object", "item"):
        if line.service_object_id and line.service_object_id not in covered:
            left_out.append(line)
        else:
            copied.append(line)
    return template, copied, left_out


@transaction.atomic
def agreement_lines_copy(
    *,
    tenant: Tenant,
    by: User,
    agreement_id: int,
    template_id: int,
    start_date: datetime.date,
) -> list[AgreementLine]:
    """Copy a template's lines into an agreement (a running one too), after its own lines:
    they start on ``start_date`` and run to the agreement's end; the tasks they use are added
    to the agreement. Lines whose object the agreement does not cover are left out."""
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    template, lines, _left_out = lines_copy_plan(
        tenant=tenant, agreement=agreement, template_id=template_id, start_date=start_date
    )
    if not lines:
        raise _refuse("template", _("The template has no lines this agreement can take."))
    tasks = set(agreement.task_links.values_list("task_id", flat=True))
    new_tasks = {line.task_id for line in lines if line.task_id} - tasks
    AgreementTask.objects.bulk_create(
        AgreementTask(tenant=tenant, agreement=agreement, task_id=task_id)
        for task_id in sorted(new_tasks)
    )
    position = agreement.lines.aggregate(last=Max("position"))["last"] or 0
    copies = []
    for line in lines:
        position += 10
        copy = AgreementLine(tenant=tenant, agreement=agreement)
        for field in LINE_COPY_FIELDS:
            setattr(copy, field, getattr(line, field))
        copy.position = position
        copy.excluded_months = list(line.excluded_months)
        copy.start_date, copy.end_date = start_date, None
        copies.append(copy)
    AgreementLine.objects.bulk_create(copies)
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement.lines_copy",
        target=agreement,
        params={"number": agreement.number, "count": len(copies), "template": template.number},
        changes={"positions": [copy.position for copy in copies]},
    )
    return copies


BULK_LINE_FIELDS = (
    "unit_price",
    "technician",
    "time_window",
    "window_days_before",
    "window_days_after",
)


def _bulk_lines(tenant: Tenant, agreement: Agreement, line_ids, *, lock: bool):
    chosen = _chosen_ids(line_ids)
    if not chosen:
        raise _refuse("lines", _("Choose at least one line."))
    lines = AgreementLine.objects.for_tenant(tenant).filter(pk__in=chosen)
    if lock:
        lines = lines.select_for_update(of=("self",))
    lines = list(lines.select_related("task", "technician").order_by("position", "pk"))
    if len(lines) != len(chosen) or any(line.agreement_id != agreement.pk for line in lines):
        raise _refuse(
            "lines",
            _("Some chosen lines are not lines of %(number)s; nothing was changed.")
            % {"number": agreement.number},
        )
    return lines


def _bulk_changes(tenant: Tenant, lines: list[AgreementLine], data: dict) -> list[tuple]:
    """Apply the requested changes to the (unsaved) lines; returns (line, {field: (old,
    new)}) for each line, its changes empty when nothing changes for it."""
    percent = data.get("price_percent")
    technician = data.get("technician")
    clear_technician = bool(data.get("clear_technician"))
    window = data.get("time_window") or ""
    if percent is None and technician is None and not clear_technician and not window:
        raise _refuse(None, _("Choose what to change: a price change, a technician or a window."))
    if percent is not None and percent < -100:
        raise _refuse("price_percent", _("A price cannot fall by more than 100 %."))
    if technician is not None and clear_technician:
        raise _refuse("technician", _("Choose a technician or “No technician”, not both."))
    if technician is not None and not (
        selectors.technician_choices(tenant=tenant).filter(pk=technician.pk).exists()
    ):
        raise _refuse("technician", _("Choose a technician of this tenant."))
    if window and window not in TimeWindow.values:
        raise _refuse("time_window", _("Choose a time window."))
    before_days = data.get("window_days_before") or 0
    after_days = data.get("window_days_after") or 0
    if window != TimeWindow.DAYS_AROUND:
        before_days = after_days = 0
    for field, value in (("window_days_before", before_days), ("window_days_after", after_days)):
        if value < 0:
            raise _refuse(field, _("Enter a number that is not negative."))
    planned = []
    for line in lines:
        changes = {}
        if percent is not None and line.unit_price is not None:
            new = (line.unit_price * (1 + percent / 100)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            if new != line.unit_price:
                changes["unit_price"] = (line.unit_price, new)
                line.unit_price = new
        if (technician is not None or clear_technician) and line.technician_id != (
            technician.pk if technician else None
        ):
            changes["technician"] = (line.technician, technician)
            line.technician = technician
        if window:
            for field, value in (
                ("time_window", window),
                ("window_days_before", before_days),
                ("window_days_after", after_days),
            ):
                if getattr(line, field) != value:
                    changes[field] = (getattr(line, field), value)
                    setattr(line, field, value)
        planned.append((line, changes))
    return planned


def agreement_lines_bulk_preview(
    *, tenant: Tenant, agreement_id: int, line_ids, data: dict
) -> list[tuple]:
    """What ``agreement_lines_bulk_update`` would change, line by line (nothing is saved)."""
    agreement = Agreement.objects.for_tenant(tenant).get(pk=agreement_id)
    _require_editable(agreement)
    return _bulk_changes(tenant, _bulk_lines(tenant, agreement, line_ids, lock=False), data)


@transaction.atomic
def agreement_lines_bulk_update(
    *, tenant: Tenant, by: User, agreement_id: int, line_ids, data: dict
) -> list[AgreementLine]:
    """Change the chosen lines of one agreement together: unit prices by a percentage (lines
    priced by the rate card keep it), the technician, the time window. All or nothing: a line
    of another agreement among them refuses the whole change. Returns the lines changed."""
    agreement = _lock(tenant, agreement_id)
    _require_editable(agreement)
    lines = _bulk_lines(tenant, agreement, line_ids, lock=True)
    before = {line.pk: audit_snapshot(line, BULK_LINE_FIELDS) for line in lines}
    planned = _bulk_changes(tenant, lines, data)
    changed = [line for line, changes in planned if changes]
    for line in changed:
        _validate_line(tenant, agreement, line)
    AgreementLine.objects.bulk_update(changed, list(BULK_LINE_FIELDS))
    if changed:
        fields = sorted({field for _line, changes in planned for field in changes})
        audit_record(
            tenant=tenant,
            actor=by,
            action="agreement.lines_bulk_update",
            target=agreement,
            params={
                "number": agreement.number,
                "positions": ", ".join(str(line.position) for line in changed),
                "fields": fields,
            },
            changes={
                str(line.position): audit_changes(
                    before[line.pk], audit_snapshot(line, BULK_LINE_FIELDS)
                )
                for line in changed
            },
        )
    return changed
