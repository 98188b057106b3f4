"""Configuration pages of the tenant's stage tree and its reason codes (tenant admin, manager)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from web.forms import attach_errors
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from . import selectors
from .capabilities import MANAGE_STAGES
from .services import stages
from .workflow_forms import ReasonCodeForm, StageForm

TREE_URL = "service_orders:stage_tree"


@capability_required(MANAGE_STAGES)
def stage_tree(request):
    stages.stage_tree_ensure(tenant=request.tenant)
    return render(
        request,
        "service_orders/stages/stage_tree.html",
        {"roots": selectors.stage_tree(tenant=request.tenant)},
    )


def _stage_form_page(request, form, stage=None, *, status=200):
    return render(
        request,
        "service_orders/stages/stage_form.html",
        {"form": form, "stage": stage},
        status=status,
    )


@capability_required(MANAGE_STAGES)
def stage_create(request):
    initial = {}
    if (parent := request.GET.get("parent", "")).isdigit():
        initial["parent"] = int(parent)
    form = StageForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            stage = stages.stage_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Stage %(name)s added.") % {"name": stage.name})
            return reverse(TREE_URL)

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _stage_form_page(request, form, status=400 if form.errors else 200)


@capability_required(MANAGE_STAGES)
def stage_edit(request, pk: int):
    stage = get_or_404(selectors.stage_get, tenant=request.tenant, pk=pk)
    form = StageForm(request.POST or None, instance=stage, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            stages.stage_update(
                tenant=request.tenant, by=request.user, stage_id=pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Stage %(name)s saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect(TREE_URL)
    stage.refresh_from_db()
    return _stage_form_page(request, form, stage, status=400 if form.errors else 200)


@capability_required(MANAGE_STAGES)
def stage_delete(request, pk: int):
    stage = get_or_404(selectors.stage_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        stages.stage_delete(tenant=request.tenant, by=request.user, stage_id=stage.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("service_orders:stage_edit", pk=stage.pk)
    messages.success(request, _("Stage %(name)s deleted.") % {"name": stage.name})
    return redirect(TREE_URL)


def _reason_page(request, form, stage, reason=None, *, status=200):
    return render(
        request,
        "service_orders/stages/reason_form.html",
        {"form": form, "stage": stage, "reason": reason},
        status=status,
    )


@capability_required(MANAGE_STAGES)
def reason_create(request, pk: int):
    stage = get_or_404(selectors.stage_get, tenant=request.tenant, pk=pk)
    form = ReasonCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            reason = stages.reason_code_create(
                tenant=request.tenant, by=request.user, stage_id=stage.pk, data=form.cleaned_data
            )
            messages.success(request, _("Reason %(name)s added.") % {"name": reason.name})
            return reverse(TREE_URL)

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _reason_page(request, form, stage, status=400 if form.errors else 200)


@capability_required(MANAGE_STAGES)
def reason_edit(request, pk: int):
    reason = get_or_404(selectors.reason_code_get, tenant=request.tenant, pk=pk)
    form = ReasonCodeForm(request.POST or None, instance=reason)
    if request.method == "POST" and form.is_valid():
        try:
            stages.reason_code_update(
                tenant=request.tenant, by=request.user, reason_id=pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Reason saved."))
            return redirect(TREE_URL)
    return _reason_page(request, form, reason.stage, reason, status=400 if form.errors else 200)


@capability_required(MANAGE_STAGES)
def reason_delete(request, pk: int):
    reason = get_or_404(selectors.reason_code_get, tenant=request.tenant, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    stages.reason_code_delete(tenant=request.tenant, by=request.user, reason_id=reason.pk)
    messages.success(request, _("Reason %(name)s deleted.") % {"name": reason.name})
    return redirect(TREE_URL)
