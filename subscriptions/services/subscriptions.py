"""Writes of groups, price-list rows, subscriptions and what changes their fees (pauses,
reductions, one-off fees, indexation). State changes lock the row, re-check after the lock and
raise ``TransitionRefused`` when they no longer apply (the view answers 409)."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from tenancy.integrity import save_unique
from tenancy.models import Tenant, User
from tenancy.services import audit_changes, audit_record, audit_snapshot, sequence_next_number

from .. import pricing
from ..models import (
    OneOffFee,
    PriceListRow,
    Reduction,
    ReductionKind,
    Subscription,
    SubscriptionGroup,
    SubscriptionPause,
    SubscriptionState,
)
from ..periods import due_on, period_of

GROUP_FIELDS = ("code", "name", "period", "timing", "accrue", "accrual_period")
SUBSCRIPTION_FIELDS = (
    "customer",
    "agreement",
    "group",
    "item",
    "description",
    "base_price",
    "index",
    "currency",
    "start_date",
    "end_date",
)
PRICE_FIELDS = ("subscription", "agreement", "item", "group", "period", "currency", "valid_from")


class TransitionRefused(Exception):
    """A state change that no longer applies (lost race, wrong state)."""

    def __init__(self, subscription: Subscription, message: str):
        super().__init__(message)
        self.subscription = subscription
        self.message = message


def _belongs(tenant: Tenant, obj) -> bool:
    return obj is None or obj.tenant_id == tenant.pk


def _full_clean(instance, exclude=("tenant",)) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# --- Groups -------------------------------------------------------------------------------------


def _group_apply(group: SubscriptionGroup, tenant: Tenant, data: dict) -> None:
    for field in GROUP_FIELDS:
        if field in data:
            setattr(group, field, data[field])
    _full_clean(group)
    save_unique(
        group,
        {"subscriptions_group_code": ("code", _("A subscription group with this code exists."))},
    )


@transaction.atomic
def group_create(*, tenant: Tenant, by: User | None, data: dict) -> SubscriptionGroup:
    if SubscriptionGroup.objects.for_tenant(tenant).filter(code=data.get("code")).exists():
        raise ValidationError({"code": _("A subscription group with this code exists.")})
    group = SubscriptionGroup(tenant=tenant)
    _group_apply(group, tenant, data)
    audit_record(
        tenant=tenant,
        actor=by,
        action="subscription_group.create",
        target=group,
        params={"record": str(group)},
    )
    return group


@transaction.atomic
def group_update(
    *, tenant: Tenant, by: User | None, group_id: int, data: dict
) -> SubscriptionGroup:
    group = SubscriptionGroup.objects.for_tenant(tenant).select_for_update().get(pk=group_id)
    before = audit_snapshot(group, GROUP_FIELDS)
    if (
        SubscriptionGroup.objects.for_tenant(tenant)
        .filter(code=data.get("code", group.code))
        .exclude(pk=group.pk)
        .exists()
    ):
        raise ValidationError({"code": _("A subscription group with this code exists.")})
    period_changed = "period" in data and data["period"] != group.period
    timing_changed = "timing" in data and data["timing"] != group.timing
    if (period_changed or timing_changed) and (
        Subscription.objects.for_tenant(tenant).filter(group=group, fees__isnull=False).exists()
    ):
        raise ValidationError(
            {
                "period" if period_changed else "timing": _(
                    "Subscriptions of this group have been billed: its period and timing can "
                    "no longer change. Create a new group and move the subscriptions."
                )
            }
        )
    _group_apply(group, tenant, data)
    changes = audit_changes(before, audit_snapshot(group, GROUP_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="subscription_group.update",
            target=group,
            params={"record": str(group), "fields": list(changes)},
            changes=changes,
        )
    return group


# --- Price list ---------------------------------------------------------------------------------


@transaction.atomic
def price_create(*, tenant: Tenant, by: User | None, data: dict) -> PriceListRow:
    row = PriceListRow(tenant=tenant)
    for field in (*PRICE_FIELDS, "price"):
        setattr(row, field, data.get(field))
    errors = {}
    if not row.currency:
        errors["currency"] = _("Choose the currency of this price.")
    for field in ("subscription", "agreement", "item", "group"):
        if not _belongs(tenant, getattr(row, field)):
            errors[field] = _("Choose one of your records.")
    named = [f for f in ("subscription", "agreement", "item", "group") if getattr(row, f)]
    if len(named) > 1:
        errors[NON_FIELD_ERRORS] = _(
            "A price applies to one subscription, agreement, item or group, or to every "
            "subscription: choose at most one of them."
        )
    if row.price is not None and row.price < 0:
        errors["price"] = _("The price cannot be negative.")
    if errors:
        raise ValidationError(errors)
    _full_clean(row)
    row.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="price_list_row.create",
        target=row,
        params={"record": str(row)},
    )
    return row


@transaction.atomic
def price_delete(*, tenant: Tenant, by: User | None, row_id: int) -> None:
    row = PriceListRow.objects.for_tenant(tenant).select_for_update().get(pk=row_id)
    audit_record(
        tenant=tenant,
        actor=by,
        action="price_list_row.delete",
        target=row,
        params={"record": str(row)},
    )
    row.delete()


# --- Subscriptions ------------------------------------------------------------------------------


def _subscription_check(tenant: Tenant, subscription: Subscription) -> None:
    errors: dict = {}
    for field in ("customer", "agreement", "group", "item"):
        if getattr(subscription, f"{field}_id") and not _belongs(
            tenant, getattr(subscription, field)
        ):
            errors[field] = _("Choose one of your records.")
    if (
        subscription.agreement_id
        and subscription.customer_id
        and subscription.agreement.customer_id != subscription.customer_id
    ):
        errors["agreement"] = _("Choose one of this customer's agreements.")
    if (
        subscription.end_date
        and subscription.start_date
        and subscription.end_date < subscription.start_date
    ):
        errors["end_date"] = _("The end date cannot be before the start date.")
    if subscription.index is not None and subscription.index <= 0:
        errors["index"] = _("The index must be above zero (100 is the base price).")
    if not subscription.currency:
        errors["currency"] = _("Choose the currency the subscription is billed in.")
    try:
        _full_clean(subscription, exclude=("tenant", "number", "state"))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_create(*, tenant: Tenant, by: User | None, data: dict) -> Subscription:
    subscription = Subscription(tenant=tenant)
    for field in SUBSCRIPTION_FIELDS:
        if field in data:
            setattr(subscription, field, data[field])
    if subscription.index is None:
        subscription.index = Decimal("100")
    _subscription_check(tenant, subscription)
    subscription.number = sequence_next_number(tenant=tenant, key="subscription")
    subscription.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="subscription.create",
        target=subscription,
        params={"record": str(subscription)},
    )
    return subscription


@transaction.atomic
def subscription_update(
    *, tenant: Tenant, by: User | None, subscription_id: int, data: dict
) -> Subscription:
    subscription = _lock(tenant, subscription_id)
    before = audit_snapshot(subscription, SUBSCRIPTION_FIELDS)
    billed = subscription.fees.exists()
    for field in SUBSCRIPTION_FIELDS:
        if field not in data:
            continue
        frozen = ("customer", "group", "currency", "start_date")
        if billed and field in frozen and data[field] != getattr(subscription, field):
            raise ValidationError(
                {field: _("The subscription has been billed: this can no longer change.")}
            )
        setattr(subscription, field, data[field])
    _subscription_check(tenant, subscription)
    if subscription.state == SubscriptionState.ACTIVE and not billed:
        _schedule_from(subscription, subscription.start_date)
    subscription.save()
    changes = audit_changes(before, audit_snapshot(subscription, SUBSCRIPTION_FIELDS))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action="subscription.update",
            target=subscription,
            params={"record": str(subscription), "fields": list(changes)},
            changes=changes,
        )
    return subscription


def _lock(tenant: Tenant, subscription_id: int) -> Subscription:
    return (
        Subscription.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("group", "customer", "agreement")
        .get(pk=subscription_id)
    )


_REFUSED = {
    "activate": _("Only a draft subscription can be activated; this one is %(state)s."),
    "pause": _("Only an active subscription can be paused; this one is %(state)s."),
    "resume": _("Only a paused subscription can be resumed; this one is %(state)s."),
    "cancel": _("This subscription is %(state)s and can no longer be cancelled."),
}


def _lock_for(tenant: Tenant, subscription_id: int, transition: str) -> Subscription:
    subscription = _lock(tenant, subscription_id)
    if not can_proceed(getattr(subscription, transition)):
        raise TransitionRefused(
            subscription,
            str(_REFUSED[transition]) % {"state": subscription.get_state_display().lower()},
        )
    return subscription


def _apply(tenant, by, subscription, transition: str, fields=(), **extra) -> Subscription:
    before = subscription.state
    getattr(subscription, transition)()
    subscription.save(update_fields=["state", *fields])
    audit_record(
        tenant=tenant,
        actor=by,
        action=f"subscription.{transition}",
        target=subscription,
        params={"number": subscription.number},
        changes={"state": [before, subscription.state], **extra},
    )
    return subscription


def _schedule_from(subscription: Subscription, day: datetime.date) -> None:
    """Bill from the period that contains ``day``."""
    period = period_of(subscription.group.period, day)
    subscription.next_period_start = period[0]
    subscription.next_due_on = due_on(subscription.group.timing, period)


@transaction.atomic
def subscription_activate(*, tenant: Tenant, subscription_id: int, by: User | None):
    subscription = _lock_for(tenant, subscription_id, "activate")
    if subscription.end_date and subscription.end_date < subscription.start_date:
        raise TransitionRefused(subscription, _("The end date cannot be before the start date."))
    _schedule_from(subscription, subscription.start_date)
    return _apply(tenant, by, subscription, "activate", fields=("next_period_start", "next_due_on"))


@transaction.atomic
def subscription_pause(
    *, tenant: Tenant, subscription_id: int, by: User | None, on: datetime.date | None = None
):
    """Pause from ``on`` (default today): the run bills nothing while paused; the days until
    it resumes are left out of every period's fee."""
    subscription = _lock_for(tenant, subscription_id, "pause")
    subscription.paused_from = on or tenant.today()
    return _apply(
        tenant,
        by,
        subscription,
        "pause",
        fields=("paused_from",),
        paused_from=subscription.paused_from.isoformat(),
    )


@transaction.atomic
def subscription_resume(
    *, tenant: Tenant, subscription_id: int, by: User | None, on: datetime.date | None = None
):
    subscription = _lock_for(tenant, subscription_id, "resume")
    resume_on = on or tenant.today()
    paused_from = subscription.paused_from or resume_on
    if resume_on > paused_from:
        SubscriptionPause.objects.create(
            tenant=tenant,
            subscription=subscription,
            start_date=paused_from,
            end_date=resume_on - datetime.timedelta(days=1),
        )
    subscription.paused_from = None
    return _apply(tenant, by, subscription, "resume", fields=("paused_from",))


@transaction.atomic
def subscription_cancel(
    *,
    tenant: Tenant,
    subscription_id: int,
    by: User | None,
    at_period_end: bool,
):
    """Cancel now (nothing more is billed), or at the end of the current period (billed through
    that period, then cancelled by the billing run)."""
    subscription = _lock_for(tenant, subscription_id, "cancel")
    if at_period_end:
        if subscription.state == SubscriptionState.DRAFT:
            raise TransitionRefused(
                subscription, _("A draft subscription is cancelled at once, not at period end.")
            )
        period_end = period_of(subscription.group.period, tenant.today())[1]
        if subscription.end_date is None or subscription.end_date > period_end:
            subscription.end_date = period_end
        subscription.cancel_at_period_end = True
        subscription.save(update_fields=["end_date", "cancel_at_period_end"])
        audit_record(
            tenant=tenant,
            actor=by,
            action="subscription.cancel_at_period_end",
            target=subscription,
            params={"number": subscription.number, "date": subscription.end_date.isoformat()},
        )
        return subscription
    return _apply(tenant, by, subscription, "cancel")


# --- Reductions and one-off fees ----------------------------------------------------------------


@transaction.atomic
def reduction_add(
    *, tenant: Tenant, subscription_id: int, by: User | None, data: dict
) -> Reduction:
    subscription = _lock(tenant, subscription_id)
    reduction = Reduction(tenant=tenant, subscription=subscription)
    for field in ("kind", "start_date", "end_date", "amount", "reason"):
        setattr(reduction, field, data.get(field))
    reduction.reason = reduction.reason or ""
    errors: dict = {}
    if reduction.start_date and reduction.end_date and reduction.end_date < reduction.start_date:
        errors["end_date"] = _("The end date cannot be before the start date.")
    elif reduction.start_date and reduction.start_date < subscription.start_date:
        errors["start_date"] = _("The subscription starts on %(date)s.") % {
            "date": formats.date_format(subscription.start_date, "SHORT_DATE_FORMAT")
        }
    if reduction.kind == ReductionKind.AMOUNT:
        if reduction.amount is None or reduction.amount <= 0:
            errors["amount"] = _("Enter the amount that comes off each period.")
        elif not errors and reduction.start_date:
            fee = _fee_for(tenant, subscription, reduction.start_date)
            if fee is not None and reduction.amount > fee:
                errors["amount"] = _(
                    "The reduction is larger than the fee (%(fee)s %(currency)s a period)."
                ) % {"fee": fee, "currency": subscription.currency}
    else:
        reduction.amount = None
        period = period_of(subscription.group.period, reduction.start_date or tenant.today())
        if reduction.end_date and reduction.end_date > period[1]:
            errors["end_date"] = _(
                "Reduction days stay within one invoicing period (until %(date)s); add another "
                "reduction for the next period."
            ) % {"date": formats.date_format(period[1], "SHORT_DATE_FORMAT")}
    if errors:
        raise ValidationError(errors)
    _full_clean(reduction, exclude=("tenant", "subscription"))
    reduction.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="subscription.reduction_add",
        target=subscription,
        params={
            "number": subscription.number,
            "start": reduction.start_date.isoformat(),
            "end": reduction.end_date.isoformat(),
        },
    )
    return reduction


def _fee_for(tenant: Tenant, subscription: Subscription, day: datetime.date) -> Decimal | None:
    """The full fee of the period containing ``day``, or None when it has no price yet."""
    from ..selectors import price_rows

    try:
        base = pricing.base_price(subscription, price_rows(tenant=tenant), day)
    except ValidationError:
        return None
    from ..periods import indexed_price

    return indexed_price(base, subscription.index, subscription.currency)


@transaction.atomic
def one_off_add(*, tenant: Tenant, subscription_id: int, by: User | None, data: dict) -> OneOffFee:
    subscription = _lock(tenant, subscription_id)
    fee = OneOffFee(
        tenant=tenant,
        subscription=subscription,
        description=data.get("description") or "",
        charge_on=data.get("charge_on"),
        amount=data.get("amount"),
    )
    if fee.amount is not None and fee.amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    _full_clean(fee, exclude=("tenant", "subscription"))
    fee.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="subscription.one_off_add",
        target=subscription,
        params={"number": subscription.number, "description": fee.description},
    )
    return fee


# --- Indexation ---------------------------------------------------------------------------------


class IndexMode:
    RAISE = "raise"
    SET = "set"


@dataclass(frozen=True)
class IndexChange:
    subscription: Subscription
    old_index: Decimal
    new_index: Decimal
    old_price: Decimal | None
    new_price: Decimal | None


def _new_index(old: Decimal, mode: str, value: Decimal) -> Decimal:
    new = old * (Decimal(100) + value) / Decimal(100) if mode == IndexMode.RAISE else value
    return new.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_index(mode: str, value: Decimal | None) -> None:
    if value is None:
        raise ValidationError({"value": _("Enter the percentage or the new index.")})
    if mode == IndexMode.SET and value <= 0:
        raise ValidationError({"value": _("The index must be above zero (100 is the base price).")})
    if mode == IndexMode.RAISE and value <= -100:
        raise ValidationError(
            {"value": _("Lowering the index by 100 percent or more would make it zero.")}
        )


def index_preview(
    *, tenant: Tenant, subscriptions, mode: str, value: Decimal | None
) -> list[IndexChange]:
    """What an indexation would change: each subscription's index and price before and after."""
    from ..selectors import price_rows

    _check_index(mode, value)
    rows = price_rows(tenant=tenant)
    today = tenant.today()
    changes = []
    for subscription in subscriptions:
        new = _new_index(subscription.index, mode, value)
        try:
            base = pricing.base_price(subscription, rows, today)
        except ValidationError:
            base = None
        old_price = new_price = None
        if base is not None:
            old_price = pricing.indexed_price(base, subscription.index, subscription.currency)
            new_price = pricing.indexed_price(base, new, subscription.currency)
        changes.append(IndexChange(subscription, subscription.index, new, old_price, new_price))
    return changes


@transaction.atomic
def index_apply(
    *, tenant: Tenant, by: User | None, subscription_ids, mode: str, value: Decimal | None
) -> int:
    """Raise the index by a percentage, or set it; returns how many subscriptions changed.
    Fees billed from now on use the new index; fees billed already stay as they are."""
    _check_index(mode, value)
    locked = (
        Subscription.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .filter(pk__in=list(subscription_ids))
        .exclude(state__in=[SubscriptionState.ENDED, SubscriptionState.CANCELLED])
        .order_by("pk")
    )
    count = 0
    for subscription in locked:
        new = _new_index(subscription.index, mode, value)
        if new <= 0:
            raise ValidationError({"value": _("The index must be above zero.")})
        if new == subscription.index:
            continue
        audit_record(
            tenant=tenant,
            actor=by,
            action="subscription.index",
            target=subscription,
            params={"number": subscription.number, "old": str(subscription.index), "new": str(new)},
        )
        subscription.index = new
        subscription.save(update_fields=["index"])
        count += 1
    return count
