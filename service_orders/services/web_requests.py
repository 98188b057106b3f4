"""Web requests: service asked for by a customer's contact in the portal, or by a technician in
the field, and the dispatcher's answer.

Submitting checks that the object, the site and the photos belong to the request's customer (a
tampered form that names another customer's object is refused beside the field, nothing saved).
Accepting and rejecting lock the request's row, re-check its state after the lock (someone else
may have decided first: ``WebRequestRefused``, the view answers 409 with the request as it is
now), record the decision in the activity log and mail the contact who asked, in their language,
once the transaction commits. Accepting creates exactly one order of origin "web request" with
the request's customer, site, object, description, preferred date and photos.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer, CustomerContact
from tenancy.models import Tenant, User
from tenancy.services import audit_record, sequence_next_number
from web.photos import MAX_PHOTO_BYTES, inspect_photo, store_photo

from ..models import (
    OrderPhoto,
    Origin,
    Priority,
    WebRequest,
    WebRequestPhoto,
    WebRequestState,
)
from .orders import customer_default_site, order_create

MAX_REQUEST_PHOTOS = 5
REJECT_REASON_MAX_LENGTH = 500


class WebRequestRefused(Exception):
    """The request was already decided (by someone else, or by the same click twice): carries
    the request as it is now, so the view can answer 409 showing it."""

    def __init__(self, web_request: WebRequest, message: str = ""):
        super().__init__(message or web_request.state)
        self.web_request = web_request
        self.message = message


def _checked_photos(uploads) -> list[tuple]:
    """(upload, facts) of each photo (web.photos.inspect_photo); ValidationError beside the photos
    field for a file that is not a JPEG/PNG/WebP image or is over the order photos' limit."""
    uploads = [upload for upload in uploads or [] if upload]
    if len(uploads) > MAX_REQUEST_PHOTOS:
        raise ValidationError(
            {"photos": _("Send at most %(count)s photos.") % {"count": MAX_REQUEST_PHOTOS}}
        )
    checked = []
    for upload in uploads:
        if upload.size > MAX_PHOTO_BYTES:
            raise ValidationError(
                {
                    "photos": _("%(name)s is larger than %(size)s MB.")
                    % {"name": upload.name, "size": MAX_PHOTO_BYTES // (1024 * 1024)}
                }
            )
        try:
            facts = inspect_photo(upload)
        except ValidationError as exc:
            raise ValidationError(
                {"photos": [f"{upload.name}: {message}" for message in exc.messages]}
            ) from None
        checked.append((upload, facts))
    return checked


@transaction.atomic
def web_request_submit(
    *,
    tenant: Tenant,
    by: User,
    customer: Customer,
    data: dict,
    contact: CustomerContact | None = None,
) -> WebRequest:
    """A new request of ``customer`` (the contact's own customer, or the customer of the
    technician's order). ``data``: service_object (the customer's, optional), site (the
    customer's; defaults to the object's site, then the customer's default site), description,
    preferred_date (not in the past), photos (a list of uploads)."""
    errors: dict = {}
    if customer.tenant_id != tenant.pk:
        raise ValidationError({"customer": _("Choose one of your customers.")})
    obj = data.get("service_object")
    if obj is not None and (
        obj.tenant_id != tenant.pk or obj.customer_id != customer.pk or not obj.is_active
    ):
        errors["service_object"] = _("Choose one of the service objects of %(customer)s.") % {
            "customer": customer.name
        }
    site = data.get("site")
    if site is not None and (
        site.tenant_id != tenant.pk or site.customer_id != customer.pk or site.is_archived
    ):
        errors["site"] = _("Choose a site of %(customer)s.") % {"customer": customer.name}
    description = (data.get("description") or "").strip()
    if not description:
        errors["description"] = _("Describe what needs to be done.")
    preferred = data.get("preferred_date")
    if preferred is not None and preferred < tenant.today():
        errors["preferred_date"] = _("The preferred date cannot be in the past.")
    try:
        photos = _checked_photos(data.get("photos"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        photos = []
    if errors:
        raise ValidationError(errors)
    if site is None and obj is not None and obj.site_id and not obj.site.is_archived:
        site = obj.site
    if site is None:
        site = customer_default_site(tenant=tenant, customer=customer)
    web_request = WebRequest.objects.create(
        tenant=tenant,
        number=sequence_next_number(tenant=tenant, key="web_request"),
        customer=customer,
        site=site,
        service_object=obj,
        contact=contact,
        description=description[:300],
        preferred_date=preferred,
        submitted_by=by,
    )
    for upload, facts in photos:
        store_photo(WebRequestPhoto(tenant=tenant, request=web_request, **facts), upload)
    audit_record(
        tenant=tenant,
        actor=by,
        action="web_request.submit",
        target=web_request,
        params={"number": web_request.number, "customer": customer.name},
    )
    return web_request


def _locked(tenant: Tenant, request_id: int) -> WebRequest:
    """The request's row locked, then read with its relations by a statement of its own: a
    join in the locking statement would show a request decided while we waited without the
    order that decision made (the joined rows come from the snapshot before the wait)."""
    requests = WebRequest.objects.for_tenant(tenant)
    requests.select_for_update().filter(pk=request_id).values_list("pk").get()
    return requests.select_related(
        "customer", "site", "service_object", "contact", "submitted_by", "order"
    ).get(pk=request_id)


def _already_decided(web_request: WebRequest) -> WebRequestRefused:
    if web_request.state == WebRequestState.ACCEPTED:
        message = _("This request was already accepted: it became order %(number)s.") % {
            "number": web_request.order.number if web_request.order_id else ""
        }
    else:
        message = _("This request was already rejected.")
    return WebRequestRefused(web_request, message)


def _language(tenant: Tenant, web_request: WebRequest) -> str:
    person = web_request.submitted_by
    return (
        (person.language if person else "")
        or web_request.customer.language
        or tenant.default_language
    )


def _mail_decision(*, tenant: Tenant, web_request: WebRequest) -> None:
    """Tell the contact who asked (in their language); a technician's request has nobody to
    tell but the office."""
    person = web_request.submitted_by
    if web_request.contact_id is None or person is None or not person.email:
        return
    with translation.override(_language(tenant, web_request)):
        if web_request.state == WebRequestState.ACCEPTED:
            subject = _("Your request %(number)s was accepted") % {"number": web_request.number}
            body = _(
                "Hello,\n\nyour request %(number)s (%(description)s) was accepted and is now "
                "service order %(order)s. You can follow its progress when you sign in.\n\n"
                "%(company)s"
            ) % {
                "number": web_request.number,
                "description": web_request.description,
                "order": web_request.order.number,
                "company": tenant.name,
            }
        else:
            subject = _("Your request %(number)s was not accepted") % {"number": web_request.number}
            body = _(
                "Hello,\n\nyour request %(number)s (%(description)s) was not accepted.\n\n"
                "Reason: %(reason)s\n\n%(company)s"
            ) % {
                "number": web_request.number,
                "description": web_request.description,
                "reason": web_request.reject_reason,
                "company": tenant.name,
            }
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email]),
        robust=True,
    )


def _copy_photos(tenant: Tenant, web_request: WebRequest, order, by: User) -> None:
    for photo in WebRequestPhoto.objects.for_tenant(tenant).filter(request=web_request):
        copy = OrderPhoto(
            tenant=tenant, order=order, uploaded_by=web_request.submitted_by or by, **photo.facts()
        )
        with photo.image.open("rb") as handle:
            store_photo(copy, ContentFile(handle.read()))


@transaction.atomic
def web_request_accept(
    *, tenant: Tenant, by: User, request_id: int, priority: str = Priority.NORMAL
) -> WebRequest:
    """The request becomes an order of origin "web request" (at the tenant's initial stage).
    WebRequestRefused when it was already decided; ValidationError when the priority is not
    one of the order priorities (or the order cannot be made, e.g. its site was archived)."""
    web_request = _locked(tenant, request_id)
    if not can_proceed(web_request.accept):
        raise _already_decided(web_request)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    contact = web_request.contact
    site = web_request.site
    order = order_create(
        tenant=tenant,
        by=by,
        data={
            "customer": web_request.customer,
            "site": site if site is not None and not site.is_archived else None,
            "contact": contact if contact is not None and not contact.is_archived else None,
            "description": web_request.description,
            "priority": priority,
            "preferred_date": web_request.preferred_date,
            "objects": [web_request.service_object] if web_request.service_object_id else [],
        },
        origin=Origin.WEB_REQUEST,
    )
    _copy_photos(tenant, web_request, order, by)
    web_request.accept()
    web_request.order = order
    web_request.decided_by = by
    web_request.decided_at = timezone.now()
    web_request.save(update_fields=["state", "order", "decided_by", "decided_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="web_request.accept",
        target=web_request,
        params={"number": web_request.number, "order": order.number},
        changes={"state": [WebRequestState.SUBMITTED, web_request.state]},
    )
    _mail_decision(tenant=tenant, web_request=web_request)
    return web_request


@transaction.atomic
def web_request_reject(*, tenant: Tenant, by: User, request_id: int, reason: str) -> WebRequest:
    """Reject with a reason (required; shown to the contact and mailed to them).
    WebRequestRefused when it was already decided."""
    web_request = _locked(tenant, request_id)
    if not can_proceed(web_request.reject):
        raise _already_decided(web_request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    web_request.reject()
    web_request.reject_reason = reason[:REJECT_REASON_MAX_LENGTH]
    web_request.decided_by = by
    web_request.decided_at = timezone.now()
    web_request.save(update_fields=["state", "reject_reason", "decided_by", "decided_at"])
    audit_record(
        tenant=tenant,
        actor=by,
        action="web_request.reject",
        target=web_request,
        params={"number": web_request.number, "reason": web_request.reject_reason},
        changes={"state": [WebRequestState.SUBMITTED, web_request.state]},
    )
    _mail_decision(tenant=tenant, web_request=web_request)
    return web_request
