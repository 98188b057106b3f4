"""Posting service orders to invoices.

An order can be posted when its stage allows it (``OrderStage.can_post``) and, where the tenant's
invoicing settings say so, once the customer has signed off. Posting puts the order's not yet
posted lines (of the chosen kinds) on the customer's draft invoice through
``invoicing.services.add_to_draft_invoice`` and marks them posted, so the order's progress
becomes "posted" once every live line is. Posting several orders posts each in a savepoint of
its own: a failing order rolls back alone and is reported with its reason.

When a draft is cancelled or a posted line taken off it, invoicing tells us through its release
hook (registered in service_orders.registrations) and the lines become postable again.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Exists, OuterRef, Q
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from invoicing import selectors as invoicing_selectors
from invoicing.services import DraftLine, add_to_draft_invoice
from tenancy.models import Tenant, User
from tenancy.services import audit_record

from ..models import LineStatus, OrderState, ServiceOrder, ServiceOrderLine

SOURCE = "service_order_line"


@dataclass
class PostingResult:
    posted: list[tuple[ServiceOrder, int]] = field(default_factory=list)  # (order, invoice id)
    failed: list[tuple[ServiceOrder, str]] = field(default_factory=list)  # (order, reason)


def _order_currency(tenant: Tenant, order: ServiceOrder) -> str:
    if order.agreement_id and order.agreement.currency:
        return order.agreement.currency
    return tenant.currency


def _refusal(tenant: Tenant, order: ServiceOrder) -> str | None:
    """Why the order cannot be posted as it is now (None: it can)."""
    if order.state in (OrderState.CANCELLED, OrderState.POSTED):
        return _("The order is %(state)s.") % {"state": order.get_state_display().lower()}
    if order.stage_id is None or not order.stage.can_post:
        stage = order.stage.name if order.stage_id else "—"
        return _("Orders at the stage %(stage)s cannot be posted.") % {"stage": stage}
    if invoicing_selectors.posting_requires_signoff(tenant=tenant) and order.signed_off_at is None:
        return _("The customer has to sign off before the order is posted.")
    return None


def _line_text(order: ServiceOrder, line: ServiceOrderLine) -> str:
    what = line.description or (line.task.name if line.task_id else order.description)
    return f"{order.number}: {what}"[:200]


@transaction.atomic
def order_post(
    *, tenant: Tenant, by: User | None, order_id: int, kinds: list[str] | None = None
) -> int:
    """Post one order's lines (of ``kinds``; all kinds when None) to the customer's draft
    invoice; returns the invoice's id. ValidationError (nothing saved) when the stage does not
    allow posting, the sign-off is missing, or nothing is left to post."""
    order = (
        ServiceOrder.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("stage", "customer", "agreement")
        .get(pk=order_id)
    )
    refusal = _refusal(tenant, order)
    if refusal:
        raise ValidationError(refusal)
    lines = ServiceOrderLine.objects.for_tenant(tenant).filter(
        order=order, status=LineStatus.CREATED
    )
    if kinds:
        lines = lines.filter(kind__in=kinds)
    lines = list(lines.select_for_update(of=("self",)).select_related("task").order_by("id"))
    if not lines:
        raise ValidationError(_("The order has no lines left to post."))
    draft = add_to_draft_invoice(
        tenant=tenant,
        customer=order.customer,
        currency=_order_currency(tenant, order),
        lines=[
            DraftLine(
                description=_line_text(order, line),
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
                source=SOURCE,
                source_id=line.pk,
                item=line.item,
                kind=line.kind,
                service_object=line.service_object,
                task=line.task,
            )
            for line in lines
        ],
        by=by,
    )
    ServiceOrderLine.objects.for_tenant(tenant).filter(pk__in=[line.pk for line in lines]).update(
        status=LineStatus.POSTED
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="order.post",
        target=order,
        params={"number": order.number, "count": len(lines)},
    )
    return draft.pk


def orders_post(
    *, tenant: Tenant, by: User | None, order_ids, kinds: list[str] | None = None
) -> PostingResult:
    """Post several orders, each in its own savepoint: one that fails is rolled back alone and
    reported with its reason; the others stay posted."""
    result = PostingResult()
    for order_id in order_ids:
        try:
            with transaction.atomic():
                invoice_id = order_post(tenant=tenant, by=by, order_id=order_id, kinds=kinds)
        except ValidationError as exc:
            order = ServiceOrder.objects.for_tenant(tenant).get(pk=order_id)
            result.failed.append((order, " ".join(exc.messages)))
        else:
            order = ServiceOrder.objects.for_tenant(tenant).get(pk=order_id)
            result.posted.append((order, invoice_id))
    return result


def postable_orders(
    *,
    tenant: Tenant,
    agreement_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    kinds: list[str] | None = None,
):
    """Orders at a stage that allows posting with lines (of ``kinds``) not yet posted; of one
    agreement, and/or by their date (preferred, else calculated, else created) in a range."""
    open_lines = ServiceOrderLine.objects.filter(
        tenant=OuterRef("tenant"), order=OuterRef("pk"), status=LineStatus.CREATED
    )
    if kinds:
        open_lines = open_lines.filter(kind__in=kinds)
    qs = (
        ServiceOrder.objects.for_tenant(tenant)
        .filter(stage__can_post=True)
        .exclude(state__in=[OrderState.CANCELLED, OrderState.POSTED])
        .filter(Exists(open_lines))
        .annotate(
            order_date=Coalesce(
                "preferred_date", "calculated_date", Cast("created_at", DateField())
            )
        )
        .select_related("customer", "stage")
    )
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    if date_from:
        qs = qs.filter(order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order_date__lte=date_to)
    if invoicing_selectors.posting_requires_signoff(tenant=tenant):
        qs = qs.filter(~Q(signed_off_at=None))
    return qs.order_by("order_date", "id")


def release_posted_lines(*, tenant: Tenant, source_ids: list[int]) -> None:
    """Invoicing's release hook: lines taken off a draft (or of a cancelled draft) can be
    posted again."""
    ServiceOrderLine.objects.for_tenant(tenant).filter(
        pk__in=source_ids, status=LineStatus.POSTED
    ).update(status=LineStatus.CREATED)
