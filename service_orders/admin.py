from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tenancy.admin import TenantOwnedAdmin
from tenancy.models import TenantOwned

from .models import (
    ClockEvent,
    CoverageCancellation,
    DeletedOccurrence,
    Escalation,
    EscalationFailure,
    GenerationError,
    GenerationNotice,
    GenerationRun,
    OrderClock,
    OrderGenerationSettings,
    OrderPhoto,
    OrderSignOff,
    OrderStage,
    ReasonCode,
    ServiceOrder,
    ServiceOrderLine,
    ServiceOrderObject,
    ServiceOrderTask,
    StageLog,
    WebRequest,
    WebRequestPhoto,
)


class ServiceOrderLineFormSet(forms.BaseInlineFormSet):
    """New lines belong to their order's tenant, and so must everything a line references."""

    def clean(self):
        super().clean()
        tenant_id = self.instance.tenant_id
        for form in self.forms:
            for name, value in list(getattr(form, "cleaned_data", {}).items()):
                if isinstance(value, TenantOwned) and tenant_id and value.tenant_id != tenant_id:
                    form.add_error(name, _("Belongs to another tenant."))

    def save_new(self, form, commit=True):
        form.instance.tenant_id = self.instance.tenant_id
        return super().save_new(form, commit=commit)


class ServiceOrderLineInline(admin.TabularInline):
    model = ServiceOrderLine
    formset = ServiceOrderLineFormSet
    extra = 0
    fields = (
        "kind",
        "description",
        "service_object",
        "task",
        "item",
        "technician",
        "quantity",
        "unit_price",
        "cost_price",
        "status",
        "calculated_date",
    )
    raw_id_fields = ("service_object", "task", "item", "technician")
    readonly_fields = ("calculated_date",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(TenantOwnedAdmin):
    list_display = ("number", "customer", "agreement", "preferred_date", "state", "priority")
    list_filter = ("tenant", "state", "priority", "origin", "calendar_conflict")
    search_fields = ("number", "description", "customer__name")
    list_select_related = ("tenant", "customer", "agreement")
    raw_id_fields = (
        "customer",
        "agreement",
        "site",
        "contact",
        "responsible",
        "preferred_technician",
        "assigned_technician",
        "stage",
        "created_by",
    )
    readonly_fields = ("state", "calculated_date", "created_at")
    inlines = [ServiceOrderLineInline]

    def get_inlines(self, request, obj):
        # Lines are added once the order exists (they take its tenant).
        return self.inlines if obj is not None else []


@admin.register(ServiceOrderLine)
class ServiceOrderLineAdmin(TenantOwnedAdmin):
    list_display = ("order", "kind", "description", "quantity", "unit_price", "status")
    list_filter = ("tenant", "kind", "status")
    search_fields = ("order__number", "description")
    list_select_related = ("tenant", "order")
    raw_id_fields = ("order", "service_object", "task", "item", "technician", "agreement_line")
    readonly_fields = ("calculated_date",)


@admin.register(GenerationRun)
class GenerationRunAdmin(TenantOwnedAdmin):
    list_display = (
        "started_at",
        "trigger",
        "period_start",
        "period_end",
        "finished_at",
        "orders_created",
        "occurrences_skipped",
        "agreements_failed",
    )
    list_filter = ("tenant", "trigger")
    raw_id_fields = ("requested_by",)


@admin.register(GenerationError)
class GenerationErrorAdmin(TenantOwnedAdmin):
    list_display = ("created_at", "agreement", "period_start", "period_end", "resolved_at")
    search_fields = ("agreement__number", "message")
    raw_id_fields = ("run", "agreement")
    list_select_related = ("agreement",)


@admin.register(GenerationNotice)
class GenerationNoticeAdmin(TenantOwnedAdmin):
    list_display = ("run", "agreement", "kind", "day", "order")
    list_filter = ("kind",)
    raw_id_fields = ("run", "agreement", "agreement_line", "order")
    list_select_related = ("agreement", "order", "run")


@admin.register(ServiceOrderObject)
class ServiceOrderObjectAdmin(TenantOwnedAdmin):
    list_display = ("order", "service_object")
    raw_id_fields = ("order", "service_object")
    list_select_related = ("order", "service_object")


@admin.register(ServiceOrderTask)
class ServiceOrderTaskAdmin(TenantOwnedAdmin):
    list_display = ("order", "task", "internal_note", "customer_note")
    raw_id_fields = ("order", "task")
    list_select_related = ("order", "task")


@admin.register(OrderGenerationSettings)
class OrderGenerationSettingsAdmin(TenantOwnedAdmin):
    list_display = ("tenant", "horizon_days")


class _ReadOnlyAdmin(TenantOwnedAdmin):
    """Records of what happened on site: shown, never added or changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrderPhoto)
class OrderPhotoAdmin(_ReadOnlyAdmin):
    list_display = ("order", "original_name", "content_type", "size", "uploaded_at")
    search_fields = ("order__number", "original_name")
    list_select_related = ("tenant", "order")
    raw_id_fields = ("order", "uploaded_by")


@admin.register(OrderSignOff)
class OrderSignOffAdmin(_ReadOnlyAdmin):
    """A signed work receipt stays as it was signed: no change, no deletion."""

    list_display = ("order", "signer_name", "signed_at", "technician", "language")
    search_fields = ("order__number", "signer_name")
    list_select_related = ("tenant", "order", "technician")
    exclude = ("signature_png", "receipt_pdf")
    raw_id_fields = ("order", "technician")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderStage)
class OrderStageAdmin(TenantOwnedAdmin):
    """The stage tree is configured on its own page (rules checked by the service); the admin
    shows it."""

    list_display = ("name", "code", "state", "parent", "is_initial", "position")
    list_filter = ("tenant", "state")
    search_fields = ("name", "code")
    list_select_related = ("tenant", "parent")
    raw_id_fields = ("parent",)
    readonly_fields = ("is_initial",)


@admin.register(ReasonCode)
class ReasonCodeAdmin(TenantOwnedAdmin):
    list_display = ("name", "code", "stage")
    search_fields = ("name", "code")
    list_select_related = ("tenant", "stage")
    raw_id_fields = ("stage",)


@admin.register(StageLog)
class StageLogAdmin(_ReadOnlyAdmin):
    list_display = ("order", "kind", "from_stage", "to_stage", "by", "at")
    list_filter = ("tenant", "kind")
    search_fields = ("order__number", "reason_text")
    list_select_related = ("tenant", "order", "from_stage", "to_stage", "by")
    raw_id_fields = ("order", "from_stage", "to_stage", "reason_code", "by")


@admin.register(DeletedOccurrence)
class DeletedOccurrenceAdmin(_ReadOnlyAdmin):
    list_display = ("order_number", "agreement_line", "calculated_date", "deleted_by", "deleted_at")
    search_fields = ("order_number",)
    raw_id_fields = ("agreement_line", "deleted_by")


@admin.register(WebRequest)
class WebRequestAdmin(_ReadOnlyAdmin):
    """Submitted in the portal or from the field, decided on the request page (services)."""

    list_display = ("number", "customer", "state", "submitted_by", "submitted_at", "order")
    list_filter = ("tenant", "state")
    search_fields = ("number", "description", "customer__name")
    list_select_related = ("tenant", "customer", "submitted_by", "order")
    raw_id_fields = (
        "customer",
        "site",
        "service_object",
        "contact",
        "submitted_by",
        "order",
        "decided_by",
    )


@admin.register(WebRequestPhoto)
class WebRequestPhotoAdmin(_ReadOnlyAdmin):
    list_display = ("request", "original_name", "content_type", "size", "uploaded_at")
    list_select_related = ("tenant", "request")
    raw_id_fields = ("request",)


@admin.register(CoverageCancellation)
class CoverageCancellationAdmin(_ReadOnlyAdmin):
    list_display = (
        "order",
        "calculated_date",
        "cause",
        "whole_order",
        "cancelled_at",
        "restored_at",
    )
    list_filter = ("cause", "whole_order")
    raw_id_fields = ("order", "line", "agreement", "agreement_line", "suspension")


@admin.register(OrderClock)
class OrderClockAdmin(_ReadOnlyAdmin):
    """The SLA clocks: kept by the clock service (stage moves, manual actions, recompute)."""

    list_display = ("order", "sla", "status", "started_at", "resolution_due", "next_escalation_at")
    list_filter = ("tenant", "status")
    search_fields = ("order__number",)
    list_select_related = ("tenant", "order", "sla")
    raw_id_fields = ("order", "sla", "calendar")


@admin.register(ClockEvent)
class ClockEventAdmin(_ReadOnlyAdmin):
    list_display = ("clock", "kind", "by", "at")
    list_filter = ("tenant", "kind")
    list_select_related = ("tenant", "clock", "by")
    raw_id_fields = ("clock", "by")


@admin.register(Escalation)
class EscalationAdmin(_ReadOnlyAdmin):
    list_display = ("order", "percent", "reached_at", "escalated_at", "notified")
    list_filter = ("tenant", "percent")
    search_fields = ("order__number",)
    list_select_related = ("tenant", "order")
    raw_id_fields = ("clock", "order")


@admin.register(EscalationFailure)
class EscalationFailureAdmin(_ReadOnlyAdmin):
    list_display = ("clock", "percent", "failed_at", "error")
    list_filter = ("tenant",)
    list_select_related = ("tenant", "clock")
    raw_id_fields = ("clock",)
