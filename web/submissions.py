"""Double-submit protection for forms that create records.

The form carries a fresh ``submission_token`` (template tag ``{% submission_token %}``). The view
claims it in the same transaction as the write::

    earlier = submission_claim(request)
    if earlier:
        return redirect(earlier)          # the first submit's result: nothing created twice
    order = services.order_create(...)
    submission_complete(request, order.get_absolute_url())

Two submits racing with the same token queue on the unique index; the second sees the first's
committed result. A submission that fails validation or rolls back releases its token.
"""

import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .forms import attach_errors
from .models import SubmissionToken

FIELD = "submission_token"


def new_token() -> str:
    return uuid.uuid4().hex


def _token(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def submission_claim(request) -> str | None:
    """Claim this POST's token. Returns None when it is new (go ahead and create), or the URL
    of what the earlier submission with the same token created."""
    token = _token(request)
    if token is None:
        return None
    try:
        with transaction.atomic():
            claimed = SubmissionToken.objects.create(tenant=request.tenant, token=token)
    except IntegrityError:
        earlier = SubmissionToken.objects.for_tenant(request.tenant).get(token=token)
        return earlier.result_url or request.path
    request._submission_token = claimed
    return None


def submission_complete(request, result_url: str) -> None:
    claimed = getattr(request, "_submission_token", None)
    if claimed is not None:
        claimed.result_url = result_url[:300]
        claimed.save(update_fields=["result_url"])


def create_once[T](request, form, create: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run ``create()`` once per submission token, in a savepoint that a refusal rolls back
    (the token included, so the corrected form can be sent again).

    Returns ``(created, None)``; ``(None, url)`` of the earlier submission's result for a repeated
    submit; or ``(None, None)`` when the service refused and its errors are on the form. The
    caller records the result with ``submission_complete`` once it knows the URL."""
    try:
        with transaction.atomic():
            earlier = submission_claim(request)
            if earlier:
                return None, earlier
            return create(), None
    except ValidationError as exc:
        attach_errors(form, exc)
        return None, None


def create_once_url(request, form, create: Callable[[], str]) -> str | None:
    """``create_once`` for the common case where ``create`` returns the URL of what it made:
    records the result and returns where to go (the first submit's URL for a repeat), or None
    when the service refused and its errors are on the form."""
    url, earlier = create_once(request, form, create)
    if url:
        submission_complete(request, url)
    return earlier or url
