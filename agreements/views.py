"""Agreement groups, template groups, agreements, their states, relations and lines."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.coverage import coverage_description, coverage_preview
from customers.views.coverage import save_with_coverage_check
from web.confirm import (
    Confirmation,
    ConfirmationForm,
    ReasonConfirmationForm,
    confirmation_form,
    confirmation_refused,
    confirmation_response,
    confirmed_redirect,
)
from web.forms import attach_errors
from web.lists import BADGE, FACT, TITLE, Column, ImportExport, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required, request_can
from web.pickers import picker_query, picker_results
from web.registry import usage_of
from web.submissions import create_once_url
from web.undo import undo_offer, undo_payload

from . import forms, selectors, services
from .capabilities import MANAGE_AGREEMENTS, VIEW_AGREEMENTS
from .models import (
    Agreement,
    AgreementObject,
    AgreementState,
    AgreementTask,
)

VIEW = VIEW_AGREEMENTS
MANAGE = MANAGE_AGREEMENTS


def _detail_url(agreement_id: int) -> str:
    return reverse("agreements:agreement_detail", args=[agreement_id])


def _posted(request):
    """The submitted data for a bound form; an empty POST (all optional fields left blank, as in
    "Renew" with the proposed end date) is still a submission."""
    return request.POST if request.method == "POST" else None


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# --- Template groups ---------------------------------------------------------------------------


@capability_required(VIEW)
def template_group_list(request):
    return render(
        request,
        "agreements/template_group_list.html",
        {"rows": selectors.template_group_tree(tenant=request.tenant)},
    )


def _template_group_form_page(request, form, group=None):
    return render(
        request,
        "agreements/template_group_form.html",
        {"form": form, "group": group},
    )


@capability_required(MANAGE)
def template_group_create(request):
    form = forms.TemplateGroupForm(_posted(request), tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.template_group_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Template group saved."))
            return reverse("agreements:template_group_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _template_group_form_page(request, form)


@capability_required(MANAGE)
def template_group_edit(request, pk: int):
    group = get_or_404(selectors.template_group_get, tenant=request.tenant, pk=pk)
    form = forms.TemplateGroupForm(_posted(request), instance=group, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_group_update(
                tenant=request.tenant, by=request.user, group_id=group.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Template group saved."))
            return redirect("agreements:template_group_list")
    return _template_group_form_page(request, form, group)


# --- Agreement list ----------------------------------------------------------------------------

AGREEMENT_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        "number",
        role=TITLE,
        nowrap=True,
        link=link_to("agreements:agreement_detail"),
    ),
    Column("description", gettext_lazy("Description"), "description", role=FACT, truncate=True),
    Column(
        "customer.name",
        gettext_lazy("Customer"),
        "customer__name",
        role=FACT,
        truncate=True,
        link=link_to("customers:customer_detail", "customer_id"),
    ),
    Column("group.code", gettext_lazy("Group"), "group__code", nowrap=True, breakpoint="lg"),
    Column(
        "get_state_display",
        gettext_lazy("State"),
        "state",
        role=BADGE,
        template="agreements/cells/state.html",
    ),
    Column("start_date", gettext_lazy("Start"), "start_date", nowrap=True, breakpoint="lg"),
    Column("end_date", gettext_lazy("End"), "end_date", role=FACT, nowrap=True, breakpoint="md"),
    Column(
        "is_template",
        gettext_lazy("Template"),
        "is_template",
        role=BADGE,
        template="agreements/cells/template.html",
        breakpoint="lg",
    ),
]


@capability_required(VIEW)
def agreement_list(request):
    filters = forms.AgreementFilterForm(request.GET, tenant=request.tenant)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.agreement_list(
        tenant=request.tenant,
        search=data.get("q", ""),
        state=data.get("state", ""),
        customer_id=data["customer"].pk if data.get("customer") else None,
        group_id=data["group"].pk if data.get("group") else None,
        templates=data.get("templates", ""),
        ends_from=data.get("ends_from"),
        ends_to=data.get("ends_to"),
    )
    return list_response(
        request,
        qs,
        template="agreements/agreement_list.html",
        columns=AGREEMENT_COLUMNS,
        default_sort="number",
        csv_filename="agreements",
        imports=[ImportExport("agreements"), ImportExport("agreement_lines", "agreement")],
        context={"filters": filters},
    )


# --- Create and edit ---------------------------------------------------------------------------


@capability_required(MANAGE)
def agreement_create(request):
    # From a customer's page: that customer, preselected (and in the breadcrumbs).
    raw = request.GET.get("customer", "")
    customer = (
        selectors.customer_choices(tenant=request.tenant).filter(pk=raw).first()
        if raw.isdigit()
        else None
    )
    initial = {"customer": customer.pk if customer else None}
    form = forms.AgreementForm(_posted(request), initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            agreement = services.agreement_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("%(number)s created.") % {"number": agreement.number})
            return _detail_url(agreement.pk)

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(
        request,
        "agreements/agreement_form.html",
        {"form": form, "agreement": None, "customer": customer},
    )


@capability_required(MANAGE)
def agreement_edit(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    form = forms.AgreementForm(_posted(request), instance=agreement, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(number)s saved.") % {"number": agreement.number})
            return redirect(_detail_url(agreement.pk))
    return render(
        request,
        "agreements/agreement_form.html",
        {"form": form, "agreement": agreement},
    )


# --- Detail ------------------------------------------------------------------------------------

TRANSITION_BUTTONS = {
    "activate": (gettext_lazy("Activate"), "btn-success"),
    "suspend": (gettext_lazy("Suspend"), "btn-outline-warning"),
    "resume": (gettext_lazy("Resume"), "btn-success"),
    "expire": (gettext_lazy("Expire"), "btn-outline-secondary"),
    "cancel": (gettext_lazy("Cancel agreement"), "btn-outline-danger"),
}


def _available_transitions(agreement: Agreement) -> list[dict]:
    names = {t.name for t in agreement.get_available_state_transitions()}
    if agreement.is_template:
        names.discard("activate")  # templates never generate; the service refuses it as well
    return [
        {
            "name": name,
            "label": label,
            "css": css,
            "url": f"agreements:agreement_{name}",
            "confirm": name in CONFIRMED_TRANSITIONS,
        }
        for name, (label, css) in TRANSITION_BUTTONS.items()
        if name in names
    ]


def _detail_page(request, pk: int, *, status: int = 200, refusal: str = "", **forms_in_use):
    agreement = get_or_404(selectors.agreement_detail, tenant=request.tenant, pk=pk)
    can_manage = request_can(request, MANAGE)
    editable = agreement.state in selectors.EDITABLE_STATES
    renewals = list(agreement.renewals.all())
    context = {
        "agreement": agreement,
        "lines": agreement.lines.all(),
        "never_due": [line.position for line in agreement.lines.all() if line.never_due],
        "object_links": agreement.object_links.all(),
        "task_links": agreement.task_links.all(),
        "suspensions": agreement.suspensions.all(),
        "renewal": renewals[0] if renewals else None,
        "transitions": _available_transitions(agreement) if can_manage else [],
        "can_manage": can_manage,
        "editable": can_manage and editable,
        "renewable": (
            can_manage
            and not renewals
            and not agreement.is_template
            and agreement.end_date is not None
            and agreement.state in services.RENEWABLE_STATES
        ),
        "can_mark_template": (
            can_manage and not agreement.is_template and agreement.state == AgreementState.DRAFT
        ),
        "refusal": refusal,
    }
    if context["editable"]:
        context["object_form"] = forms_in_use.get("object_form") or forms.ObjectAddForm(
            tenant=request.tenant, agreement=agreement
        )
        context["task_form"] = forms_in_use.get("task_form") or forms.TaskAddForm(
            tenant=request.tenant, agreement=agreement
        )
        context["bulk_form"] = forms.LinesBulkUpdateForm(tenant=request.tenant)
    context["rates"] = selectors.agreement_rate_rows(tenant=request.tenant, agreement=agreement)
    context["resume_form"] = forms_in_use.get("resume_form") or forms.ResumeForm()
    return render(request, "agreements/agreement_detail.html", context, status=status)


@capability_required(VIEW)
def agreement_detail(request, pk: int):
    return _detail_page(request, pk)


# --- State transitions -------------------------------------------------------------------------

TRANSITION_FORMS = {"resume": forms.ResumeForm}
# The state changes that ask first: (confirmation form, question, consequence).
CONFIRMED_TRANSITIONS = {
    "suspend": (
        forms.SuspendConfirmationForm,
        gettext_lazy("Suspend agreement %(number)s?"),
        gettext_lazy(
            "No service orders are generated for it until it is resumed; its open visits from "
            "today until then are cancelled and come back when it is resumed. When resuming "
            "you choose whether the visits of the pause are generated afterwards."
        ),
    ),
    "expire": (
        ConfirmationForm,
        gettext_lazy("Mark agreement %(number)s as expired?"),
        gettext_lazy(
            "It generates no more service orders and can no longer be changed or resumed. Its "
            "open generated visits from today on are cancelled. This cannot be undone; it can "
            "still be renewed."
        ),
    ),
    "cancel": (
        ReasonConfirmationForm,
        gettext_lazy("Cancel agreement %(number)s?"),
        gettext_lazy(
            "It generates no more service orders and can no longer be changed. Its open "
            "generated visits from today on are cancelled; started and completed orders stay "
            "as they are. This cannot be undone."
        ),
    ),
}
TRANSITION_DONE = {
    "activate": gettext_lazy("%(number)s is active."),
    "suspend": gettext_lazy("%(number)s is suspended."),
    "resume": gettext_lazy("%(number)s is active again."),
    "expire": gettext_lazy("%(number)s has expired."),
    "cancel": gettext_lazy("%(number)s is cancelled."),
}


def _with_effects(confirmation: Confirmation, make_change) -> Confirmation:
    """The confirmation listing what the change does to the visits planned from the agreement
    (customers.coverage): the change is previewed, never made, here."""
    try:
        preview = coverage_preview(make_change)
    except (ValidationError, services.TransitionRefused):
        return confirmation  # the submit says why
    effects, affected = coverage_description(preview)
    return replace(confirmation, effects=effects, affected=affected)


def _transition_confirmation(request, agreement, transition: str, confirmation: Confirmation):
    data = confirmation.form.data if confirmation.form.is_bound else {}
    extra = {}
    if transition == "suspend":
        extra["resume_on"] = confirmation.form.cleaned_data.get("resume_on") if data else None
    confirmation = _with_effects(
        confirmation,
        lambda: services.TRANSITIONS[transition](
            tenant=request.tenant, agreement_id=agreement.pk, by=request.user, **extra
        ),
    )
    return confirmation_response(request, confirmation)


@capability_required(MANAGE)
def agreement_transition(request, pk: int, transition: str):
    """Activate and resume happen on their button's POST; suspend, expire and cancel ask first
    (web.confirm), cancel with a reason."""
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    extra = {}
    confirmation = None
    if transition in CONFIRMED_TRANSITIONS:
        form_class, title, consequence = CONFIRMED_TRANSITIONS[transition]
        form = confirmation_form(request, form_class)
        confirmation = Confirmation(
            title=str(title) % {"number": agreement.number},
            consequence=str(consequence),
            button=str(TRANSITION_BUTTONS[transition][0]),
            cancel_url=_detail_url(agreement.pk),
            form=form,
            danger=transition != "suspend",
        )
        if not form.is_valid():
            return _transition_confirmation(request, agreement, transition, confirmation)
        extra = {k: v for k, v in form.cleaned_data.items() if k != "confirmed"}
    elif refused := _post_only(request):
        return refused
    elif (form_class := TRANSITION_FORMS.get(transition)) is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return _detail_page(request, pk, **{f"{transition}_form": form})
        extra = form.cleaned_data
    try:
        services.TRANSITIONS[transition](
            tenant=request.tenant, agreement_id=agreement.pk, by=request.user, **extra
        )
    except ValidationError as exc:  # bad input (a resume date before the start): beside it
        attach_errors(form, exc)
        return _transition_confirmation(request, agreement, transition, confirmation)
    except services.TransitionRefused as exc:
        # Someone else changed it first, or it is not ready: show the state as it is now.
        if confirmation is not None and request.htmx:
            return confirmation_refused(request, confirmation, exc.message)
        return _detail_page(request, pk, status=409, refusal=exc.message)
    messages.success(request, str(TRANSITION_DONE[transition]) % {"number": agreement.number})
    return confirmed_redirect(request, _detail_url(agreement.pk))


# --- Templates and renewal ---------------------------------------------------------------------


@capability_required(MANAGE)
def agreement_mark_template(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    form = forms.MarkTemplateForm(_posted(request), tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_mark_template(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                template_group=form.cleaned_data["template_group"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("%(number)s is now a template.") % {"number": agreement.number}
            )
            return redirect(_detail_url(agreement.pk))
    return render(
        request,
        "agreements/mark_template_form.html",
        {
            "form": form,
            "agreement": agreement,
            "has_orders": bool(usage_of(request.tenant, agreement)),
        },
    )


@capability_required(MANAGE)
def agreement_from_template(request):
    initial = {"template": request.GET.get("template"), "customer": request.GET.get("customer")}
    form = forms.FromTemplateForm(_posted(request), initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> str:
            agreement, left_out = services.agreement_create_from_template(
                tenant=request.tenant,
                by=request.user,
                template_id=data["template"].pk,
                customer=data["customer"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
            messages.success(
                request,
                _("%(number)s created from the template.") % {"number": agreement.number},
            )
            if left_out:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d line was left out: its object belongs to another customer "
                        "or its dates fall outside the agreement.",
                        "%(count)d lines were left out: their objects belong to another customer "
                        "or their dates fall outside the agreement.",
                        left_out,
                    )
                    % {"count": left_out},
                )
            return _detail_url(agreement.pk)

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "agreements/from_template_form.html", {"form": form})


@capability_required(MANAGE)
def agreement_renew(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    renewal = selectors.agreement_renewal(tenant=request.tenant, agreement=agreement)
    form = forms.RenewForm(_posted(request))
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            new, left_out = services.agreement_renew(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                end_date=form.cleaned_data["end_date"],
            )
            messages.success(
                request,
                _("%(number)s renews %(old)s; check it and activate it.")
                % {"number": new.number, "old": agreement.number},
            )
            if left_out:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d line was left out: it would start after the end date.",
                        "%(count)d lines were left out: they would start after the end date.",
                        left_out,
                    )
                    % {"count": left_out},
                )
            return _detail_url(new.pk)

        if url := create_once_url(request, form, create):
            return redirect(url)
        renewal = selectors.agreement_renewal(tenant=request.tenant, agreement=agreement)
    proposed_end = services.renewal_end_date(agreement) if agreement.end_date else None
    return render(
        request,
        "agreements/renew_form.html",
        {
            "form": form,
            "agreement": agreement,
            "renewal": renewal,
            "proposed_start": agreement.end_date and services.renewal_start_date(agreement),
            "proposed_end": proposed_end,
        },
    )


# --- Object and task relations -----------------------------------------------------------------


def _add(request, pk: int, form_class, add, field: str, anchor: str, form_name: str):
    """Add a service object or a task to the agreement (the form's one field, passed to the
    service under the same name); a refusal shows the page with the form's error."""
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    form = form_class(request.POST, tenant=request.tenant, agreement=agreement)
    if form.is_valid():
        try:
            add(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                **{
                    name: form.cleaned_data[name]
                    for name in getattr(form, "service_fields", (field,))
                },
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(record)s added to %(number)s.")
                % {"record": form.cleaned_data[field], "number": agreement.number},
            )
            return redirect(_detail_url(agreement.pk) + anchor)
    return _detail_page(request, pk, **{form_name: form})


@capability_required(MANAGE)
def agreement_object_add(request, pk: int):
    add = services.agreement_object_add
    form_class = forms.ObjectAddForm
    return _add(request, pk, form_class, add, "service_object", "#objects", "object_form")


@capability_required(MANAGE)
def agreement_task_add(request, pk: int):
    add = services.agreement_task_add
    return _add(request, pk, forms.TaskAddForm, add, "task", "#tasks", "task_form")


def _remove(request, agreement, record, remove, anchor: str, consequence: str):
    """Remove a service object or task from the agreement, after a confirmation naming it."""
    form = confirmation_form(request)
    if not form.is_valid():
        confirmation = Confirmation(
            title=_("Remove %(record)s from %(number)s?")
            % {"record": record, "number": agreement.number},
            consequence=consequence,
            button=_("Remove"),
            cancel_url=_detail_url(agreement.pk) + anchor,
            form=form,
        )
        return confirmation_response(request, confirmation)
    try:
        remove()
    except (AgreementObject.DoesNotExist, AgreementTask.DoesNotExist) as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(record)s removed from %(number)s.")
            % {"record": record, "number": agreement.number},
        )
    return confirmed_redirect(request, _detail_url(agreement.pk) + anchor)


@capability_required(MANAGE)
def agreement_object_remove(request, pk: int, link_pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    link = get_or_404(
        selectors.agreement_object_link_get, tenant=request.tenant, agreement=agreement, pk=link_pk
    )
    return _remove(
        request,
        agreement,
        link.service_object,
        lambda: services.agreement_object_remove(
            tenant=request.tenant, by=request.user, agreement_id=agreement.pk, link_id=link.pk
        ),
        "#objects",
        _("No more visits are planned for it under this agreement, and its lines cannot use it."),
    )


@capability_required(MANAGE)
def agreement_task_remove(request, pk: int, link_pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    link = get_or_404(
        selectors.agreement_task_link_get, tenant=request.tenant, agreement=agreement, pk=link_pk
    )
    return _remove(
        request,
        agreement,
        link.task,
        lambda: services.agreement_task_remove(
            tenant=request.tenant, by=request.user, agreement_id=agreement.pk, link_id=link.pk
        ),
        "#tasks",
        _("The agreement's lines can no longer use this task."),
    )


# --- Lines -------------------------------------------------------------------------------------


def _line_form_page(request, form, agreement, line=None, **extra):
    return render(
        request,
        "agreements/line_form.html",
        {"form": form, "agreement": agreement, "line": line, **extra},
    )


@capability_required(MANAGE)
def line_create(request, pk: int):
    agreement = get_or_404(selectors.agreement_get, tenant=request.tenant, pk=pk)
    form = forms.AgreementLineForm(_posted(request), tenant=request.tenant, agreement=agreement)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.agreement_line_create(
                tenant=request.tenant,
                by=request.user,
                agreement_id=agreement.pk,
                data=form.cleaned_data,
            )
            messages.success(request, _("Line added."))
            return _detail_url(agreement.pk) + "#lines"

        if url := create_once_url(request, form, create):
            return redirect(url)
    return _line_form_page(request, form, agreement)


@capability_required(MANAGE)
def line_edit(request, pk: int):
    line = get_or_404(selectors.agreement_line_get, tenant=request.tenant, pk=pk)
    form = forms.AgreementLineForm(
        _posted(request), instance=line, tenant=request.tenant, agreement=line.agreement
    )
    extra = {}
    if request.method == "POST" and form.is_valid():
        # A new schedule cancels the open generated visits it no longer covers: listed first.
        saved, extra = save_with_coverage_check(
            request,
            form,
            lambda data: services.agreement_line_update(
                tenant=request.tenant, by=request.user, line_id=line.pk, data=data
            ),
            fields=services.SCHEDULE_FIELDS,
        )
        if saved is not None:
            messages.success(request, _("Line %(position)s saved.") % {"position": line.position})
            return redirect(_detail_url(line.agreement_id) + "#lines")
    return _line_form_page(request, form, line.agreement, line, **extra)


def _line_action(request, pk: int, action) -> object:
    line = get_or_404(selectors.agreement_line_get, tenant=request.tenant, pk=pk)
    if refused := _post_only(request):
        return refused
    try:
        action(line)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_detail_url(line.agreement_id) + "#lines")


def _line_confirmed(request, pk: int, *, title, consequence, button, action, preview=None):
    """A line action that asks first (web.confirm); ``action(line)`` runs on the confirmation.
    ``preview(line)`` makes the change for the confirmation's list of what it does to the
    planned visits (rolled back)."""
    line = get_or_404(selectors.agreement_line_get, tenant=request.tenant, pk=pk)
    back = _detail_url(line.agreement_id) + "#lines"
    form = confirmation_form(request)
    if not form.is_valid():
        names = {"position": line.position, "number": line.agreement.number}
        confirmation = Confirmation(
            title=str(title) % names,
            consequence=str(consequence),
            button=str(button),
            cancel_url=back,
            form=form,
        )
        if preview is not None:
            confirmation = _with_effects(confirmation, lambda: preview(line))
        return confirmation_response(request, confirmation)
    try:
        action(line)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return confirmed_redirect(request, back)


@capability_required(MANAGE)
def line_delete(request, pk: int):
    def delete(line):
        snapshot = services.agreement_line_snapshot(line)
        services.agreement_line_delete(tenant=request.tenant, by=request.user, line_id=line.pk)
        undo_offer(
            request,
            message=_("Line %(position)s deleted.") % {"position": line.position},
            url=reverse("agreements:line_restore"),
            payload=snapshot,
        )

    return _line_confirmed(
        request,
        pk,
        title=gettext_lazy("Delete line %(position)s of %(number)s?"),
        consequence=gettext_lazy(
            "The line and its schedule are removed from the agreement. You can undo this for a "
            "few minutes on the next page."
        ),
        button=gettext_lazy("Delete line"),
        action=delete,
    )


@capability_required(MANAGE)
def line_restore(request):
    """The "Undo" after a line delete: puts the line back as it was."""
    if refused := _post_only(request):
        return refused
    try:
        snapshot = undo_payload(request)
        line = services.agreement_line_restore(
            tenant=request.tenant, by=request.user, snapshot=snapshot
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("agreements:agreement_list")
        return redirect(back)
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("Line %(position)s is back.") % {"position": line.position})
    return redirect(_detail_url(line.agreement_id) + "#lines")


@capability_required(MANAGE)
def line_stop(request, pk: int):
    def stop(line):
        services.agreement_line_set_stopped(
            tenant=request.tenant, by=request.user, line_id=line.pk, stopped=True
        )
        messages.success(request, _("Line %(position)s stopped.") % {"position": line.position})

    return _line_confirmed(
        request,
        pk,
        title=gettext_lazy("Stop line %(position)s of %(number)s?"),
        consequence=gettext_lazy(
            "No more service orders are generated from it until it is restarted. Its open "
            "generated visits from today on are cancelled and come back when it is restarted; "
            "started and completed orders stay as they are."
        ),
        button=gettext_lazy("Stop line"),
        action=stop,
        preview=lambda line: services.agreement_line_set_stopped(
            tenant=request.tenant, by=request.user, line_id=line.pk, stopped=True
        ),
    )


@capability_required(MANAGE)
def line_unstop(request, pk: int):
    def unstop(line):
        services.agreement_line_set_stopped(
            tenant=request.tenant, by=request.user, line_id=line.pk, stopped=False
        )
        messages.success(request, _("Line %(position)s runs again.") % {"position": line.position})

    return _line_action(request, pk, unstop)


@capability_required(VIEW_AGREEMENTS)
def agreement_search(request):
    """The agreement picker's search (web.pickers): the tenant's agreements, labelled as the
    order list's agreement filter labels them."""
    return picker_results(
        selectors.agreement_search(tenant=request.tenant, text=picker_query(request)),
        label=lambda agreement: f"{agreement.number} · {agreement.description}",
    )
