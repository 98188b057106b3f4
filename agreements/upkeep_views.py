"""Rate cards (of agreements and of agreement groups) and bulk upkeep of an agreement: covering
many objects at once, copying a template's lines in, changing chosen lines together.

Every bulk action shows what it will do first (a preview with a confirm button); only the
confirmed POST changes anything, in one transaction, with one activity-log event.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from web.confirm import (
    CONFIRMED,
    Confirmation,
    confirmation_form,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.lists import FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.submissions import create_once_url

from . import forms, selectors, services
from .capabilities import MANAGE_AGREEMENTS, VIEW_AGREEMENTS
from .models import TimeWindow

VIEW = VIEW_AGREEMENTS
MANAGE = MANAGE_AGREEMENTS


def _posted(request):
    return request.POST if request.method == "POST" else None


def _agreement_url(agreement_id: int, anchor: str = "") -> str:
    return reverse("agreements:agreement_detail", args=[agreement_id]) + anchor


def _group_url(group_id: int) -> str:
    return reverse("agreements:group_rates", args=[group_id])


# --- Rate cards --------------------------------------------------------------------------------

RATE_CARD_COLUMNS = [
    Column("code", gettext_lazy("Code"), "code", role=TITLE, nowrap=True),
    Column(
        "name",
        gettext_lazy("Group name"),
        "name",
        role=FACT,
        truncate=True,
        link=link_to("agreements:group_rates"),
    ),
    Column("rate_count", gettext_lazy("Rates"), "rate_count", role=FACT, numeric=True),
]


@capability_required(VIEW)
def rate_card_list(request):
    """The agreement groups, each with its default rate card."""
    return list_response(
        request,
        selectors.rate_card_groups(tenant=request.tenant),
        template="agreements/rate_card_list.html",
        columns=RATE_CARD_COLUMNS,
        default_sort="code",
        csv_filename="rate-cards",
    )


@capability_required(VIEW)
def group_rates(request, pk: int):
    group = get_or_404(selectors.agreement_group_get, tenant=request.tenant, pk=pk)
    return render(
        request,
        "agreements/group_rates.html",
        {
            "group": group,
            "rates": selectors.rate_entries(tenant=request.tenant, group=group),
            "can_manage": request_can(request, MANAGE),
        },
    )


def _rate_form_page(request, form, *, agreement=None, group=None, rate=None):
    return render(
        request,
        "agreements/rate_form.html",
        {"form": form, "agreement": agreement, "group": group, "rate": rate},
    )


@capability_required(MANAGE)
def group_rate_create(request, pk: int):
    group = get_or_404(selectors.agreement_group_get, tenant=request.tenant, pk=pk)
    form = forms.RateForm(_posted(request), tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.rate_create(
                tenant=request.tenant, by=request.user, group=group, data=form.cleaned_data
            )
            messages.success(
                request, _("Rate added to the rate card of %(group)s.") % {"group": group}
            )
            return _group_url(group.pk)

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _rate_form_page(request, form, group=group)


@capability_required(MANAGE)
def agreement_rate_create(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    form = forms.RateForm(_posted(request), tenant=request.tenant, agreement=agreement)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.rate_create(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                data=form.cleaned_data,
            )
            messages.success(
                request,
                _("Rate added to the rate card of %(number)s.") % {"number": agreement.number},
            )
            return _agreement_url(agreement.pk, "#rates")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _rate_form_page(request, form, agreement=agreement)


def _rate_back(rate) -> str:
    return (
        _agreement_url(rate.agreement_id, "#rates")
        if rate.agreement_id
        else _group_url(rate.group_id)
    )


@capability_required(MANAGE)
def rate_edit(request, pk: int):
    rate = get_or_404(selectors.rate_get, tenant=request.tenant, pk=pk)
    form = forms.RateForm(
        _posted(request), instance=rate, tenant=request.tenant, agreement=rate.agreement
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.rate_update(
                tenant=request.tenant, by=request.user, rate_id=rate.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Rate saved."))
            return redirect(_rate_back(rate))
    return _rate_form_page(request, form, agreement=rate.agreement, group=rate.group, rate=rate)


@capability_required(MANAGE)
def rate_delete(request, pk: int):
    rate = get_or_404(selectors.rate_get, tenant=request.tenant, pk=pk)
    back = _rate_back(rate)
    form = confirmation_form(request)
    if not form.is_valid():
        return confirmation_response(
            request,
            Confirmation(
                title=_("Remove the rate “%(rate)s”?") % {"rate": rate},
                consequence=_(
                    "Lines added or generated from now on no longer use it; lines already on "
                    "orders keep their prices."
                ),
                button=_("Remove rate"),
                cancel_url=back,
                form=form,
            ),
        )
    try:
        services.rate_delete(tenant=request.tenant, by=request.user, rate_id=rate.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rate removed."))
    return confirmed_redirect(request, back)


# --- Bulk: cover many objects ------------------------------------------------------------------


def _preview(request, template: str, context: dict, status: int = 200):
    return render(request, template, context, status=status)


@capability_required(MANAGE)
def agreement_objects_bulk(request, pk: int):
    """Choose the customer's objects by site and object group (all found are ticked), then
    confirm the list; only the confirmed POST adds them."""
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    filters = forms.ObjectBulkFilterForm(request.GET, tenant=request.tenant, agreement=agreement)
    data = filters.cleaned_data if filters.is_valid() else {}
    candidates = selectors.objects_for_bulk_add(
        tenant=request.tenant, agreement=agreement, site=data.get("site"), group=data.get("group")
    )
    context = {"agreement": agreement, "filters": filters, "candidates": candidates, "error": ""}
    if request.method == "POST":
        chosen = request.POST.getlist("objects")
        if CONFIRMED in request.POST:
            try:
                added = services.agreement_objects_add_bulk(
                    tenant=request.tenant,
                    by=request.user,
                    agreement_id=agreement.pk,
                    object_ids=chosen,
                )
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
                return _preview(request, "agreements/objects_bulk.html", context, status=400)
            messages.success(
                request,
                ngettext(
                    "%(count)d service object added to %(number)s.",
                    "%(count)d service objects added to %(number)s.",
                    len(added),
                )
                % {"count": len(added), "number": agreement.number},
            )
            return redirect(_agreement_url(agreement.pk, "#objects"))
        chosen_objects = selectors.chosen_objects(
            tenant=request.tenant, agreement=agreement, object_ids=chosen
        )
        if not chosen_objects:
            context["error"] = _("Choose at least one service object.")
            return _preview(request, "agreements/objects_bulk.html", context, status=400)
        context["chosen"] = chosen_objects
        return _preview(request, "agreements/objects_bulk_confirm.html", context)
    return _preview(request, "agreements/objects_bulk.html", context)


# --- Bulk: copy a template's lines in ----------------------------------------------------------


@capability_required(MANAGE)
def agreement_lines_copy(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    form = forms.LinesCopyForm(_posted(request), tenant=request.tenant, agreement=agreement)
    context = {"agreement": agreement, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if CONFIRMED in request.POST:
                copies = services.agreement_lines_copy(
                    tenant=request.tenant,
                    by=request.user,
                    agreement_id=agreement.pk,
                    template_id=data["template"].pk,
                    start_date=data["start_date"],
                )
                messages.success(
                    request,
                    ngettext(
                        "%(count)d line copied from %(template)s.",
                        "%(count)d lines copied from %(template)s.",
                        len(copies),
                    )
                    % {"count": len(copies), "template": data["template"].number},
                )
                return redirect(_agreement_url(agreement.pk, "#lines"))
            template, copied, left_out = services.lines_copy_plan(
                tenant=request.tenant,
                agreement=agreement,
                template_id=data["template"].pk,
                start_date=data["start_date"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            for line in copied:
                line.schedule_text = selectors.line_schedule_text(line)
            context.update(template=template, copied=copied, left_out=left_out)
            return render(request, "agreements/lines_copy_confirm.html", context)
    return render(request, "agreements/lines_copy.html", context)


# --- Bulk: change chosen lines together --------------------------------------------------------


@capability_required(MANAGE)
def agreement_lines_bulk(request, pk: int):
    """From the agreement's line table: the chosen lines and what to change; a preview of each
    line's changes, then the confirmed change."""
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.LinesBulkUpdateForm(request.POST, tenant=request.tenant)
    line_ids = request.POST.getlist("lines")
    context = {"agreement": agreement, "form": form, "line_ids": line_ids}
    if form.is_valid():
        try:
            if CONFIRMED in request.POST:
                changed = services.agreement_lines_bulk_update(
                    tenant=request.tenant,
                    by=request.user,
                    agreement_id=agreement.pk,
                    line_ids=line_ids,
                    data=form.cleaned_data,
                )
                messages.success(
                    request,
                    ngettext("%(count)d line changed.", "%(count)d lines changed.", len(changed))
                    % {"count": len(changed)},
                )
                return redirect(_agreement_url(agreement.pk, "#lines"))
            planned = services.agreement_lines_bulk_preview(
                tenant=request.tenant,
                agreement_id=agreement.pk,
                line_ids=line_ids,
                data=form.cleaned_data,
            )
            for _line, changes in planned:
                if "time_window" in changes:
                    old, new = changes["time_window"]
                    changes["time_window"] = (TimeWindow(old).label, TimeWindow(new).label)
            context["planned"] = planned
        except ValidationError as exc:
            attach_errors(form, exc)
    status = 200 if form.is_valid() else 400
    return render(request, "agreements/lines_bulk_confirm.html", context, status=status)
