"""Customer groups (corporate, public sector…): a commercial grouping of customers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.forms import SearchForm, attach_errors
from web.lists import ACTION, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from .. import selectors, services
from ..capabilities import MANAGE_MASTER_DATA, VIEW_MASTER_DATA
from ..forms import CustomerGroupForm

GROUP_COLUMNS = [
    Column("code", gettext_lazy("Code"), "code", role=FACT, nowrap=True),
    Column("name", gettext_lazy("Customer group name"), "name", role=TITLE, truncate=True),
    Column(
        "edit",
        gettext_lazy("Edit"),
        role=ACTION,
        link=link_to("customers:customer_group_edit"),
        capability=MANAGE_MASTER_DATA,
        export=False,
    ),
]


@capability_required(VIEW_MASTER_DATA)
def group_list(request):
    search = request.GET.get("q", "").strip()
    return list_response(
        request,
        selectors.customer_group_list(tenant=request.tenant, search=search),
        template="customers/customer_groups/group_list.html",
        columns=GROUP_COLUMNS,
        default_sort="code",
        csv_filename="customer-groups",
        context={"search": search, "filters": SearchForm(request.GET)},
    )


def _form_page(request, form, group=None):
    return render(
        request, "customers/customer_groups/group_form.html", {"form": form, "group": group}
    )


@capability_required(MANAGE_MASTER_DATA)
def group_create(request):
    form = CustomerGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            group = services.customer_group_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Customer group %(code)s saved.") % {"code": group.code})
            return reverse("customers:customer_group_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _form_page(request, form)


@capability_required(MANAGE_MASTER_DATA)
def group_edit(request, pk: int):
    group = get_or_404(selectors.customer_group_get, tenant=request.tenant, pk=pk)
    form = CustomerGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_group_update(
                tenant=request.tenant, by=request.user, group_id=group.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Customer group %(code)s saved.") % {"code": group.code})
            return redirect("customers:customer_group_list")
    return _form_page(request, form, group)
