"""Customers: list, create, edit, delete and the detail page with sites, contacts, the object
tree, agreements and (from service_orders, loaded with htmx) recent orders.

Sites and contacts are edited in place on the customer page when htmx is there: the add/edit
form loads into the page, and a successful save swaps the whole section. Without JavaScript the
same URLs are ordinary pages that redirect back to the customer.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import reswap, retarget

from web.confirm import (
    Confirmation,
    confirmation_form,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.htmx import with_messages
from web.lists import BADGE, FACT, TITLE, Column, ImportExport, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once, create_once_url, submission_complete

from .. import selectors, services
from ..capabilities import MANAGE_MASTER_DATA, VIEW_MASTER_DATA
from ..forms import ContactForm, CustomerFilterForm, CustomerForm, SiteForm
from ..models import Customer
from .coverage import save_with_coverage_check

# --- List, create, edit, delete ------------------------------------------------------------------


def _customer_url(customer: Customer) -> str:
    return reverse("customers:customer_detail", args=[customer.pk])


CUSTOMER_COLUMNS = [
    Column("number", gettext_lazy("Number"), "number", role=FACT, nowrap=True, link=_customer_url),
    Column(
        "name",
        gettext_lazy("Customer name"),
        "name",
        role=TITLE,
        truncate=True,
        link=_customer_url,
    ),
    Column("city", gettext_lazy("City"), "city", role=FACT, truncate=True),
    Column("phone", gettext_lazy("Phone"), role=FACT, nowrap=True, breakpoint="md"),
    Column("email", gettext_lazy("E-mail"), truncate=True, breakpoint="lg"),
    Column("object_count", gettext_lazy("Objects"), "object_count", numeric=True, breakpoint="md"),
    Column(
        "is_active",
        gettext_lazy("Active"),
        "is_active",
        role=BADGE,
        template="web/cells/active.html",
    ),
]


@capability_required(VIEW_MASTER_DATA)
def customer_list(request):
    filters = CustomerFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.customer_list(
        tenant=request.tenant, search=data.get("q", ""), status=data.get("status", "")
    )
    return list_response(
        request,
        qs,
        template="customers/customers/customer_list.html",
        columns=CUSTOMER_COLUMNS,
        default_sort="name",
        csv_filename="customers",
        imports=[
            ImportExport("customers"),
            ImportExport("sites", "customer"),
            ImportExport("contacts", "customer"),
        ],
        context={"filters": filters},
    )


@capability_required(MANAGE_MASTER_DATA)
def customer_create(request):
    form = CustomerForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            customer = services.customer_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(
                request,
                _("Customer %(name)s created with number %(number)s.")
                % {"name": customer.name, "number": customer.number},
            )
            return reverse("customers:customer_detail", args=[customer.pk])

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(
        request, "customers/customers/customer_form.html", {"form": form, "customer": None}
    )


@capability_required(MANAGE_MASTER_DATA)
def customer_edit(request, pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, tenant=request.tenant)
    context = {"form": form, "customer": customer}
    if request.method == "POST" and form.is_valid():
        # Deactivating cancels the customer's open generated visits: shown first.
        saved, extra = save_with_coverage_check(
            request,
            form,
            lambda data: services.customer_update(
                tenant=request.tenant, by=request.user, customer_id=customer.pk, data=data
            ),
            fields=("is_active",),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("customers:customer_detail", pk=customer.pk)
        context.update(extra)
    return render(request, "customers/customers/customer_form.html", context)


@capability_required(MANAGE_MASTER_DATA)
def customer_delete(request, pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    detail_url = reverse("customers:customer_detail", args=[customer.pk])
    form = confirmation_form(request)
    if not form.is_valid():
        confirmation = Confirmation(
            title=_("Delete customer %(customer)s?") % {"customer": customer},
            consequence=_(
                "Its service sites and contacts are deleted with it. This cannot be undone. "
                "A customer with service objects, agreements or orders cannot be deleted; "
                "deactivate it instead."
            ),
            button=_("Delete"),
            cancel_url=detail_url,
            form=form,
        )
        return confirmation_response(request, confirmation)
    try:
        services.customer_delete(tenant=request.tenant, by=request.user, customer_id=customer.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return confirmed_redirect(request, detail_url)
    messages.success(request, _("Customer %(name)s deleted.") % {"name": customer.name})
    return confirmed_redirect(request, reverse("customers:customer_list"))


# --- Detail --------------------------------------------------------------------------------------


@capability_required(VIEW_MASTER_DATA)
def customer_detail(request, pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    # Archived sites and contacts (kept for the orders that refer to them) are listed apart.
    sites, contacts = customer.sites.all(), customer.contacts.all()
    context = {
        "customer": customer,
        "sites": [site for site in sites if not site.is_archived],
        "archived_sites": [site for site in sites if site.is_archived],
        "contacts": [contact for contact in contacts if not contact.is_archived],
        "archived_contacts": [contact for contact in contacts if contact.is_archived],
        "tree": selectors.customer_object_tree(tenant=request.tenant, customer=customer),
    }
    return render(request, "customers/customers/customer_detail.html", context)


# --- Sites and contacts --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubRecord:
    """What differs between a customer's sites and contacts on the shared views below."""

    kind: str  # "site" or "contact"
    section: str  # the customer page's section (and its context name)
    form_class: type
    id_arg: str  # the services' keyword for the record's id
    records: Callable
    create: Callable
    update: Callable
    delete: Callable
    restore: Callable


SITE = SubRecord(
    kind="site",
    section="sites",
    form_class=SiteForm,
    id_arg="site_id",
    records=selectors.customer_sites,
    create=services.site_create,
    update=services.site_update,
    delete=services.site_delete,
    restore=services.site_restore,
)
CONTACT = SubRecord(
    kind="contact",
    section="contacts",
    form_class=ContactForm,
    id_arg="contact_id",
    records=selectors.customer_contacts,
    create=services.contact_create,
    update=services.contact_update,
    delete=services.contact_delete,
    restore=services.contact_restore,
)
TITLES = {
    ("site", False): gettext_lazy("Add a service site"),
    ("site", True): gettext_lazy("Edit service site"),
    ("contact", False): gettext_lazy("Add a contact"),
    ("contact", True): gettext_lazy("Edit contact"),
}


def _section(request, customer: Customer, spec: SubRecord):
    """The customer page's sites or contacts section, swapped in place of the old one."""
    records = spec.records(tenant=request.tenant, customer=customer)
    archived = spec.records(tenant=request.tenant, customer=customer, archived=True)
    response = render(
        request,
        f"customers/customers/customer_detail.html#{spec.section}",
        {"customer": customer, spec.section: records, f"archived_{spec.section}": archived},
    )
    return reswap(retarget(response, f"#customer-{spec.section}"), "outerHTML")


def _saved(request, customer: Customer, spec: SubRecord, message: str):
    messages.success(request, message)
    if request.htmx:
        return with_messages(request, _section(request, customer, spec))
    return redirect("customers:customer_detail", pk=customer.pk)


def _record_form(request, customer: Customer, spec: SubRecord, record=None):
    # A new site is in the tenant's country unless the user says otherwise.
    initial = {"country": request.tenant.country} if spec is SITE and record is None else None
    form = spec.form_class(request.POST or None, instance=record, initial=initial)
    if request.method == "POST" and form.is_valid():
        common = {"tenant": request.tenant, "by": request.user, "customer_id": customer.pk}
        if record is None:
            created, earlier = create_once(
                request, form, lambda: spec.create(**common, data=form.cleaned_data)
            )
            if earlier:
                return redirect(earlier)
            if created is not None:
                submission_complete(
                    request, reverse("customers:customer_detail", args=[customer.pk])
                )
                return _saved(request, customer, spec, _("%(name)s added.") % {"name": created})
        else:
            try:
                spec.update(**common, **{spec.id_arg: record.pk}, data=form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                return _saved(request, customer, spec, _("Changes saved."))
    template = "customers/customers/subrecord_form.html"
    if request.htmx:
        template += "#form"
    context = {
        "customer": customer,
        "form": form,
        "record": record,
        "kind": spec.kind,
        "title": TITLES[(spec.kind, record is not None)],
        "action": request.path,
    }
    return render(request, template, context)


DELETE_QUESTIONS = {
    "site": (
        gettext_lazy("Remove the service site %(name)s of %(customer)s?"),
        gettext_lazy(
            "It is no longer offered for new orders and objects. If service orders or objects "
            "refer to it, it is archived instead: they keep it, and it can be restored. "
            "Otherwise this cannot be undone."
        ),
    ),
    "contact": (
        gettext_lazy("Remove the contact %(name)s of %(customer)s?"),
        gettext_lazy(
            "It is no longer offered for new orders. If service orders refer to it, it is "
            "archived instead: they keep it, and it can be restored. Otherwise this cannot be "
            "undone."
        ),
    ),
}


def _record_delete(request, customer: Customer, spec: SubRecord, record):
    """Asks first (web.confirm; after the lookups, so another tenant's id is a 404 either way)."""
    form = confirmation_form(request)
    if not form.is_valid():
        question, consequence = DELETE_QUESTIONS[spec.kind]
        confirmation = Confirmation(
            title=str(question) % {"name": record, "customer": customer.name},
            consequence=str(consequence),
            button=_("Remove"),
            cancel_url=reverse("customers:customer_detail", args=[customer.pk]),
            form=form,
        )
        return confirmation_response(request, confirmation)
    outcome = spec.delete(
        tenant=request.tenant, by=request.user, customer_id=customer.pk, **{spec.id_arg: record.pk}
    )
    if outcome == services.ARCHIVED:
        messages.success(request, str(ARCHIVED_MESSAGES[spec.kind]) % {"name": record})
    else:
        messages.success(request, _("%(name)s removed.") % {"name": record})
    url = reverse("customers:customer_detail", args=[customer.pk]) + f"#customer-{spec.section}"
    return confirmed_redirect(request, url)


ARCHIVED_MESSAGES = {
    "site": gettext_lazy(
        "%(name)s is archived, not deleted: service orders or objects refer to it. It is no "
        "longer offered for new ones and can be restored."
    ),
    "contact": gettext_lazy(
        "%(name)s is archived, not deleted: service orders refer to it. It is no longer "
        "offered for new ones and can be restored."
    ),
}


def _record_restore(request, customer: Customer, spec: SubRecord, record):
    """Offer an archived site or contact again (POST; after the lookups, like delete)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    spec.restore(
        tenant=request.tenant, by=request.user, customer_id=customer.pk, **{spec.id_arg: record.pk}
    )
    messages.success(request, _("%(name)s restored.") % {"name": record})
    url = reverse("customers:customer_detail", args=[customer.pk]) + f"#customer-{spec.section}"
    return redirect(url)


@capability_required(MANAGE_MASTER_DATA)
def site_add(request, pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    return _record_form(request, customer, SITE)


@capability_required(MANAGE_MASTER_DATA)
def site_edit(request, pk: int, site_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    site = get_or_404(selectors.site_get, tenant=request.tenant, customer=customer, pk=site_pk)
    return _record_form(request, customer, SITE, site)


@capability_required(MANAGE_MASTER_DATA)
def site_delete(request, pk: int, site_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    site = get_or_404(selectors.site_get, tenant=request.tenant, customer=customer, pk=site_pk)
    return _record_delete(request, customer, SITE, site)


@capability_required(MANAGE_MASTER_DATA)
def site_restore(request, pk: int, site_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    site = get_or_404(selectors.site_get, tenant=request.tenant, customer=customer, pk=site_pk)
    return _record_restore(request, customer, SITE, site)


@capability_required(MANAGE_MASTER_DATA)
def contact_add(request, pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    return _record_form(request, customer, CONTACT)


@capability_required(MANAGE_MASTER_DATA)
def contact_edit(request, pk: int, contact_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    contact = get_or_404(
        selectors.contact_get, tenant=request.tenant, customer=customer, pk=contact_pk
    )
    return _record_form(request, customer, CONTACT, contact)


@capability_required(MANAGE_MASTER_DATA)
def contact_delete(request, pk: int, contact_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    contact = get_or_404(
        selectors.contact_get, tenant=request.tenant, customer=customer, pk=contact_pk
    )
    return _record_delete(request, customer, CONTACT, contact)


@capability_required(MANAGE_MASTER_DATA)
def contact_restore(request, pk: int, contact_pk: int):
    customer = get_or_404(selectors.customer_get, tenant=request.tenant, pk=pk)
    contact = get_or_404(
        selectors.contact_get, tenant=request.tenant, customer=customer, pk=contact_pk
    )
    return _record_restore(request, customer, CONTACT, contact)
