"""Every read of subscriptions; the tenant is required and always applied."""

from django.db.models import Q, QuerySet

from tenancy.models import Tenant

from .models import (
    BillingError,
    BillingRun,
    Fee,
    OneOffFee,
    PriceListRow,
    Reduction,
    Subscription,
    SubscriptionGroup,
    SubscriptionPause,
)


def group_list(*, tenant: Tenant, search: str = "") -> QuerySet:
    groups = SubscriptionGroup.objects.for_tenant(tenant)
    if search:
        groups = groups.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return groups


def group_get(*, tenant: Tenant, pk: int) -> SubscriptionGroup:
    return SubscriptionGroup.objects.for_tenant(tenant).get(pk=pk)


def group_choices(*, tenant: Tenant) -> QuerySet:
    return SubscriptionGroup.objects.for_tenant(tenant).order_by("code")


def price_rows(*, tenant: Tenant) -> list[PriceListRow]:
    """The whole price list (small: a row per price and valid-from), for price resolution."""
    return list(PriceListRow.objects.for_tenant(tenant))


def price_list(*, tenant: Tenant) -> QuerySet:
    return PriceListRow.objects.for_tenant(tenant).select_related(
        "subscription", "agreement", "item", "group"
    )


def price_get(*, tenant: Tenant, pk: int) -> PriceListRow:
    return PriceListRow.objects.for_tenant(tenant).get(pk=pk)


def subscription_list(*, tenant: Tenant, filters: dict | None = None) -> QuerySet:
    filters = filters or {}
    subscriptions = Subscription.objects.for_tenant(tenant).select_related("customer", "group")
    if search := filters.get("q"):
        subscriptions = subscriptions.filter(
            Q(number__icontains=search)
            | Q(description__icontains=search)
            | Q(customer__name__icontains=search)
        )
    if state := filters.get("state"):
        subscriptions = subscriptions.filter(state=state)
    if group := filters.get("group"):
        subscriptions = subscriptions.filter(group=group)
    if customer := filters.get("customer"):
        subscriptions = subscriptions.filter(customer=customer)
    return subscriptions


def subscription_get(*, tenant: Tenant, pk: int) -> Subscription:
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("customer", "agreement", "group", "item")
        .get(pk=pk)
    )


def subscription_fees(*, tenant: Tenant, subscription: Subscription) -> QuerySet:
    return Fee.objects.for_tenant(tenant).filter(subscription=subscription)


def subscription_reductions(*, tenant: Tenant, subscription: Subscription) -> QuerySet:
    return Reduction.objects.for_tenant(tenant).filter(subscription=subscription)


def subscription_one_offs(*, tenant: Tenant, subscription: Subscription) -> QuerySet:
    billed = Fee.objects.for_tenant(tenant).filter(one_off__isnull=False).values("one_off")
    return (
        OneOffFee.objects.for_tenant(tenant)
        .filter(subscription=subscription)
        .annotate(billed=Q(pk__in=billed))
    )


def subscription_pauses(*, tenant: Tenant, subscription: Subscription) -> QuerySet:
    return SubscriptionPause.objects.for_tenant(tenant).filter(subscription=subscription)


def customer_subscriptions(*, tenant: Tenant, customer) -> QuerySet:
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(customer=customer)
        .select_related("group")
        .order_by("-start_date")
    )


def run_list(*, tenant: Tenant) -> QuerySet:
    return BillingRun.objects.for_tenant(tenant).select_related("requested_by")


def run_get(*, tenant: Tenant, pk: int) -> BillingRun:
    return BillingRun.objects.for_tenant(tenant).select_related("requested_by").get(pk=pk)


def run_errors(*, tenant: Tenant, run: BillingRun) -> QuerySet:
    return (
        BillingError.objects.for_tenant(tenant)
        .filter(run=run)
        .select_related("subscription", "subscription__customer")
        .order_by("subscription__number", "id")
    )


def run_fees(*, tenant: Tenant, run: BillingRun) -> QuerySet:
    return (
        Fee.objects.for_tenant(tenant)
        .filter(run=run)
        .select_related("subscription", "subscription__customer")
        .order_by("subscription__number", "period_start", "id")
    )
