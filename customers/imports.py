"""What master data an import file can hold: customers, their sites and contacts, items and
service objects (web.imports reads and checks the file; docs/import.md lists the columns).

Customers, items and objects are identified by their number, sites and contacts by their
customer's number and their name. A new column is one ``ImportColumn`` line in ``columns``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.imports import (
    CREATE,
    UPDATE,
    ImportColumn,
    ImportKind,
    Ref,
    Row,
    moves,
    parse_bool,
    parse_date,
    parse_decimal,
    register_import_kind,
)

from .models import CustomerSite, ServiceObject

CUSTOMER = Ref("customers.Customer", "number")


def _language(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    codes = [code for code, _name in settings.LANGUAGES]
    for code in codes:
        if code.lower() == text.lower().replace("_", "-"):
            return code
    raise ValidationError(
        _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": ", ".join(codes)}
    )


class CustomerKind(ImportKind):
    key = "customers"
    label = gettext_lazy("Customers")
    model = "customers.Customer"
    sequence = "customer"
    order = 10
    list_url = "customers:customer_list"
    columns = (
        ImportColumn("number", "number"),
        ImportColumn("name", "name", required=True),
        ImportColumn("language", "language", _language),
        ImportColumn(
            "agreement_group",
            "default_agreement_group",
            ref=Ref("customers.AgreementGroup", "code"),
        ),
        ImportColumn("email", "email"),
        ImportColumn("phone", "phone"),
        ImportColumn("notes", "notes"),
        ImportColumn("active", "is_active", parse_bool),
    )

    def export_queryset(self, tenant):
        return self.queryset(tenant).select_related("default_agreement_group").order_by("number")


class _PerCustomerKind(ImportKind):
    """Sites and contacts: a record is its customer's number and its name."""

    identity = ("customer", "name")
    flag = ""  # the one-per-customer flag (the default site, the primary contact)

    def existing(self, tenant, identities):
        numbers = {customer for customer, _name in identities}
        records = self.queryset(tenant).filter(customer__number__in=numbers)
        found = {}
        for record in records.select_related("customer").order_by("pk"):
            found.setdefault((record.customer.number, record.name.lower()), record)
        return found

    def key_label(self, row: Row) -> str:
        return " / ".join(row.values.get(n, "").strip() for n in self.identity)

    def check_rows(self, tenant, rows):
        flagged: dict[str, int] = {}
        column = next(c.name for c in self.columns if c.field == self.flag)
        for row in rows:
            if row.ok and row.data.get(self.flag):
                customer = row.values["customer"].strip()
                if customer in flagged:
                    row.error(
                        column,
                        _("Customer %(customer)s has one already (row %(line)s).")
                        % {"customer": customer, "line": flagged[customer]},
                    )
                else:
                    flagged[customer] = row.line

    def save(self, tenant, rows):
        # The file's default site (primary contact) takes over from the one the customer had;
        # without the column, a customer's first one becomes it (as when added by hand).
        customers = {row.instance.customer_id for row in rows}
        model = self.model_class()
        flagged = {row.instance.customer_id for row in rows if getattr(row.instance, self.flag)}
        model.objects.for_tenant(tenant).filter(
            customer_id__in=flagged, **{self.flag: True}
        ).update(**{self.flag: False})
        having = (
            set(
                model.objects.for_tenant(tenant)
                .filter(customer_id__in=customers, **{self.flag: True})
                .values_list("customer_id", flat=True)
            )
            | flagged
        )
        flag_column = next(c.name for c in self.columns if c.field == self.flag)
        for row in rows:  # unless the file says which (the column is there)
            if flag_column in row.values:
                continue
            if row.action == CREATE and row.instance.customer_id not in having:
                setattr(row.instance, self.flag, True)
                having.add(row.instance.customer_id)
        super().save(tenant, rows)
        if any(row.action == UPDATE for row in rows):
            updated = [row.instance for row in rows if row.action == UPDATE]
            model.objects.bulk_update(updated, [self.flag], batch_size=500)

    def export_queryset(self, tenant):
        return self.queryset(tenant).select_related("customer").order_by("customer__number", "pk")


class SiteKind(_PerCustomerKind):
    key = "sites"
    label = gettext_lazy("Service sites")
    model = "customers.CustomerSite"
    flag = "is_default"
    order = 20
    list_url = "customers:customer_list"
    columns = (
        ImportColumn("customer", "customer", ref=CUSTOMER, required=True),
        ImportColumn("name", "name", required=True),
        ImportColumn("street", "street"),
        ImportColumn("postal_code", "postal_code"),
        ImportColumn("city", "city"),
        ImportColumn("country", "country", lambda v: v.strip().upper()),
        ImportColumn("default", "is_default", parse_bool),
    )

    def validate(self, tenant, row, instance):
        super().validate(tenant, row, instance)
        if instance.is_archived and instance.is_default:
            row.error(
                "default", _("An archived site cannot be the default site; restore it first.")
            )


class ContactKind(_PerCustomerKind):
    key = "contacts"
    label = gettext_lazy("Contacts")
    model = "customers.CustomerContact"
    flag = "is_primary"
    order = 30
    list_url = "customers:customer_list"
    columns = (
        ImportColumn("customer", "customer", ref=CUSTOMER, required=True),
        ImportColumn("name", "name", required=True),
        ImportColumn("role", "role"),
        ImportColumn("email", "email"),
        ImportColumn("phone", "phone"),
        ImportColumn("primary", "is_primary", parse_bool),
    )


class ItemKind(ImportKind):
    key = "items"
    label = gettext_lazy("Items")
    model = "customers.Item"
    sequence = "item"
    order = 40
    list_url = "customers:item_list"
    columns = (
        ImportColumn("number", "number"),
        ImportColumn("name", "name", required=True),
        ImportColumn("unit", "unit"),
        ImportColumn("serial_tracked", "is_serial_tracked", parse_bool),
        ImportColumn("cost_price", "cost_price", parse_decimal),
        ImportColumn("sales_price", "sales_price", parse_decimal),
        ImportColumn("active", "is_active", parse_bool),
    )

    def assign(self, instance, row):
        super().assign(instance, row)
        for price in ("cost_price", "sales_price"):
            if getattr(instance, price) is None:
                setattr(instance, price, 0)

    def export_queryset(self, tenant):
        return self.queryset(tenant).order_by("number")


def _site_name(obj) -> str:
    return obj.site.name if obj.site_id else ""


class ObjectKind(ImportKind):
    key = "objects"
    label = gettext_lazy("Service objects")
    model = "customers.ServiceObject"
    sequence = "service_object"
    order = 50
    list_url = "customers:object_list"
    columns = (
        ImportColumn("number", "number"),
        ImportColumn("name", "name", required=True),
        ImportColumn("customer", "customer", ref=CUSTOMER, required=True),
        # The name of one of the customer's sites.
        ImportColumn("site", "site", export=_site_name),
        ImportColumn("item", "item", ref=Ref("customers.Item", "number")),
        ImportColumn("group", "group", ref=Ref("customers.ServiceObjectGroup", "code")),
        ImportColumn("serial_number", "serial_number"),
        ImportColumn("install_date", "install_date", parse_date),
        ImportColumn("warranty_end", "warranty_end", parse_date),
        # The number of the object this one is part of (in the tenant or in the same file).
        ImportColumn("parent", "parent", export=lambda o: o.parent.number if o.parent_id else ""),
        ImportColumn("notes", "notes"),
        ImportColumn("active", "is_active", parse_bool),
    )

    def resolve(self, tenant, rows):
        super().resolve(tenant, rows)
        for row in rows:
            row.data.pop("site", None)
            row.data.pop("parent", None)
        self._resolve_sites(tenant, rows)
        self._resolve_parents(tenant, rows)

    def _resolve_sites(self, tenant, rows):
        named = [r for r in rows if r.values.get("site", "").strip() and r.data.get("customer")]
        customers = {r.data["customer"].pk for r in named}
        sites: dict[tuple, CustomerSite] = {}
        for site in CustomerSite.objects.for_tenant(tenant).filter(customer_id__in=customers):
            sites.setdefault((site.customer_id, site.name.lower()), site)
        for row in rows:
            if "site" not in row.values:
                continue
            name = row.values["site"].strip()
            if not name:
                row.data["site"] = None
                continue
            customer = row.data.get("customer")
            if customer is None:
                continue  # the customer's own error says why
            site = sites.get((customer.pk, name.lower()))
            if site is None:
                row.error(
                    "site",
                    _("Customer %(customer)s has no site “%(site)s”.")
                    % {"customer": customer.number, "site": name},
                )
            elif site.is_archived:
                row.error(
                    "site", _("This site is archived: choose another one or restore it first.")
                )
            else:
                row.data["site"] = site

    def _resolve_parents(self, tenant, rows):
        in_file = {r.values.get("number", "").strip(): r for r in rows if r.values.get("number")}
        wanted = {r.values.get("parent", "").strip() for r in rows} - {""}
        stored = {
            o.number: o for o in ServiceObject.objects.for_tenant(tenant).filter(number__in=wanted)
        }
        for row in rows:
            number = row.values.get("parent", "").strip() if "parent" in row.values else None
            if number is None:
                continue
            row.later_parent = None
            if not number:
                row.data["parent"] = None
            elif number in in_file:
                row.later_parent = number  # set once the file's objects are saved
                row.data["parent"] = None
            elif number in stored:
                row.data["parent"] = stored[number]
            else:
                row.error("parent", _("No service object “%(value)s” exists.") % {"value": number})

    def validate(self, tenant, row, instance):
        super().validate(tenant, row, instance)
        if (
            instance.item is not None
            and instance.item.is_serial_tracked
            and not instance.serial_number
        ):
            row.error("serial_number", _("This item is serial-tracked: enter the serial number."))

    def assign(self, instance, row):
        if row.action == UPDATE and moves(row.data.get("customer"), instance.customer_id):
            row.error(
                "customer",
                _("The customer of an existing object cannot be changed by an import."),
            )
        super().assign(instance, row)

    def check_rows(self, tenant, rows):
        # A serial number once per item: in the file and against the stored objects.
        keyed = [r for r in rows if r.ok and r.instance.item_id and r.instance.serial_number]
        stored = {
            (item_id, serial): pk
            for pk, item_id, serial in ServiceObject.objects.for_tenant(tenant)
            .filter(serial_number__in={r.instance.serial_number for r in keyed})
            .values_list("pk", "item_id", "serial_number")
        }
        seen_serials: dict[tuple, int] = {}
        for row in keyed:
            key = (row.instance.item_id, row.instance.serial_number)
            if key in seen_serials:
                row.error(
                    "serial_number",
                    _("This serial number is on row %(line)s for the same item.")
                    % {"line": seen_serials[key]},
                )
            elif stored.get(key) not in (None, row.instance.pk):
                row.error(
                    "serial_number", _("This serial number is already registered for this item.")
                )
            seen_serials[key] = row.line
        # A part and its parent in the same file: same customer, a valid parent row, no cycle.
        by_number = {r.values.get("number", "").strip(): r for r in rows if r.values.get("number")}
        for row in rows:
            parent_number = getattr(row, "later_parent", None)
            if not parent_number or not row.ok:
                continue
            parent_row = by_number[parent_number]
            if parent_row.values.get("customer", "").strip() != row.values["customer"].strip():
                row.error("parent", _("A part must belong to the same customer as its parent."))
                continue
            seen, current = {row.values["number"].strip()}, parent_number
            while current:
                if current in seen:
                    row.error(
                        "parent",
                        _("An object cannot be part of itself or of one of its own parts."),
                    )
                    break
                seen.add(current)
                current = getattr(by_number.get(current), "later_parent", None)
        for row in rows:  # after the checks above: a parent row that failed fails its parts
            parent_number = getattr(row, "later_parent", None)
            if parent_number and row.ok and not by_number[parent_number].ok:
                row.error(
                    "parent",
                    _("The row of its parent (row %(line)s) has errors.")
                    % {"line": by_number[parent_number].line},
                )

    def save(self, tenant, rows):
        super().save(tenant, rows)
        by_number = {row.instance.number: row.instance for row in rows}
        parts = [row for row in rows if getattr(row, "later_parent", None)]
        for row in parts:
            row.instance.parent = by_number[row.later_parent]
        if parts:
            ServiceObject.objects.bulk_update(
                [r.instance for r in parts], ["parent"], batch_size=500
            )

    def export_queryset(self, tenant):
        return (
            self.queryset(tenant)
            .select_related("customer", "site", "item", "group", "parent")
            .order_by("number")
        )


def register_import_kinds() -> None:
    for kind in (CustomerKind(), SiteKind(), ContactKind(), ItemKind(), ObjectKind()):
        register_import_kind(kind)
