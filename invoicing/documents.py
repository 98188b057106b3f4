"""The invoice as a PDF (WeasyPrint, like the work receipt) and the mail that carries it."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tenancy.context import tenant_scope
from tenancy.models import Tenant

from .models import Invoice, InvoiceLine
from .selectors import invoicing_settings


def document_language(invoice: Invoice, tenant: Tenant) -> str:
    return invoice.language or tenant.default_language or settings.LANGUAGE_CODE


def invoice_filename(invoice: Invoice) -> str:
    name = invoice.number or f"draft-{invoice.pk}"
    return f"{name.replace('/', '-')}.pdf"


def render_invoice_pdf(*, tenant: Tenant, invoice: Invoice) -> bytes:
    """The invoice (or credit note) in its customer's language, amounts per that locale. The
    renderer fetches nothing (no network, no files)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    lines = list(
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .select_related("item", "credited_line")
    )
    seller = invoicing_settings(tenant=tenant)
    context = {
        "tenant": tenant,
        "seller": seller,
        "seller_name": seller.legal_name or tenant.name,
        "invoice": invoice,
        "lines": lines,
        "tax_rates": sorted({line.tax_rate for line in lines}),
    }
    language = document_language(invoice, tenant)
    with translation.override(language), timezone.override(tenant.zone):
        html = render_to_string("invoicing/pdf/invoice.html", context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def mail_invoice(*, tenant_id: int, invoice_id: int, once: bool = False) -> bool:
    """Send an issued invoice or credit note to the customer's billing e-mail (after commit);
    ``once``: not when it was sent already. True when a mail went out."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        invoice = Invoice.objects.for_tenant(tenant).select_related("customer").get(pk=invoice_id)
        address = invoice.customer.invoice_email
        if not address or not invoice.number or (once and invoice.sent_at):
            return False
        pdf = render_invoice_pdf(tenant=tenant, invoice=invoice)
        with translation.override(document_language(invoice, tenant)):
            if invoice.is_credit_note:
                subject = _("Credit note %(number)s from %(company)s")
            else:
                subject = _("Invoice %(number)s from %(company)s")
            subject = subject % {"number": invoice.number, "company": tenant.name}
            body = _(
                "Hello,\n\nattached is %(number)s of %(date)s.\n\nKind regards,\n%(company)s"
            ) % {
                "number": invoice.number,
                "date": formats.date_format(invoice.issue_date, "SHORT_DATE_FORMAT"),
                "company": tenant.name,
            }
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach(invoice_filename(invoice), pdf, "application/pdf")
        message.send()
        Invoice.objects.for_tenant(tenant).filter(pk=invoice.pk).update(
            sent_at=timezone.now(), sent_to=address
        )
    return True
