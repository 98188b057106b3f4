"""Celery tasks of invoicing: the e-mails of invoices issued in bulk (rendering the PDFs of a
batch is a worker's job, never the issuing transaction's nor the request's)."""

import logging

from celery import shared_task

from tenancy.tasks import TenantTask

from .documents import mail_invoice

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, bind=True, name="invoicing.mail_invoices", acks_late=True)
def mail_invoices(self, *, tenant_id: int, invoice_ids: list[int]) -> dict:
    """Mail each issued invoice to its customer's billing address. One that fails (a bad
    address, the mail server) is logged and the others are sent; one already sent (the task
    delivered again) is not sent twice."""
    sent = failed = 0
    for invoice_id in invoice_ids:
        try:
            if mail_invoice(tenant_id=tenant_id, invoice_id=invoice_id, once=True):
                sent += 1
        except Exception:
            failed += 1
            logger.exception("Mailing invoice %s failed", invoice_id)
    return {"sent": sent, "failed": failed}
