"""The manager's dispatch set-up: teams, technician profiles and absences."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.confirm import Confirmation, confirmation_form, confirmation_response, confirmed_redirect
from web.forms import attach_errors
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to, list_response
from web.lookups import get_or_404
from web.permissions import capability_required
from web.submissions import create_once_url

from . import selectors, services
from .capabilities import MANAGE_DISPATCH
from .forms import AbsenceForm, ProfileForm, TeamForm


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


# --- Teams -------------------------------------------------------------------------------------

TEAM_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Team name"),
        "name",
        role=TITLE,
        truncate=True,
        link=link_to("dispatch:team_edit"),
    ),
    Column("owner", gettext_lazy("Dispatcher"), value=lambda t: _person(t.owner), role=FACT),
    Column("member_count", gettext_lazy("Members"), "member_count", role=FACT, numeric=True),
]


@capability_required(MANAGE_DISPATCH)
def team_list(request):
    return list_response(
        request,
        selectors.team_list(tenant=request.tenant),
        template="dispatch/team_list.html",
        columns=TEAM_COLUMNS,
        default_sort="name",
        csv_filename="teams",
    )


@capability_required(MANAGE_DISPATCH)
def team_create(request):
    form = TeamForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            team = services.team_create(
                tenant=request.tenant, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Team %(team)s created.") % {"team": team.name})
            return reverse("dispatch:team_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "dispatch/team_form.html", {"form": form, "team": None})


@capability_required(MANAGE_DISPATCH)
def team_edit(request, pk: int):
    team = get_or_404(selectors.team_get, tenant=request.tenant, pk=pk)
    initial = {
        "name": team.name,
        "owner": team.owner_id,
        "members": list(team.members.values_list("pk", flat=True)),
    }
    form = TeamForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_update(
                tenant=request.tenant, by=request.user, team_id=team.pk, data=form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Team %(team)s saved.") % {"team": team.name})
            return redirect("dispatch:team_list")
    return render(request, "dispatch/team_form.html", {"form": form, "team": team})


@capability_required(MANAGE_DISPATCH)
def team_delete(request, pk: int):
    team = get_or_404(selectors.team_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    if not form.is_valid():
        return confirmation_response(
            request,
            Confirmation(
                title=_("Delete team %(team)s?") % {"team": team.name},
                consequence=_(
                    "Its technicians stay, without a team; their visits are not changed."
                ),
                button=_("Delete team"),
                cancel_url=reverse("dispatch:team_edit", args=[team.pk]),
                form=form,
            ),
        )
    services.team_delete(tenant=request.tenant, by=request.user, team_id=team.pk)
    messages.success(request, _("Team %(team)s deleted.") % {"team": team.name})
    return confirmed_redirect(request, reverse("dispatch:team_list"))


# --- Technician profiles -----------------------------------------------------------------------

PROFILE_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Technician"),
        "user__first_name",
        value=lambda p: _person(p.user),
        role=TITLE,
        link=link_to("dispatch:profile_edit"),
    ),
    Column(
        "team",
        gettext_lazy("Team"),
        "team__name",
        value=lambda p: p.team.name if p.team_id else "",
        role=FACT,
    ),
    Column(
        "skills",
        gettext_lazy("Skills"),
        value=lambda p: ", ".join(p.skills),
        role=FACT,
        truncate=True,
        breakpoint="md",
    ),
    Column("home_base", gettext_lazy("Home base"), "home_base", truncate=True, breakpoint="lg"),
    Column(
        "calendar",
        gettext_lazy("Working calendar"),
        value=lambda p: p.calendar.name if p.calendar_id else "",
        breakpoint="lg",
    ),
    Column(
        "max_orders_per_day",
        gettext_lazy("Max. orders a day"),
        "max_orders_per_day",
        role=BADGE,
        numeric=True,
    ),
]


@capability_required(MANAGE_DISPATCH)
def profile_list(request):
    return list_response(
        request,
        selectors.profile_list(tenant=request.tenant),
        template="dispatch/profile_list.html",
        columns=PROFILE_COLUMNS,
        default_sort="name",
        csv_filename="technicians",
        context={
            "without_profile": selectors.technicians_without_profile(tenant=request.tenant)[:20]
        },
    )


@capability_required(MANAGE_DISPATCH)
def profile_create(request):
    form = ProfileForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            profile = services.profile_create(
                tenant=request.tenant,
                by=request.user,
                user=form.cleaned_data["user"],
                data=form.cleaned_data,
            )
            messages.success(request, _("Profile of %(name)s created.") % {"name": profile})
            return reverse("dispatch:profile_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "dispatch/profile_form.html", {"form": form, "profile": None})


@capability_required(MANAGE_DISPATCH)
def profile_edit(request, pk: int):
    profile = get_or_404(selectors.profile_get, tenant=request.tenant, pk=pk)
    form = ProfileForm(request.POST or None, instance=profile, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.profile_update(
                tenant=request.tenant,
                by=request.user,
                profile_id=profile.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Profile of %(name)s saved.") % {"name": profile})
            return redirect("dispatch:profile_list")
    return render(request, "dispatch/profile_form.html", {"form": form, "profile": profile})


# --- Absences ----------------------------------------------------------------------------------

ABSENCE_COLUMNS = [
    Column(
        "technician",
        gettext_lazy("Technician"),
        "technician__user__first_name",
        value=lambda a: _person(a.technician.user),
        role=TITLE,
        link=link_to("dispatch:absence_edit"),
    ),
    Column("kind", gettext_lazy("Kind"), "kind", value=lambda a: a.get_kind_display(), role=BADGE),
    Column("start_date", gettext_lazy("From"), "start_date", role=FACT, nowrap=True),
    Column("end_date", gettext_lazy("To"), "end_date", role=FACT, nowrap=True),
    Column("note", gettext_lazy("Note"), "note", truncate=True, breakpoint="md"),
    Column(
        "edit",
        gettext_lazy("Edit"),
        role=ACTION,
        link=link_to("dispatch:absence_edit"),
        export=False,
    ),
]


@capability_required(MANAGE_DISPATCH)
def absence_list(request):
    return list_response(
        request,
        selectors.absence_list(tenant=request.tenant),
        template="dispatch/absence_list.html",
        columns=ABSENCE_COLUMNS,
        default_sort="-start_date",
        csv_filename="absences",
    )


@capability_required(MANAGE_DISPATCH)
def absence_create(request):
    form = AbsenceForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():

        def create() -> str:
            services.absence_create(tenant=request.tenant, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Absence recorded."))
            return reverse("dispatch:absence_list")

        if url := create_once_url(request, form, create):
            return redirect(url)
    return render(request, "dispatch/absence_form.html", {"form": form, "absence": None})


@capability_required(MANAGE_DISPATCH)
def absence_edit(request, pk: int):
    absence = get_or_404(selectors.absence_get, tenant=request.tenant, pk=pk)
    form = AbsenceForm(request.POST or None, instance=absence, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_update(
                tenant=request.tenant,
                by=request.user,
                absence_id=absence.pk,
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Absence saved."))
            return redirect("dispatch:absence_list")
    return render(request, "dispatch/absence_form.html", {"form": form, "absence": absence})


@capability_required(MANAGE_DISPATCH)
def absence_delete(request, pk: int):
    absence = get_or_404(selectors.absence_get, tenant=request.tenant, pk=pk)
    form = confirmation_form(request)
    if not form.is_valid():
        return confirmation_response(
            request,
            Confirmation(
                title=_("Delete this absence of %(name)s?") % {"name": absence.technician},
                consequence=_("The board no longer warns about it."),
                button=_("Delete absence"),
                cancel_url=reverse("dispatch:absence_edit", args=[absence.pk]),
                form=form,
            ),
        )
    services.absence_delete(tenant=request.tenant, by=request.user, absence_id=absence.pk)
    messages.success(request, _("Absence deleted."))
    return confirmed_redirect(request, reverse("dispatch:absence_list"))
