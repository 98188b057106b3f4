"""Every login has a verified primary allauth EmailAddress for its e-mail (decision 0010)."""

from allauth.account.models import EmailAddress


def user_email_address_sync(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not instance.email:
        return
    if not created and update_fields is not None and "email" not in update_fields:
        return
    email = instance.email.lower()
    addresses = EmailAddress.objects.filter(user=instance)
    if addresses.filter(email__iexact=email, primary=True, verified=True).exists():
        return
    addresses.exclude(email__iexact=email).update(primary=False)
    address, _created = EmailAddress.objects.get_or_create(
        user=instance, email=email, defaults={"primary": True, "verified": True}
    )
    if not (address.primary and address.verified):
        address.primary = address.verified = True
        address.save(update_fields=["primary", "verified"])
