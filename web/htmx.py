"""Helpers for htmx answers that swap part of a page."""

from django.template.loader import render_to_string


def with_messages(request, response):
    """Add the pending success and error messages to an htmx answer, swapped out of band into
    the page's message area (base.html's ``#messages``), so that an action done in place
    confirms itself as a full page would."""
    response.content += render_to_string("web/_messages_oob.html", request=request).encode()
    return response
