"""Reads for master data: customers with sites and contacts, items, object groups, service
objects (a tree per customer) and service tasks.

Every function takes the tenant and applies it; lookups by id raise the model's DoesNotExist for
another tenant's record exactly as for a missing one. Pages built from these run a constant
number of queries: related rows are joined or prefetched here, and a customer's object tree is
read in one query and assembled in Python.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from sla import selectors as sla_selectors
from tenancy.models import Tenant

from .models import (
    AgreementGroup,
    ContactLogin,
    Customer,
    CustomerContact,
    CustomerGroup,
    CustomerSite,
    Item,
    ServiceObject,
    ServiceObjectGroup,
    ServiceTask,
)


def _status(qs: QuerySet, status: str) -> QuerySet:
    if status in ("active", "inactive"):
        return qs.filter(is_active=status == "active")
    return qs


# --- Customers -----------------------------------------------------------------------------------


def customer_list(*, tenant: Tenant, search: str = "", status: str = "") -> QuerySet:
    default_site = CustomerSite.objects.filter(
        tenant=tenant, customer=OuterRef("pk"), is_default=True
    )
    qs = Customer.objects.for_tenant(tenant).annotate(
        city=Subquery(default_site.values("city")[:1]),
        object_count=Count("service_objects", distinct=True),
    )
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(name__icontains=search))
    return _status(qs, status)


def customer_choices(*, tenant: Tenant) -> QuerySet:
    return Customer.objects.for_tenant(tenant).order_by("name")


def _words(qs: QuerySet, text: str, fields: tuple[str, ...]) -> QuerySet:
    """Rows where every word of ``text`` is in one of ``fields`` (for the pickers' search)."""
    for word in text.split()[:5]:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return qs


def customer_search(*, tenant: Tenant, text: str) -> QuerySet:
    """Customers by number, name or a site's city, active first (the customer picker)."""
    qs = _words(
        Customer.objects.for_tenant(tenant),
        text,
        ("number", "name", "sites__city"),
    ).distinct()
    return qs.order_by("-is_active", "name", "pk")


def item_search(*, tenant: Tenant, text: str) -> QuerySet:
    return _words(Item.objects.for_tenant(tenant), text, ("number", "name")).order_by(
        "-is_active", "number"
    )


def service_object_search(*, tenant: Tenant, text: str, customer_id: int | None) -> QuerySet:
    """Service objects by number, name or serial number; of one customer when given."""
    qs = ServiceObject.objects.for_tenant(tenant)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    qs = _words(qs, text, ("number", "name", "serial_number"))
    return qs.order_by("-is_active", "number")


def customer_get(*, tenant: Tenant, pk: int) -> Customer:
    return (
        Customer.objects.for_tenant(tenant)
        .select_related("default_agreement_group", "sla", "invoice_account", "customer_group")
        .prefetch_related(
            Prefetch("sites", queryset=CustomerSite.objects.for_tenant(tenant)),
            Prefetch("contacts", queryset=CustomerContact.objects.for_tenant(tenant)),
        )
        .get(pk=pk)
    )


def customer_sites(
    *, tenant: Tenant, customer: Customer | int, archived: bool = False, keep: int | None = None
) -> QuerySet:
    """The customer's sites in use (what pickers offer), or its archived ones. ``keep``: a
    site that stays in the list even when archived (the one a record already has)."""
    wanted = Q(is_archived=archived) | Q(pk=keep) if keep else Q(is_archived=archived)
    return CustomerSite.objects.for_tenant(tenant).filter(wanted, customer=customer)


def customer_contacts(
    *, tenant: Tenant, customer: Customer | int, archived: bool = False, keep: int | None = None
) -> QuerySet:
    """The customer's contacts in use, or its archived ones (``keep`` as for sites)."""
    wanted = Q(is_archived=archived) | Q(pk=keep) if keep else Q(is_archived=archived)
    return CustomerContact.objects.for_tenant(tenant).filter(wanted, customer=customer)


def contact_choices(*, tenant: Tenant) -> QuerySet:
    return CustomerContact.objects.for_tenant(tenant)


def site_get(*, tenant: Tenant, customer: Customer, pk: int) -> CustomerSite:
    return CustomerSite.objects.for_tenant(tenant).get(customer=customer, pk=pk)


def contact_get(*, tenant: Tenant, customer: Customer, pk: int) -> CustomerContact:
    return CustomerContact.objects.for_tenant(tenant).get(customer=customer, pk=pk)


# --- Items, groups, tasks ------------------------------------------------------------------------


def item_list(*, tenant: Tenant, search: str = "", status: str = "") -> QuerySet:
    qs = Item.objects.for_tenant(tenant)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(name__icontains=search))
    return _status(qs, status)


def item_choices(*, tenant: Tenant) -> QuerySet:
    return Item.objects.for_tenant(tenant).order_by("number")


def item_get(*, tenant: Tenant, pk: int) -> Item:
    return Item.objects.for_tenant(tenant).get(pk=pk)


def item_objects(*, tenant: Tenant, item: Item) -> QuerySet:
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(item=item)
        .select_related("customer")
        .order_by("number")
    )


def object_group_list(*, tenant: Tenant, search: str = "") -> QuerySet:
    qs = ServiceObjectGroup.objects.for_tenant(tenant).annotate(
        object_count=Count("service_objects")
    )
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return qs


def object_group_choices(*, tenant: Tenant) -> QuerySet:
    return ServiceObjectGroup.objects.for_tenant(tenant).order_by("name")


def object_group_get(*, tenant: Tenant, pk: int) -> ServiceObjectGroup:
    return ServiceObjectGroup.objects.for_tenant(tenant).get(pk=pk)


def task_list(*, tenant: Tenant, search: str = "", status: str = "") -> QuerySet:
    qs = ServiceTask.objects.for_tenant(tenant)
    if search:
        qs = qs.filter(
            Q(code__icontains=search)
            | Q(name__icontains=search)
            | Q(required_skill__icontains=search)
        )
    return _status(qs, status)


def task_choices(*, tenant: Tenant) -> QuerySet:
    return ServiceTask.objects.for_tenant(tenant).order_by("code")


def task_get(*, tenant: Tenant, pk: int) -> ServiceTask:
    return ServiceTask.objects.for_tenant(tenant).get(pk=pk)


# --- Service objects -----------------------------------------------------------------------------


def service_object_choices(*, tenant: Tenant) -> QuerySet:
    return ServiceObject.objects.for_tenant(tenant).order_by("number")


def service_object_list(
    *,
    tenant: Tenant,
    search: str = "",
    customer: Customer | None = None,
    group: ServiceObjectGroup | None = None,
    item: Item | None = None,
    status: str = "",
) -> QuerySet:
    qs = ServiceObject.objects.for_tenant(tenant).select_related(
        "customer", "item", "group", "site", "parent"
    )
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(name__icontains=search)
            | Q(serial_number__icontains=search)
        )
    if customer is not None:
        qs = qs.filter(customer=customer)
    if group is not None:
        qs = qs.filter(group=group)
    if item is not None:
        qs = qs.filter(item=item)
    return _status(qs, status)


def service_object_get(*, tenant: Tenant, pk: int) -> ServiceObject:
    return (
        ServiceObject.objects.for_tenant(tenant)
        .select_related("customer", "site", "item", "group", "parent")
        .get(pk=pk)
    )


def customer_objects(*, tenant: Tenant, customer_id: int) -> QuerySet:
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer_id=customer_id)
        .select_related("item")
        .order_by("number")
    )


@dataclass(frozen=True)
class TreeNode:
    obj: ServiceObject
    depth: int


def object_tree(objects: Iterable[ServiceObject], root: ServiceObject | None = None):
    """Objects in tree order (each parent followed by its parts), with their depth.

    ``objects`` are one customer's objects; with ``root`` only that object's subtree.
    """
    objects = list(objects)
    by_id = {obj.pk: obj for obj in objects}
    children: dict[int, list[ServiceObject]] = defaultdict(list)
    for obj in objects:
        if obj.parent_id in by_id:
            children[obj.parent_id].append(obj)
    if root is not None:
        starts = [by_id.get(root.pk, root)]
    else:
        starts = [obj for obj in objects if obj.parent_id not in by_id]
    nodes, seen = [], set()
    stack = [(obj, 0) for obj in reversed(starts)]
    while stack:
        obj, depth = stack.pop()
        if obj.pk in seen:  # the database never holds a cycle; don't loop if it ever did
            continue
        seen.add(obj.pk)
        nodes.append(TreeNode(obj, depth))
        stack.extend((child, depth + 1) for child in reversed(children[obj.pk]))
    return nodes


def customer_object_tree(*, tenant: Tenant, customer: Customer) -> list[TreeNode]:
    return object_tree(customer_objects(tenant=tenant, customer_id=customer.pk))


def object_family(*, tenant: Tenant, obj: ServiceObject) -> tuple[list, list[TreeNode]]:
    """The object's ancestors (root first) and its subtree, from one query."""
    objects = list(customer_objects(tenant=tenant, customer_id=obj.customer_id))
    by_id = {o.pk: o for o in objects}
    ancestors, seen = [], {obj.pk}
    parent_id = obj.parent_id
    while parent_id in by_id and parent_id not in seen:
        seen.add(parent_id)
        ancestors.insert(0, by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    return ancestors, object_tree(objects, root=obj)


def object_descendant_ids(*, tenant: Tenant, obj: ServiceObject) -> set[int]:
    """The ids of the object's parts, their parts, and so on (not the object itself)."""
    _ancestors, subtree = object_family(tenant=tenant, obj=obj)
    return {node.obj.pk for node in subtree if node.obj.pk != obj.pk}


# --- Agreement groups --------------------------------------------------------------------------


def agreement_group_list(*, tenant: Tenant, search: str = "") -> QuerySet:
    qs = AgreementGroup.objects.for_tenant(tenant).select_related("default_sla")
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return qs


def agreement_group_get(*, tenant: Tenant, pk: int) -> AgreementGroup:
    return AgreementGroup.objects.for_tenant(tenant).select_related("default_sla").get(pk=pk)


def sla_choices(*, tenant: Tenant) -> QuerySet:
    return sla_selectors.sla_list(tenant=tenant)


# --- Customer contacts who sign in ---------------------------------------------------------------


def contact_login_for(*, tenant: Tenant, user) -> ContactLogin:
    """The customer a signed-in customer contact works for (with the contact record);
    ContactLogin.DoesNotExist for anyone else, and for another tenant's binding."""
    login = (
        ContactLogin.objects.for_tenant(tenant)
        .select_related("customer", "contact")
        .filter(user_id=user.pk)
        .order_by("-pk")
        .first()
    )
    if login is None:
        raise ContactLogin.DoesNotExist
    return login


def contact_login_bound_to(qs: QuerySet, *, name: str) -> QuerySet:
    """Memberships annotated with ``name``: the customer their login is bound to (number and
    name) — the members page (accounts.bindings), one subquery."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Concat

    bound = ContactLogin.objects.filter(tenant=OuterRef("tenant"), user=OuterRef("user")).values(
        label=Concat("customer__number", Value(" · "), "customer__name", output_field=CharField())
    )[:1]
    return qs.annotate(**{name: Subquery(bound, output_field=CharField())})


def customer_active_objects(*, tenant: Tenant, customer_id: int) -> QuerySet:
    """The customer's active service objects (what a service request may name)."""
    return (
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer_id=customer_id, is_active=True)
        .select_related("site")
        .order_by("number")
    )


# --- Customer groups ---------------------------------------------------------------------------


def customer_group_list(*, tenant: Tenant, search: str = "") -> QuerySet:
    qs = CustomerGroup.objects.for_tenant(tenant)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return qs


def customer_group_get(*, tenant: Tenant, pk: int) -> CustomerGroup:
    return CustomerGroup.objects.for_tenant(tenant).get(pk=pk)
