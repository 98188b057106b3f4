"""Django admin for platform admins: every subscriptions model, scoped through TenantOwnedAdmin.
States and fees change only through the services (transitions, the billing run)."""

from django.contrib import admin

from tenancy.admin import TenantOwnedAdmin

from .models import (
    AccrualEntry,
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


@admin.register(SubscriptionGroup)
class SubscriptionGroupAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "period", "timing", "accrue")
    list_filter = ("tenant", "period", "timing", "accrue")
    search_fields = ("code", "name")


@admin.register(PriceListRow)
class PriceListRowAdmin(TenantOwnedAdmin):
    list_display = ("period", "currency", "valid_from", "price", "group", "item")
    list_filter = ("tenant", "period", "currency")
    raw_id_fields = ("subscription", "agreement", "item", "group")


@admin.register(Subscription)
class SubscriptionAdmin(TenantOwnedAdmin):
    list_display = ("number", "description", "customer", "state", "next_due_on")
    list_filter = ("tenant", "state")
    search_fields = ("number", "description", "customer__name")
    readonly_fields = ("state", "next_period_start", "next_due_on")
    raw_id_fields = ("customer", "agreement", "group", "item")


@admin.register(SubscriptionPause)
class SubscriptionPauseAdmin(TenantOwnedAdmin):
    list_display = ("subscription", "start_date", "end_date")
    raw_id_fields = ("subscription",)


@admin.register(Reduction)
class ReductionAdmin(TenantOwnedAdmin):
    list_display = ("subscription", "kind", "start_date", "end_date", "amount")
    raw_id_fields = ("subscription",)


@admin.register(OneOffFee)
class OneOffFeeAdmin(TenantOwnedAdmin):
    list_display = ("subscription", "description", "charge_on", "amount")
    raw_id_fields = ("subscription",)


@admin.register(Fee)
class FeeAdmin(TenantOwnedAdmin):
    list_display = ("subscription", "kind", "period_start", "amount", "currency", "invoice_id")
    list_filter = ("tenant", "kind")
    raw_id_fields = ("subscription", "one_off", "run")


@admin.register(BillingRun)
class BillingRunAdmin(TenantOwnedAdmin):
    list_display = ("started_at", "trigger", "through", "fees_created", "subscriptions_failed")
    list_filter = ("tenant", "trigger")
    raw_id_fields = ("requested_by",)


@admin.register(BillingError)
class BillingErrorAdmin(TenantOwnedAdmin):
    list_display = ("created_at", "subscription", "message")
    raw_id_fields = ("run", "subscription")


@admin.register(AccrualEntry)
class AccrualEntryAdmin(TenantOwnedAdmin):
    list_display = ("fee", "month", "amount", "currency", "posted_at", "reversed_at")
    raw_id_fields = ("fee",)
