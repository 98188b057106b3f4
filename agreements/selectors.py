"""Reads for agreement groups, template groups, agreements and their lines.

Every function takes the tenant and applies it; lookups by id raise ``DoesNotExist`` for another
tenant's record exactly as for a missing one (the views turn that into 404).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers import selectors as customer_selectors
from customers.models import Customer, ServiceObject, ServiceTask
from tenancy import selectors as tenancy_selectors
from tenancy.models import Tenant
from tenancy.roles import Capability

from . import recurrence
from .capabilities import MANAGE_AGREEMENTS
from .models import (
    Agreement,
    AgreementLine,
    AgreementObject,
    AgreementRate,
    AgreementState,
    AgreementSuspension,
    AgreementTask,
    IntervalUnit,
    TemplateGroup,
    TimeWindow,
)
from .rates import AgreementRates, Rate

# --- People ------------------------------------------------------------------------------------


def responsible_manager_choices(*, tenant: Tenant) -> QuerySet:
    """People who may be responsible for an agreement: the tenant's members who manage them."""
    return tenancy_selectors.member_users_with(tenant=tenant, capability=MANAGE_AGREEMENTS)


def technician_choices(*, tenant: Tenant) -> QuerySet:
    """The tenant's technicians (members whose role works on orders)."""
    return tenancy_selectors.member_users_with(tenant=tenant, capability=Capability.WORK_ORDERS)


# --- Reference data for forms ----------------------------------------------------------------


# Choices from the apps below, through their selectors (forms import only this module).
sla_choices = customer_selectors.sla_choices
customer_choices = customer_selectors.customer_choices
item_choices = customer_selectors.item_choices
agreement_group_list = customer_selectors.agreement_group_list


service_object_choices = customer_selectors.service_object_choices
service_task_choices = customer_selectors.task_choices
object_group_choices = customer_selectors.object_group_choices
agreement_group_get = customer_selectors.agreement_group_get


def contact_choices(*, tenant: Tenant) -> QuerySet:
    """Every contact of the tenant (a form's accepted values; the service checks the customer)."""
    return customer_selectors.contact_choices(tenant=tenant)


def customer_contacts(*, tenant: Tenant, customer_id: int, keep: int | None = None) -> QuerySet:
    return customer_selectors.customer_contacts(tenant=tenant, customer=customer_id, keep=keep)


def customer_sites(*, tenant: Tenant, customer_id: int | None) -> QuerySet:
    return customer_selectors.customer_sites(tenant=tenant, customer=customer_id)


# --- Template groups ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    group: TemplateGroup
    depth: int


def template_group_tree(*, tenant: Tenant) -> list[TreeRow]:
    """Every template group of the tenant in tree order (parents before their children, siblings
    by name), each with its depth. One query; a damaged cycle is shown once and not followed."""
    groups = list(
        TemplateGroup.objects.for_tenant(tenant)
        .annotate(template_count=Count("templates"))
        .order_by("name", "pk")
    )
    children: dict[int | None, list[TemplateGroup]] = {}
    for group in groups:
        children.setdefault(group.parent_id, []).append(group)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for group in children.get(parent_id, []):
            if group.pk in seen:
                continue
            seen.add(group.pk)
            rows.append(TreeRow(group, depth))
            walk(group.pk, depth + 1)

    walk(None, 0)
    # Groups whose parent is missing from the list (cannot happen with intact data) go last.
    rows.extend(TreeRow(group, 0) for group in groups if group.pk not in seen)
    return rows


def template_group_get(*, tenant: Tenant, pk: int) -> TemplateGroup:
    return TemplateGroup.objects.for_tenant(tenant).get(pk=pk)


def template_group_descendant_ids(*, tenant: Tenant, group_id: int) -> set[int]:
    """The ids of a group's children, grandchildren and so on (not the group itself)."""
    parents = dict(TemplateGroup.objects.for_tenant(tenant).values_list("pk", "parent_id"))
    found: set[int] = set()
    frontier = {group_id}
    while frontier:
        frontier = {pk for pk, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


# --- Agreements --------------------------------------------------------------------------------

EDITABLE_STATES = (AgreementState.DRAFT, AgreementState.ACTIVE, AgreementState.SUSPENDED)


def agreement_list(
    *,
    tenant: Tenant,
    search: str = "",
    state: str = "",
    customer_id: int | None = None,
    group_id: int | None = None,
    templates: str = "",
    ends_from: datetime.date | None = None,
    ends_to: datetime.date | None = None,
) -> QuerySet:
    """``templates``: "only" for templates, "exclude" for real agreements, "" for both;
    ``ends_from``/``ends_to``: the end date within those days."""
    qs = Agreement.objects.for_tenant(tenant).select_related("customer", "group")
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(description__icontains=search))
    if state:
        qs = qs.filter(state=state)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if group_id:
        qs = qs.filter(group_id=group_id)
    if templates == "only":
        qs = qs.filter(is_template=True)
    elif templates == "exclude":
        qs = qs.filter(is_template=False)
    if ends_from:
        qs = qs.filter(end_date__gte=ends_from)
    if ends_to:
        qs = qs.filter(end_date__lte=ends_to)
    return qs


# What an agreement's header shows (its page, its forms), fetched with it.
AGREEMENT_HEADER = (
    "customer",
    "contact",
    "group",
    "sla",
    "responsible",
    "preferred_technician",
    "template_group",
    "created_from",
    "renewed_from",
)


def agreement_search(*, tenant: Tenant, text: str) -> QuerySet:
    """Real (non-template) agreements whose number, description or customer's name has every
    typed word (the agreement picker), by number."""
    qs = Agreement.objects.for_tenant(tenant).filter(is_template=False)
    for word in text.split()[:5]:
        qs = qs.filter(
            Q(number__icontains=word)
            | Q(description__icontains=word)
            | Q(customer__name__icontains=word)
        )
    return qs.order_by("number", "pk")


def agreement_get(*, tenant: Tenant, pk: int) -> Agreement:
    return Agreement.objects.for_tenant(tenant).select_related(*AGREEMENT_HEADER).get(pk=pk)


def agreement_detail(*, tenant: Tenant, pk: int) -> Agreement:
    """An agreement with everything its page shows, in a fixed number of queries."""
    agreement = (
        Agreement.objects.for_tenant(tenant)
        .select_related(*AGREEMENT_HEADER)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=AgreementLine.objects.for_tenant(tenant).select_related(
                    "service_object", "task", "item", "technician"
                ),
            ),
            Prefetch(
                "object_links",
                queryset=AgreementObject.objects.for_tenant(tenant)
                .select_related("service_object", "service_object__site")
                .order_by("service_object__number"),
            ),
            Prefetch(
                "task_links",
                queryset=AgreementTask.objects.for_tenant(tenant)
                .select_related("task")
                .order_by("task__code"),
            ),
            Prefetch(
                "suspensions",
                queryset=AgreementSuspension.objects.for_tenant(tenant).order_by(
                    "-suspended_from", "-pk"
                ),
            ),
            Prefetch(
                "renewals",
                queryset=Agreement.objects.for_tenant(tenant).order_by("pk"),
            ),
        )
        .get(pk=pk)
    )
    for line in agreement.lines.all():
        line.schedule_text = line_schedule_text(line)
        line.never_due = not line.is_stopped and line_never_due(agreement, line)
    return agreement


def line_never_due(agreement: Agreement, line: AgreementLine) -> bool:
    """The line's series reaches only months it excludes: it can never generate a visit."""
    return recurrence.never_due(
        unit=line.interval_unit,
        count=line.interval_count or 1,
        anchor=line.anchor(agreement),
        excluded_months=line.excluded_months or (),
    )


def agreement_renewal(*, tenant: Tenant, agreement: Agreement) -> Agreement | None:
    return Agreement.objects.for_tenant(tenant).filter(renewed_from=agreement).first()


def template_list(*, tenant: Tenant) -> QuerySet:
    return (
        Agreement.objects.for_tenant(tenant)
        .filter(is_template=True)
        .select_related("template_group")
        .order_by("description", "number")
    )


def _object_links(tenant: Tenant, agreement: Agreement) -> QuerySet:
    # Matched on tenant_id too, so the subquery stays on the tenant's shard.
    return AgreementObject.objects.for_tenant(tenant).filter(
        agreement=agreement, service_object=OuterRef("pk"), tenant_id=OuterRef("tenant_id")
    )


def _task_links(tenant: Tenant, agreement: Agreement) -> QuerySet:
    return AgreementTask.objects.for_tenant(tenant).filter(
        agreement=agreement, task=OuterRef("pk"), tenant_id=OuterRef("tenant_id")
    )


def unrelated_objects(*, tenant: Tenant, agreement: Agreement) -> QuerySet:
    """The agreement customer's service objects not yet related to it."""
    if not agreement.customer_id:
        return ServiceObject.objects.none()
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer_id=agreement.customer_id, is_active=True)
        .exclude(Exists(_object_links(tenant, agreement)))
        .order_by("number")
    )


def objects_for_bulk_add(*, tenant: Tenant, agreement: Agreement, site=None, group=None):
    """The customer's active objects the agreement does not cover yet, by site and group."""
    objects = unrelated_objects(tenant=tenant, agreement=agreement).select_related("site", "group")
    if site is not None:
        objects = objects.filter(site=site)
    if group is not None:
        objects = objects.filter(group=group)
    return objects


def chosen_objects(*, tenant: Tenant, agreement: Agreement, object_ids) -> list[ServiceObject]:
    """The chosen ids that are objects of the agreement's customer (for the preview; the
    service refuses any other)."""
    ids = [int(value) for value in object_ids if str(value).isdigit()]
    if not ids or not agreement.customer_id:
        return []
    return list(
        ServiceObject.objects.for_tenant(tenant)
        .filter(pk__in=ids, customer_id=agreement.customer_id)
        .select_related("site", "group")
        .order_by("number")
    )


def unrelated_tasks(*, tenant: Tenant, agreement: Agreement) -> QuerySet:
    return (
        ServiceTask.objects.for_tenant(tenant)
        .filter(is_active=True)
        .exclude(Exists(_task_links(tenant, agreement)))
        .order_by("code")
    )


def related_objects(*, tenant: Tenant, agreement: Agreement) -> QuerySet:
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(Exists(_object_links(tenant, agreement)))
        .order_by("number")
    )


def related_tasks(*, tenant: Tenant, agreement: Agreement) -> QuerySet:
    return (
        ServiceTask.objects.for_tenant(tenant)
        .filter(Exists(_task_links(tenant, agreement)))
        .order_by("code")
    )


def agreement_line_get(*, tenant: Tenant, pk: int) -> AgreementLine:
    return (
        AgreementLine.objects.for_tenant(tenant)
        .select_related("agreement", "agreement__customer")
        .get(pk=pk)
    )


def agreement_lines_by_id(*, tenant: Tenant, agreement_id: int, line_ids) -> QuerySet:
    """The lines of one agreement among ``line_ids`` (others' and other tenants' left out)."""
    return (
        AgreementLine.objects.for_tenant(tenant)
        .filter(agreement_id=agreement_id, pk__in=list(line_ids))
        .select_related("service_object", "task", "item", "technician")
        .order_by("position", "pk")
    )


def agreement_lines_to_draw(*, tenant: Tenant, agreement_id: int) -> list[AgreementLine]:
    """An agreement's lines for "Add from agreement" on an order, with their schedules."""
    lines = list(
        AgreementLine.objects.for_tenant(tenant)
        .filter(agreement_id=agreement_id)
        .select_related("service_object", "task", "item", "technician")
        .order_by("position", "pk")
    )
    for line in lines:
        line.schedule_text = line_schedule_text(line)
    return lines


def agreement_object_link_get(*, tenant: Tenant, agreement: Agreement, pk: int) -> AgreementObject:
    return (
        AgreementObject.objects.for_tenant(tenant)
        .select_related("service_object")
        .get(agreement=agreement, pk=pk)
    )


def agreement_task_link_get(*, tenant: Tenant, agreement: Agreement, pk: int) -> AgreementTask:
    return (
        AgreementTask.objects.for_tenant(tenant)
        .select_related("task")
        .get(agreement=agreement, pk=pk)
    )


def agreements_to_resume(*, tenant: Tenant, today) -> list[int]:
    """Suspended agreements whose running suspension is planned to end by ``today``."""
    return list(
        Agreement.objects.for_tenant(tenant)
        .filter(
            state=AgreementState.SUSPENDED,
            suspensions__resumed_on__isnull=True,
            suspensions__resume_on__lte=today,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def agreements_to_expire(*, tenant: Tenant, today) -> QuerySet:
    """Active or suspended agreements whose end date has passed (``today`` in the tenant zone)."""
    return (
        Agreement.objects.for_tenant(tenant)
        .filter(
            is_template=False,
            state__in=[AgreementState.ACTIVE, AgreementState.SUSPENDED],
            end_date__lt=today,
        )
        .order_by("pk")
    )


# --- Describing a line's schedule --------------------------------------------------------------

_EVERY = {
    IntervalUnit.DAY: lambda n: ngettext("Every day", "Every %(count)d days", n),
    IntervalUnit.WEEK: lambda n: ngettext("Every week", "Every %(count)d weeks", n),
    IntervalUnit.MONTH: lambda n: ngettext("Every month", "Every %(count)d months", n),
    IntervalUnit.QUARTER: lambda n: ngettext("Every quarter", "Every %(count)d quarters", n),
    IntervalUnit.YEAR: lambda n: ngettext("Every year", "Every %(count)d years", n),
}


def _window_text(line: AgreementLine) -> str:
    if line.time_window == TimeWindow.SAME_WEEK:
        return _("window: same week")
    if line.time_window == TimeWindow.SAME_MONTH:
        return _("window: same month")
    if line.time_window == TimeWindow.DAYS_AROUND:
        before, after = line.window_days_before, line.window_days_after
        if before == after:
            return ngettext("window ±%(days)d day", "window ±%(days)d days", before) % {
                "days": before
            }
        return _("window −%(before)d/+%(after)d days") % {"before": before, "after": after}
    return ""


def line_schedule_text(line: AgreementLine) -> str:
    """The line's interval in words: "Every 3 weeks, not in August, not on holidays; window ±2
    days"."""
    if not line.interval_unit:
        return _("Once (one visit)")
    count = line.interval_count or 1
    parts = [_EVERY[line.interval_unit](count) % {"count": count}]
    if line.excluded_months:
        months = ", ".join(str(MONTHS[m]) for m in sorted(line.excluded_months))
        parts.append(_("not in %(months)s") % {"months": months})
    if line.exclude_holidays:
        parts.append(_("not on holidays"))
    text = ", ".join(parts)
    window = _window_text(line)
    return f"{text}; {window}" if window else text


# --- For the pages of customers and service objects (see agreements.panels) ----------------


def customer_agreements(*, tenant: Tenant, customer: Customer) -> QuerySet:
    return (
        Agreement.objects.for_tenant(tenant)
        .filter(customer=customer)
        .select_related("group")
        .order_by("-start_date", "number")
    )


def object_agreements(*, tenant: Tenant, obj: ServiceObject) -> QuerySet:
    return (
        AgreementObject.objects.for_tenant(tenant)
        .filter(service_object=obj)
        .select_related("agreement", "agreement__customer")
        .order_by("-agreement__start_date")
    )


def object_agreement_lines(*, tenant: Tenant, obj: ServiceObject) -> QuerySet:
    return (
        AgreementLine.objects.for_tenant(tenant)
        .filter(service_object=obj)
        .select_related("agreement", "task", "technician")
        .order_by("agreement__number", "position")
    )


def customer_has_agreements(*, tenant: Tenant, customer) -> bool:
    return Agreement.objects.for_tenant(tenant).filter(customer=customer).exists()


def object_in_agreements(*, tenant: Tenant, obj) -> bool:
    """Whether an agreement covers the object or has a line on it."""
    return (
        AgreementObject.objects.for_tenant(tenant).filter(service_object=obj).exists()
        or AgreementLine.objects.for_tenant(tenant).filter(service_object=obj).exists()
    )


ENDING_SOON_DAYS = 30


def agreement_attention_counts(*, tenant: Tenant, today) -> dict[str, int]:
    """For the home pages, in one query: active agreements ending within ENDING_SOON_DAYS days
    and suspended agreements."""
    soon = today + datetime.timedelta(days=ENDING_SOON_DAYS)
    return (
        Agreement.objects.for_tenant(tenant)
        .filter(is_template=False)
        .aggregate(
            ending=Count(
                "id",
                filter=Q(state=AgreementState.ACTIVE, end_date__gte=today, end_date__lte=soon),
            ),
            suspended=Count("id", filter=Q(state=AgreementState.SUSPENDED)),
        )
    )


# --- Rate cards --------------------------------------------------------------------------------


def _rate(entry: AgreementRate) -> Rate:
    return Rate(entry.sales_price, entry.cost_price, entry.markup_percent)


def agreement_rates_for(*, tenant: Tenant, agreements) -> dict[int, AgreementRates]:
    """The rate card in effect for each agreement (by id), in one query: the agreement's own
    entries over its group's defaults in the agreement's currency."""
    agreements = list(agreements)
    if not agreements:
        return {}
    wanted = Q(agreement_id__in=[a.pk for a in agreements])
    for group_id, currencies in _group_currencies(agreements).items():
        wanted |= Q(group_id=group_id, currency__in=currencies)
    group_entries: dict[tuple[int, str], dict[str, Rate]] = {}
    own_entries: dict[int, dict[str, Rate]] = {}
    for entry in AgreementRate.objects.for_tenant(tenant).filter(wanted):
        if entry.agreement_id:
            own_entries.setdefault(entry.agreement_id, {})[entry.key] = _rate(entry)
        else:
            group_entries.setdefault((entry.group_id, entry.currency), {})[entry.key] = _rate(entry)
    cards = {}
    for agreement in agreements:
        entries = dict(group_entries.get((agreement.group_id, agreement.currency), {}))
        # The agreement's own entries are in its currency (the services refuse any other).
        entries.update(own_entries.get(agreement.pk, {}))
        cards[agreement.pk] = AgreementRates(
            currency=agreement.currency,
            entries=entries,
            item_prices_apply=agreement.currency == tenant.currency,
        )
    return cards


def _group_currencies(agreements) -> dict[int, set[str]]:
    currencies: dict[int, set[str]] = {}
    for agreement in agreements:
        if agreement.group_id:
            currencies.setdefault(agreement.group_id, set()).add(agreement.currency)
    return currencies


def agreement_rates(*, tenant: Tenant, agreement: Agreement) -> AgreementRates:
    """The rate card in effect for one agreement (see ``agreements.rates``)."""
    return agreement_rates_for(tenant=tenant, agreements=[agreement])[agreement.pk]


def rate_entries(*, tenant: Tenant, agreement: Agreement | None = None, group=None) -> QuerySet:
    """The entries of an agreement's or a group's own rate card, for its page."""
    entries = AgreementRate.objects.for_tenant(tenant).select_related("task", "item")
    if agreement is not None:
        return entries.filter(agreement=agreement)
    return entries.filter(group=group).order_by("currency", "kind", "key", "pk")


def agreement_rate_rows(*, tenant: Tenant, agreement: Agreement) -> list[AgreementRate]:
    """The entries an agreement's page lists, in one query: its own, then its group's in its
    currency that none of its own replaces."""
    wanted = Q(agreement=agreement)
    if agreement.group_id:
        wanted |= Q(group_id=agreement.group_id, currency=agreement.currency)
    entries = list(
        AgreementRate.objects.for_tenant(tenant)
        .filter(wanted)
        .select_related("task", "item")
        .order_by("kind", "key", "pk")
    )
    own = [entry for entry in entries if entry.agreement_id]
    keys = {entry.key for entry in own}
    return own + [entry for entry in entries if entry.group_id and entry.key not in keys]


def rate_get(*, tenant: Tenant, pk: int) -> AgreementRate:
    return (
        AgreementRate.objects.for_tenant(tenant)
        .select_related("agreement", "group", "task", "item")
        .get(pk=pk)
    )


def task_categories(*, tenant: Tenant) -> list[str]:
    """The categories the tenant's service tasks use (for a rate card's choice)."""
    return sorted(
        set(
            ServiceTask.objects.for_tenant(tenant)
            .exclude(category="")
            .values_list("category", flat=True)
        ),
        key=str.casefold,
    )


def rate_card_groups(*, tenant: Tenant) -> QuerySet:
    """Agreement groups with how many rate card entries each holds."""
    counts = (
        AgreementRate.objects.for_tenant(tenant)
        .filter(group=OuterRef("pk"), tenant_id=OuterRef("tenant_id"))
        .order_by()
        .values("group")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return customer_selectors.agreement_group_list(tenant=tenant).annotate(
        rate_count=Coalesce(Subquery(counts), 0)
    )
