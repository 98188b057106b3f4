"""The RMA document for the customer as a PDF (WeasyPrint, like the invoice and the work
receipt), in the customer's language."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from invoicing.selectors import invoicing_settings
from tenancy.models import Tenant

from . import selectors
from .models import ReturnOrder


def document_language(return_order: ReturnOrder, tenant: Tenant) -> str:
    return return_order.customer.language or tenant.default_language or settings.LANGUAGE_CODE


def return_filename(return_order: ReturnOrder) -> str:
    return f"{return_order.number.replace('/', '-')}.pdf"


def render_return_pdf(*, tenant: Tenant, return_order: ReturnOrder) -> bytes:
    """The RMA: who sends what back to whom, by when, quoting which number. The renderer
    fetches nothing (no network, no files)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    seller = invoicing_settings(tenant=tenant)
    language = document_language(return_order, tenant)
    context = {
        "tenant": tenant,
        "seller": seller,
        "seller_name": seller.legal_name or tenant.name,
        "return_order": return_order,
        "customer": return_order.customer,
        "lines": selectors.return_lines(tenant=tenant, return_order=return_order),
        "language": language,
    }
    with translation.override(language), timezone.override(tenant.zone):
        html = render_to_string("returns/pdf/return.html", context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
