"""Undo of a delete, offered once on the page the user lands on after it.

The view that deleted something offers the undo; the next full page shows the message with an
"Undo" button (``{% undo_offer %}`` in base.html takes the offer out of the session, so a reload
no longer shows it). The button posts a signed token with what the undo needs; it is valid for
``UNDO_SECONDS`` and only for the same user in the same tenant::

    undo_offer(request, message=_("Line 30 deleted."), url=reverse("…:line_restore"),
               payload=snapshot)
    ...
    payload = undo_payload(request)   # ValidationError when expired, altered or someone else's
"""

from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SALT = "fieldline.undo"
SESSION_KEY = "fieldline_undo"
TOKEN_FIELD = "undo_token"  # noqa: S105 - a form field name, not a secret
UNDO_SECONDS = 5 * 60


def undo_offer(request, *, message: str, url: str, payload: Any) -> None:
    token = signing.dumps(
        {"tenant": request.tenant.pk, "user": request.user.pk, "payload": payload},
        salt=SALT,
        compress=True,
    )
    request.session[SESSION_KEY] = {"message": str(message), "url": url, "token": token}


def undo_offer_take(request) -> dict | None:
    """The pending offer, removed from the session: it is shown on one page view only."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    return session.pop(SESSION_KEY)


def undo_payload(request) -> Any:
    token = request.POST.get(TOKEN_FIELD, "")
    try:
        data = signing.loads(token, salt=SALT, max_age=UNDO_SECONDS)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("It is too late to undo this: undo works for %(minutes)d minutes.")
            % {"minutes": UNDO_SECONDS // 60}
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This undo is not valid.")) from exc
    if data.get("tenant") != request.tenant.pk or data.get("user") != request.user.pk:
        raise ValidationError(_("This undo is not valid."))
    return data["payload"]
