"""One way for views to fetch a record by id: through its app's selector, 404 when it is missing
or belongs to another tenant (the two are indistinguishable on purpose)."""

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


def get_or_404[T](lookup: Callable[..., T], /, **kwargs) -> T:
    try:
        return lookup(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
