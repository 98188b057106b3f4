"""A confirmation step for actions that cannot be taken back (cancel, delete, remove, stop…).

The action's URL answers GET with the confirmation (a page without JavaScript; a dialog when the
button loaded it with htmx) and performs the action only on a POST that carries the confirmation
form's hidden ``confirmed`` field. A POST without it (an old one-click form, a crafted request)
gets the confirmation again and changes nothing::

    @capability_required(MANAGE)
    def thing_delete(request, pk):
        thing = get_or_404(selectors.thing_get, tenant=request.tenant, pk=pk)
        form = confirmation_form(request)
        if not form.is_valid():
            return confirmation_response(request, Confirmation(
                title=_("Delete %(thing)s?") % {"thing": thing},
                consequence=_("… This cannot be undone."),
                button=_("Delete"),
                cancel_url=thing_url,
                form=form,
            ))
        services.thing_delete(...)
        messages.success(request, ...)
        return confirmed_redirect(request, list_url)

Actions the business wants a reason for use ``ReasonConfirmationForm``: an empty reason gets a
message beside the field and nothing happens.
"""

from dataclasses import dataclass, replace

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

CONFIRMED = "confirmed"
REASON_MAX_LENGTH = 500


class ConfirmationForm(forms.Form):
    """The confirmation itself: a hidden flag only the confirmation step sends."""

    confirmed = forms.BooleanField(widget=forms.HiddenInput, initial=True)


class ReasonConfirmationForm(ConfirmationForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason.")},
        help_text=_("Kept with the record and shown on its page."),
    )


class OptionalReasonConfirmationForm(ConfirmationForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


@dataclass(frozen=True)
class Confirmation:
    title: str  # the question, naming the record: "Cancel service order SO-000012?"
    consequence: str  # what happens, in one or two sentences
    button: str  # the confirming button's label: "Cancel order"
    cancel_url: str  # where "Back" goes: the record's page
    form: forms.Form
    danger: bool = True
    refusal: str = ""  # why it could not be done (a lost race), shown above the form
    # What else the action changes, listed before the user confirms: sentences ("3 records
    # will be …") and the first few records they name.
    effects: tuple[str, ...] = ()
    affected: tuple[str, ...] = ()


def confirmation_form(request, form_class: type[forms.Form] = ConfirmationForm, **kwargs):
    """The form bound to this POST when it comes from the confirmation step; unbound (so not
    valid, and without error messages) for a GET or a POST that skipped the confirmation."""
    data = request.POST if request.method == "POST" and CONFIRMED in request.POST else None
    return form_class(data, **kwargs)


def confirmation_response(request, confirmation: Confirmation, *, status: int = 200):
    """The confirmation: a dialog's content for htmx, otherwise a page of its own."""
    template = "web/confirm.html"
    if request.htmx:
        template += "#dialog"
    return render(request, template, {"confirmation": confirmation}, status=status)


def confirmation_refused(request, confirmation: Confirmation, refusal: str):
    """In the dialog: the confirmation again with why it was refused, answered 409 (the page
    without JavaScript renders the record as it is now with 409 instead)."""
    return confirmation_response(request, replace(confirmation, refusal=refusal), status=409)


def confirmed_redirect(request, url: str):
    """After the action: the dialog makes the browser load ``url``; a plain form redirects."""
    if request.htmx:
        # Without the #fragment: a location differing from the page only by its fragment would
        # scroll instead of loading the page (and its messages) again.
        return HttpResponseClientRedirect(url.split("#", 1)[0])
    return redirect(url)
