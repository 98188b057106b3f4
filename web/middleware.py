"""The product's own 404 page in development too.

With ``DEBUG = True`` Django answers an unknown address or an ``Http404`` with its technical
page, which lists every URL pattern of the project: not what a person trying the product (or a
screenshot for the user guide) should see. This middleware, last in MIDDLEWARE so that the
tenant, the language and the request transaction are set, replaces that page with
templates/404.html, exactly as production renders it. With ``DEBUG = False`` it does nothing.
"""

from django.conf import settings
from django.http import Http404
from django.views.defaults import page_not_found

# Every technical 404 page of Django says why it is shown; no page of ours does.
_TECHNICAL_404_MARK = b"DEBUG = True"


class ProductNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and _is_technical_404(response):
            return page_not_found(request, Http404())
        return response


def _is_technical_404(response) -> bool:
    return (
        response.status_code == 404
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and _TECHNICAL_404_MARK in response.content
    )
