"""Writes for master data: customers with their sites and contacts, items, object groups,
service objects and service tasks.

Each write validates the rules a user can break (unique numbers and codes, a serial number
registered twice for an item, negative prices, a site or parent of another customer, a tree
cycle) and raises ``ValidationError({field: message})``; unique constraints the database holds
anyway are caught too, so a race between two requests ends in the same message.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy.integrity import save_unique
from tenancy.models import Tenant, TenantOwned, User
from tenancy.services import audit_changes, audit_record, audit_snapshot, sequence_next_number
from web.registry import usage_of

from .coverage import CoverageChange, coverage_apply
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

CUSTOMER_FIELDS = (
    "name",
    "language",
    "default_agreement_group",
    "sla",
    "email",
    "phone",
    "notes",
    "is_active",
    "invoice_account",
    "billing_address",
    "tax_id",
    "payment_terms_days",
    "customer_group",
    "billing_email",
)
SITE_FIELDS = ("name", "street", "postal_code", "city", "country", "is_default")
CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary")
ITEM_FIELDS = (
    "number",
    "name",
    "unit",
    "is_serial_tracked",
    "cost_price",
    "sales_price",
    "is_active",
)
OBJECT_GROUP_FIELDS = ("code", "name")
SERVICE_OBJECT_FIELDS = (
    "name",
    "customer",
    "site",
    "item",
    "serial_number",
    "group",
    "install_date",
    "warranty_end",
    "parent",
    "notes",
    "is_active",
)
TASK_FIELDS = (
    "code",
    "name",
    "default_duration_minutes",
    "required_skill",
    "category",
    "checklist",
    "customer_note",
    "is_active",
)


# --- Shared steps --------------------------------------------------------------------------------


def _assign(obj, data: dict, fields) -> None:
    for field in fields:
        if field in data:
            value = data[field]
            setattr(obj, field, value.strip() if isinstance(value, str) else value)


def _same_tenant(tenant: Tenant, errors: dict, **related: TenantOwned | None) -> None:
    """Forms offer only the tenant's records; refuse anything else that reaches a service."""
    for field, value in related.items():
        if value is not None and value.tenant_id != tenant.pk:
            errors[field] = _("Choose a value from the list.")


def _save(obj, conflicts: dict[str, tuple[str, str]] | None = None) -> None:
    """Validate the fields and save; a unique constraint named in ``conflicts`` that a
    concurrent request won becomes (field, message) like the check that ran before it."""
    obj.full_clean(validate_unique=False, validate_constraints=False)
    save_unique(obj, conflicts or {})


def _next_free_number(tenant: Tenant, model, key: str) -> str:
    """The sequence's next number that no record holds yet (records imported or created in the
    admin may carry numbers the sequence has not handed out)."""
    while True:
        number = sequence_next_number(tenant=tenant, key=key)
        if not model.objects.for_tenant(tenant).filter(number=number).exists():
            return number


def _audit_change(*, tenant, by, obj, before: dict, action: str) -> None:
    """Record what changed since ``before`` (an ``audit_snapshot`` of the same fields). The
    ``<record>.update`` code reads "<Kind> <record> changed: <fields>" (tenancy.events)."""
    changes = audit_changes(before, audit_snapshot(obj, tuple(before)))
    if changes:
        audit_record(
            tenant=tenant,
            actor=by,
            action=action,
            target=obj,
            params={"record": str(obj), "fields": sorted(changes)},
            changes=changes,
        )


def _audit_create(*, tenant, by, obj, action: str) -> None:
    """Record a new record; the ``<record>.create`` code reads "<Kind> <record> created"."""
    audit_record(tenant=tenant, actor=by, action=action, target=obj, params={"record": str(obj)})


# --- Customers -----------------------------------------------------------------------------------


def _customer_apply(customer: Customer, *, tenant: Tenant, data: dict) -> None:
    _assign(customer, data, CUSTOMER_FIELDS)
    errors: dict = {}
    _same_tenant(
        tenant,
        errors,
        default_agreement_group=customer.default_agreement_group,
        invoice_account=customer.invoice_account,
        customer_group=customer.customer_group,
    )
    if errors:
        raise ValidationError(errors)
    _save(customer)


@transaction.atomic
def customer_create(*, tenant: Tenant, by: User | None, data: dict) -> Customer:
    customer = Customer(tenant=tenant, number=_next_free_number(tenant, Customer, "customer"))
    _customer_apply(customer, tenant=tenant, data=data)
    _audit_create(
        tenant=tenant,
        by=by,
        obj=customer,
        action="customer.create",
    )
    return customer


@transaction.atomic
def customer_update(*, tenant: Tenant, by: User | None, customer_id: int, data: dict) -> Customer:
    customer = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer_id)
    before = audit_snapshot(customer, CUSTOMER_FIELDS)
    _customer_apply(customer, tenant=tenant, data=data)
    if customer.is_active != before["is_active"]:
        # Deactivated: its open generated visits are cancelled; active again: they come back.
        coverage_apply(
            tenant=tenant,
            by=by,
            change=CoverageChange.of(
                "customer_deactivated" if not customer.is_active else "customer_activated",
                customer_ids=[customer.pk],
                note=_("Customer %(customer)s deactivated.") % {"customer": customer.name},
            ),
        )
    _audit_change(
        tenant=tenant,
        by=by,
        obj=customer,
        before=before,
        action="customer.update",
    )
    return customer


def _delete(obj, *, tenant: Tenant, by: User | None, action: str, refusal=None) -> None:
    """Delete ``obj`` with its activity-log record. ``refusal``: the message (a function
    returning it) when the database still finds rows that protect it, which no usage check
    knew of; the delete is then undone and nothing changes."""
    audit_record(tenant=tenant, actor=by, action=action, target=obj, params={"record": str(obj)})
    if refusal is None:
        obj.delete()
        return
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ValidationError(refusal()) from exc


def _customer_in_use_message() -> str:
    return _(
        "This customer has service objects, agreements or service orders and cannot be "
        "deleted. Deactivate it instead."
    )


@transaction.atomic
def customer_delete(*, tenant: Tenant, by: User | None, customer_id: int) -> None:
    customer = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer_id)
    if customer.service_objects.exists() or usage_of(tenant, customer):
        raise ValidationError(_customer_in_use_message())
    # Something newer may still point at it: the database's refusal gets the same words.
    _delete(
        customer,
        tenant=tenant,
        by=by,
        action="customer.delete",
        refusal=_customer_in_use_message,
    )


# --- Sites and contacts --------------------------------------------------------------------------


def _customer_for_update(tenant: Tenant, customer_id: int) -> Customer:
    # Locking the customer serialises changes to its default site and primary contact.
    return Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer_id)


def _site_apply(site: CustomerSite, *, data: dict) -> None:
    _assign(site, data, SITE_FIELDS)
    if site.is_archived and site.is_default:
        raise ValidationError(
            {"is_default": _("An archived site cannot be the default site; restore it first.")}
        )
    siblings = CustomerSite.objects.filter(tenant=site.tenant, customer=site.customer).exclude(
        pk=site.pk
    )
    if site.pk is None and not siblings.filter(is_default=True).exists():
        site.is_default = True  # a customer's first site is where orders go by default
    if site.is_default:
        # One default site per customer: the new default takes over from the old one.
        siblings.filter(is_default=True).update(is_default=False)
    _save(site)


@transaction.atomic
def site_create(*, tenant: Tenant, by: User | None, customer_id: int, data: dict) -> CustomerSite:
    customer = _customer_for_update(tenant, customer_id)
    site = CustomerSite(tenant=tenant, customer=customer)
    _site_apply(site, data=data)
    _audit_create(tenant=tenant, by=by, obj=site, action="customer_site.create")
    return site


@transaction.atomic
def site_update(
    *, tenant: Tenant, by: User | None, customer_id: int, site_id: int, data: dict
) -> CustomerSite:
    customer = _customer_for_update(tenant, customer_id)
    site = CustomerSite.objects.for_tenant(tenant).get(customer=customer, pk=site_id)
    before = audit_snapshot(site, SITE_FIELDS)
    _site_apply(site, data=data)
    _audit_change(tenant=tenant, by=by, obj=site, before=before, action="customer_site.update")
    return site


# What removing a site or contact did: records that refer to it keep it, archived.
ARCHIVED = "archived"
DELETED = "deleted"


def _site_in_use(tenant: Tenant, site: CustomerSite) -> bool:
    objects = ServiceObject.objects.for_tenant(tenant).filter(site=site)
    return objects.exists() or bool(usage_of(tenant, site))


def _archive(obj, *, tenant: Tenant, by: User | None, flag: str, action: str) -> None:
    """Hide ``obj`` from the pickers, keeping it for the records that refer to it."""
    obj.is_archived, obj.archived_at = True, timezone.now()
    setattr(obj, flag, False)  # an archived site is nobody's default, a contact nobody's primary
    obj.save(update_fields=["is_archived", "archived_at", flag])
    audit_record(tenant=tenant, actor=by, action=action, target=obj, params={"record": str(obj)})


def _restore(obj, *, tenant: Tenant, by: User | None, action: str) -> None:
    if not obj.is_archived:
        return
    obj.is_archived, obj.archived_at = False, None
    obj.save(update_fields=["is_archived", "archived_at"])
    audit_record(tenant=tenant, actor=by, action=action, target=obj, params={"record": str(obj)})


@transaction.atomic
def site_delete(*, tenant: Tenant, by: User | None, customer_id: int, site_id: int) -> str:
    """Delete the site; when service orders or objects refer to it, archive it instead (they
    keep showing it; pickers no longer offer it). Returns ARCHIVED or DELETED."""
    customer = _customer_for_update(tenant, customer_id)
    site = CustomerSite.objects.for_tenant(tenant).get(customer=customer, pk=site_id)
    if _site_in_use(tenant, site):
        if not site.is_archived:
            _archive(site, tenant=tenant, by=by, flag="is_default", action="customer_site.archive")
        return ARCHIVED
    _delete(site, tenant=tenant, by=by, action="customer_site.delete")
    return DELETED


@transaction.atomic
def site_restore(*, tenant: Tenant, by: User | None, customer_id: int, site_id: int):
    """Offer an archived site again."""
    customer = _customer_for_update(tenant, customer_id)
    site = CustomerSite.objects.for_tenant(tenant).get(customer=customer, pk=site_id)
    _restore(site, tenant=tenant, by=by, action="customer_site.restore")
    return site


def _contact_apply(contact: CustomerContact, *, data: dict) -> None:
    _assign(contact, data, CONTACT_FIELDS)
    if contact.is_archived and contact.is_primary:
        raise ValidationError(
            {"is_primary": _("An archived contact cannot be the primary one; restore it first.")}
        )
    siblings = CustomerContact.objects.filter(
        tenant=contact.tenant, customer=contact.customer
    ).exclude(pk=contact.pk)
    if contact.pk is None and not siblings.filter(is_primary=True).exists():
        contact.is_primary = True
    if contact.is_primary:
        siblings.filter(is_primary=True).update(is_primary=False)
    _save(contact)


@transaction.atomic
def contact_create(
    *, tenant: Tenant, by: User | None, customer_id: int, data: dict
) -> CustomerContact:
    customer = _customer_for_update(tenant, customer_id)
    contact = CustomerContact(tenant=tenant, customer=customer)
    _contact_apply(contact, data=data)
    _audit_create(tenant=tenant, by=by, obj=contact, action="customer_contact.create")
    return contact


@transaction.atomic
def contact_update(
    *, tenant: Tenant, by: User | None, customer_id: int, contact_id: int, data: dict
) -> CustomerContact:
    customer = _customer_for_update(tenant, customer_id)
    contact = CustomerContact.objects.for_tenant(tenant).get(customer=customer, pk=contact_id)
    before = audit_snapshot(contact, CONTACT_FIELDS)
    _contact_apply(contact, data=data)
    _audit_change(
        tenant=tenant, by=by, obj=contact, before=before, action="customer_contact.update"
    )
    return contact


@transaction.atomic
def contact_delete(*, tenant: Tenant, by: User | None, customer_id: int, contact_id: int) -> str:
    """Delete the contact; archive it instead while service orders refer to it. Returns
    ARCHIVED or DELETED."""
    customer = _customer_for_update(tenant, customer_id)
    contact = CustomerContact.objects.for_tenant(tenant).get(customer=customer, pk=contact_id)
    if usage_of(tenant, contact):
        if not contact.is_archived:
            _archive(
                contact, tenant=tenant, by=by, flag="is_primary", action="customer_contact.archive"
            )
        return ARCHIVED
    _delete(contact, tenant=tenant, by=by, action="customer_contact.delete")
    return DELETED


@transaction.atomic
def contact_restore(*, tenant: Tenant, by: User | None, customer_id: int, contact_id: int):
    """Offer an archived contact again."""
    customer = _customer_for_update(tenant, customer_id)
    contact = CustomerContact.objects.for_tenant(tenant).get(customer=customer, pk=contact_id)
    _restore(contact, tenant=tenant, by=by, action="customer_contact.restore")
    return contact


# --- Items ---------------------------------------------------------------------------------------


def _item_number_message() -> str:
    return _("An item with this number already exists.")


def _item_apply(item: Item, *, tenant: Tenant, data: dict) -> None:
    _assign(item, data, ITEM_FIELDS)
    errors = {}
    for field in ("cost_price", "sales_price"):
        price = getattr(item, field)
        if price is not None and price < 0:
            errors[field] = _("The price cannot be negative.")
    if not item.number:
        if item.pk is not None:
            errors["number"] = _("An item needs a number.")
        else:
            item.number = _next_free_number(tenant, Item, "item")
    taken = Item.objects.for_tenant(tenant).filter(number__iexact=item.number)
    if item.number and taken.exclude(pk=item.pk).exists():
        errors["number"] = _item_number_message()
    if errors:
        raise ValidationError(errors)
    _save(item, {"customers_item_number": ("number", _item_number_message())})


@transaction.atomic
def item_create(*, tenant: Tenant, by: User | None, data: dict) -> Item:
    item = Item(tenant=tenant)
    _item_apply(item, tenant=tenant, data=data)
    _audit_create(
        tenant=tenant,
        by=by,
        obj=item,
        action="item.create",
    )
    return item


@transaction.atomic
def item_update(*, tenant: Tenant, by: User | None, item_id: int, data: dict) -> Item:
    item = Item.objects.for_tenant(tenant).select_for_update().get(pk=item_id)
    before = audit_snapshot(item, ITEM_FIELDS)
    _item_apply(item, tenant=tenant, data=data)
    _audit_change(
        tenant=tenant,
        by=by,
        obj=item,
        before=before,
        action="item.update",
    )
    return item


def item_usage(*, tenant: Tenant, item: Item) -> list[str]:
    """Where the item is still used, as sentences for the user: by service objects, and what the
    apps above register (web.registry usage checks). Empty: it may be deleted."""
    used = []
    if objects := ServiceObject.objects.for_tenant(tenant).filter(item=item).count():
        used.append(
            ngettext(
                "Used by %(count)d service object.", "Used by %(count)d service objects.", objects
            )
            % {"count": objects}
        )
    return used + usage_of(tenant, item)


def _item_in_use_message() -> str:
    return _(
        "This item is still used on agreements, subscriptions, service orders, invoices or "
        "returns and cannot be deleted. Deactivate it instead."
    )


@transaction.atomic
def item_delete(*, tenant: Tenant, by: User | None, item_id: int) -> None:
    """Delete an item nothing refers to; ValidationError with the sentences of ``item_usage``
    while something does."""
    # The lock makes a line or object that refers to the item wait until this one is done.
    item = Item.objects.for_tenant(tenant).select_for_update().get(pk=item_id)
    if used := item_usage(tenant=tenant, item=item):
        raise ValidationError(used)
    # Lines of an app that registers no usage check are refused by the database.
    _delete(item, tenant=tenant, by=by, action="item.delete", refusal=_item_in_use_message)


# --- Object groups -------------------------------------------------------------------------------


def _group_code_message() -> str:
    return _("An object group with this code already exists.")


def _group_apply(group: ServiceObjectGroup, *, tenant: Tenant, data: dict) -> None:
    _assign(group, data, OBJECT_GROUP_FIELDS)
    taken = ServiceObjectGroup.objects.for_tenant(tenant).filter(code__iexact=group.code)
    if taken.exclude(pk=group.pk).exists():
        raise ValidationError({"code": _group_code_message()})
    _save(group, {"customers_objgroup_code": ("code", _group_code_message())})


@transaction.atomic
def object_group_create(*, tenant: Tenant, by: User | None, data: dict) -> ServiceObjectGroup:
    group = ServiceObjectGroup(tenant=tenant)
    _group_apply(group, tenant=tenant, data=data)
    _audit_create(tenant=tenant, by=by, obj=group, action="object_group.create")
    return group


@transaction.atomic
def object_group_update(
    *, tenant: Tenant, by: User | None, group_id: int, data: dict
) -> ServiceObjectGroup:
    group = ServiceObjectGroup.objects.for_tenant(tenant).select_for_update().get(pk=group_id)
    before = audit_snapshot(group, OBJECT_GROUP_FIELDS)
    _group_apply(group, tenant=tenant, data=data)
    _audit_change(tenant=tenant, by=by, obj=group, before=before, action="object_group.update")
    return group


# --- Service objects -----------------------------------------------------------------------------


def _serial_message() -> str:
    return _("This serial number is already registered for this item.")


def _parent_errors(tenant: Tenant, obj: ServiceObject) -> str | None:
    parent = obj.parent
    if parent is None:
        return None
    if parent.customer_id != obj.customer_id:
        return _("A part must belong to the same customer as its parent.")
    # Walk up from the chosen parent: meeting the object itself means a cycle.
    ancestors = dict(
        ServiceObject.objects.for_tenant(tenant)
        .filter(customer_id=obj.customer_id)
        .values_list("pk", "parent_id")
    )
    ancestors[parent.pk] = parent.parent_id
    current, seen = parent.pk, set()
    while current is not None and current not in seen:
        if obj.pk is not None and current == obj.pk:
            return _("An object cannot be part of itself or of one of its own parts.")
        seen.add(current)
        current = ancestors.get(current)
    return None


def _service_object_errors(tenant: Tenant, obj: ServiceObject, before: dict | None) -> dict:
    if obj.customer_id is None:
        return {"customer": _("Choose a customer.")}
    errors: dict = {}
    _same_tenant(
        tenant,
        errors,
        customer=obj.customer,
        site=obj.site,
        item=obj.item,
        group=obj.group,
        parent=obj.parent,
    )
    if errors:
        return errors
    if obj.site is not None and obj.site.customer_id != obj.customer_id:
        errors["site"] = _("Choose a site of this object's customer.")
    elif (
        obj.site is not None
        and obj.site.is_archived
        and (before is None or before["site"] != obj.site_id)  # one it had already may stay
    ):
        errors["site"] = _("This site is archived: choose another one or restore it first.")
    if parent_error := _parent_errors(tenant, obj):
        errors["parent"] = parent_error
    if before is not None and before["customer"] != obj.customer_id:
        if obj.children.exists():
            errors["customer"] = _(
                "This object has parts; move or detach them before changing the customer."
            )
        elif usage_of(tenant, obj):
            errors["customer"] = _(
                "This object is covered by agreements of its customer; the customer cannot change."
            )
    if obj.install_date and obj.warranty_end and obj.warranty_end < obj.install_date:
        errors["warranty_end"] = _("The warranty cannot end before the installation date.")
    if obj.item is not None and obj.item.is_serial_tracked and not obj.serial_number:
        errors["serial_number"] = _("This item is serial-tracked: enter the serial number.")
    if obj.item is not None and obj.serial_number:
        taken = ServiceObject.objects.for_tenant(tenant).filter(
            item=obj.item, serial_number=obj.serial_number
        )
        if taken.exclude(pk=obj.pk).exists():
            errors["serial_number"] = _serial_message()
    return errors


def _service_object_save(obj: ServiceObject, *, tenant: Tenant, before: dict | None) -> None:
    if errors := _service_object_errors(tenant, obj, before):
        raise ValidationError(errors)
    if not obj.number:
        obj.number = _next_free_number(tenant, ServiceObject, "service_object")
    _save(obj, {"customers_object_unique_serial": ("serial_number", _serial_message())})


@transaction.atomic
def service_object_create(*, tenant: Tenant, by: User | None, data: dict) -> ServiceObject:
    obj = ServiceObject(tenant=tenant)
    _assign(obj, data, SERVICE_OBJECT_FIELDS)
    _service_object_save(obj, tenant=tenant, before=None)
    _audit_create(
        tenant=tenant,
        by=by,
        obj=obj,
        action="service_object.create",
    )
    return obj


@transaction.atomic
def service_object_update(
    *, tenant: Tenant, by: User | None, object_id: int, data: dict
) -> ServiceObject:
    obj = ServiceObject.objects.for_tenant(tenant).select_for_update().get(pk=object_id)
    before = audit_snapshot(obj, SERVICE_OBJECT_FIELDS)
    _assign(obj, data, SERVICE_OBJECT_FIELDS)
    _service_object_save(obj, tenant=tenant, before=before)
    if obj.is_active != before["is_active"]:
        coverage_apply(
            tenant=tenant,
            by=by,
            change=CoverageChange.of(
                "object_deactivated" if not obj.is_active else "object_activated",
                object_ids=[obj.pk],
                note=_("Service object %(object)s deactivated.") % {"object": obj},
            ),
        )
    _audit_change(
        tenant=tenant,
        by=by,
        obj=obj,
        before=before,
        action="service_object.update",
    )
    return obj


# --- Service tasks -------------------------------------------------------------------------------


def _task_code_message() -> str:
    return _("A service task with this code already exists.")


def _task_apply(task: ServiceTask, *, tenant: Tenant, data: dict) -> None:
    _assign(task, data, TASK_FIELDS)
    errors = {}
    if task.default_duration_minutes is None or task.default_duration_minutes < 1:
        errors["default_duration_minutes"] = _("The duration must be at least 1 minute.")
    taken = ServiceTask.objects.for_tenant(tenant).filter(code__iexact=task.code)
    if taken.exclude(pk=task.pk).exists():
        errors["code"] = _task_code_message()
    if errors:
        raise ValidationError(errors)
    _save(task, {"customers_task_code": ("code", _task_code_message())})


@transaction.atomic
def task_create(*, tenant: Tenant, by: User | None, data: dict) -> ServiceTask:
    task = ServiceTask(tenant=tenant)
    _task_apply(task, tenant=tenant, data=data)
    _audit_create(
        tenant=tenant,
        by=by,
        obj=task,
        action="service_task.create",
    )
    return task


@transaction.atomic
def task_update(*, tenant: Tenant, by: User | None, task_id: int, data: dict) -> ServiceTask:
    task = ServiceTask.objects.for_tenant(tenant).select_for_update().get(pk=task_id)
    before = audit_snapshot(task, TASK_FIELDS)
    _task_apply(task, tenant=tenant, data=data)
    _audit_change(
        tenant=tenant,
        by=by,
        obj=task,
        before=before,
        action="service_task.update",
    )
    return task


# --- Agreement groups ----------------------------------------------------------------------------

AGREEMENT_GROUP_FIELDS = ("code", "name", "default_sla")


def _agreement_group_code_message() -> str:
    return _("Another agreement group already has this code.")


def _agreement_group_apply(group: AgreementGroup, *, tenant: Tenant, data: dict) -> None:
    _assign(group, data, AGREEMENT_GROUP_FIELDS)
    errors: dict = {}
    if group.default_sla is not None and group.default_sla.tenant_id != tenant.pk:
        errors["default_sla"] = _("Choose one of this tenant's SLAs.")
    taken = AgreementGroup.objects.for_tenant(tenant).filter(code=group.code)
    if taken.exclude(pk=group.pk).exists():
        errors["code"] = _agreement_group_code_message()
    if errors:
        raise ValidationError(errors)
    _save(group, {"customers_agreementgroup_code": ("code", _agreement_group_code_message())})


@transaction.atomic
def agreement_group_create(*, tenant: Tenant, by: User | None, data: dict) -> AgreementGroup:
    group = AgreementGroup(tenant=tenant)
    _agreement_group_apply(group, tenant=tenant, data=data)
    audit_record(
        tenant=tenant,
        actor=by,
        action="agreement_group.create",
        target=group,
        params={"record": str(group)},
    )
    return group


@transaction.atomic
def agreement_group_update(
    *, tenant: Tenant, by: User | None, group_id: int, data: dict
) -> AgreementGroup:
    group = AgreementGroup.objects.for_tenant(tenant).select_for_update().get(pk=group_id)
    before = audit_snapshot(group, AGREEMENT_GROUP_FIELDS)
    _agreement_group_apply(group, tenant=tenant, data=data)
    _audit_change(
        tenant=tenant,
        by=by,
        obj=group,
        before=before,
        action="agreement_group.update",
    )
    return group


# --- Customer contacts who sign in ---------------------------------------------------------------


def contact_login_customer_check(*, tenant: Tenant, customer: Customer | None) -> Customer:
    """The customer a new customer contact is invited for: one of this tenant's active
    customers; ValidationError beside the customer field otherwise."""
    if customer is None:
        raise ValidationError({"customer": _("Choose the customer this contact works for.")})
    if customer.tenant_id != tenant.pk or not customer.is_active:
        raise ValidationError({"customer": _("Choose one of your active customers.")})
    return customer


@transaction.atomic
def contact_login_bind(*, tenant: Tenant, user: User, customer_id: int) -> ContactLogin:
    """Bind a customer contact's login to its customer (on accepting the invitation), and to
    the customer's contact record with the same e-mail address, made when there is none. A
    login invited again for another customer is bound to the new one."""
    customer = Customer.objects.for_tenant(tenant).get(pk=customer_id)
    contact = (
        CustomerContact.objects.for_tenant(tenant)
        .filter(customer=customer, email__iexact=user.email, is_archived=False)
        .order_by("-is_primary", "pk")
        .first()
    )
    if contact is None:
        contact = CustomerContact.objects.create(
            tenant=tenant,
            customer=customer,
            name=(user.get_full_name() or user.email)[:120],
            email=user.email,
        )
        _audit_create(tenant=tenant, by=user, obj=contact, action="customer_contact.create")
    login, _created = ContactLogin.objects.for_tenant(tenant).update_or_create(
        tenant=tenant, user=user, defaults={"customer": customer, "contact": contact}
    )
    audit_record(
        tenant=tenant,
        actor=user,
        action="contact_login.bind",
        target=login,
        params={"email": user.email, "customer": str(customer)},
    )
    return login


# --- Customer groups -----------------------------------------------------------------------------

CUSTOMER_GROUP_FIELDS = ("code", "name")


def _customer_group_code_message() -> str:
    return _("Another customer group already has this code.")


def _customer_group_apply(group: CustomerGroup, *, tenant: Tenant, data: dict) -> None:
    _assign(group, data, CUSTOMER_GROUP_FIELDS)
    taken = CustomerGroup.objects.for_tenant(tenant).filter(code=group.code)
    if taken.exclude(pk=group.pk).exists():
        raise ValidationError({"code": _customer_group_code_message()})
    _save(group, {"customers_custgroup_code": ("code", _customer_group_code_message())})


@transaction.atomic
def customer_group_create(*, tenant: Tenant, by: User | None, data: dict) -> CustomerGroup:
    group = CustomerGroup(tenant=tenant)
    _customer_group_apply(group, tenant=tenant, data=data)
    _audit_create(tenant=tenant, by=by, obj=group, action="customer_group.create")
    return group


@transaction.atomic
def customer_group_update(
    *, tenant: Tenant, by: User | None, group_id: int, data: dict
) -> CustomerGroup:
    group = CustomerGroup.objects.for_tenant(tenant).select_for_update().get(pk=group_id)
    before = audit_snapshot(group, CUSTOMER_GROUP_FIELDS)
    _customer_group_apply(group, tenant=tenant, data=data)
    _audit_change(tenant=tenant, by=by, obj=group, before=before, action="customer_group.update")
    return group
