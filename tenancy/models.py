"""Tenants, users, memberships and the base every tenant-owned model inherits."""

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .db_backend.routing import implicit_tenant_filter
from .roles import Role

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]
CURRENCY_CHOICES = [
    ("PLN", "PLN"),
    ("BRL", "BRL"),
    ("EUR", "EUR"),
    ("USD", "USD"),
    ("RUB", "RUB"),
    ("GBP", "GBP"),
    ("CHF", "CHF"),
]
COUNTRY_CHOICES = [
    ("PL", _("Poland")),
    ("BR", _("Brazil")),
    ("RU", _("Russia")),
    ("FR", _("France")),
    ("EE", _("Estonia")),
    ("DE", _("Germany")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
]


class Tenant(models.Model):
    """A customer company of Fieldline. Global: this table is what tenancy is keyed on."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("tenant name"), max_length=200)
    # Names are editable and need not be unique; the code tells tenants apart in the switcher.
    code = models.SlugField(
        _("short code"),
        max_length=16,
        unique=True,
        help_text=_("Unique; lower-case letters, digits and hyphens. Shown next to the name."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC"
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES, default="PL")
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=False,
        help_text=_(
            "Everyone in this tenant must set up an authenticator app before they can work here."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def now(self) -> datetime.datetime:
        """The current moment on the tenant's wall clock (aware, in the tenant's zone)."""
        return timezone.now().astimezone(self.zone)

    def today(self) -> datetime.date:
        """Today's date in the tenant's zone, whatever zone the server or request is in."""
        return self.now().date()


def _refuse_tenant_write(names) -> None:
    if {"tenant", "tenant_id"} & set(names):
        raise ValueError("A row never changes tenant: tenant/tenant_id cannot be updated.")


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: "Tenant | int") -> "TenantQuerySet":
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(tenant_id=tenant_id)

    def update(self, **kwargs):
        _refuse_tenant_write(kwargs)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse_tenant_write(fields)
        objs = list(objs)
        # Django writes UPDATE ... WHERE id IN (...): name the objects' tenant in it too.
        with implicit_tenant_filter(obj.tenant_id for obj in objs):
            return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def delete(self):
        # The collector deletes by id (and cascades by foreign key); filter those statements
        # by the tenant this queryset is for: the one it filters on, else the current one.
        from .context import current_tenant_id

        tenant_ids = _filtered_tenant_ids(self.query) or [current_tenant_id.get()]
        with implicit_tenant_filter(tenant_ids):
            return super().delete()

    delete.alters_data = True


def _filtered_tenant_ids(query) -> list[int]:
    from .db_backend.compiler import tenant_conditions

    if not query.alias_map:
        return []
    ids = []
    for condition in tenant_conditions(query.where, query.base_table):
        rhs = condition.rhs
        ids += list(rhs) if isinstance(rhs, list | tuple | set) else [rhs]
    return [getattr(value, "pk", value) for value in ids]


class TenantOwned(models.Model):
    """Base of every tenant-owned model.

    Carries a non-null tenant and the (tenant, id) key. In the database that key is the table's
    primary key (tenancy.rls turns it into one after every migrate; Django keeps ``id`` as the
    model's pk), composite foreign keys point at it (so a row can never reference another
    tenant's row), and row-level security applies to the table. Subclasses that declare their
    own ``Meta.constraints`` must keep ``tenant_key(...)`` in them; the system check enforces it.

    Relations to other tenant models are ``tenancy.fields.TenantForeignKey`` (system check
    tenancy.E005). Saving, refreshing and deleting an instance filter by its tenant, and an
    UPDATE never writes tenant_id: on a database distributed by tenant every statement then
    goes to the one node holding the tenant, and a row never moves.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("tenant"),
        # The unique (tenant, id) key leads with tenant_id and serves as its index.
        db_index=False,
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_key"
            )
        ]

    def _do_update(
        self, base_qs, using, pk_val, values, update_fields, forced_update, returning_fields
    ):
        if update_fields is not None:
            _refuse_tenant_write(update_fields)
        values = [value for value in values if value[0].attname != "tenant_id"]
        return super()._do_update(
            base_qs.filter(tenant_id=self.tenant_id),
            using,
            pk_val,
            values,
            update_fields,
            forced_update,
            returning_fields,
        )

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # __dict__, not the attribute: a deferred tenant_id would itself trigger a refresh.
        tenant_id = self.__dict__.get("tenant_id")
        if from_queryset is None and tenant_id is not None:
            from_queryset = self.__class__._base_manager.db_manager(
                using, hints={"instance": self}
            ).filter(tenant_id=tenant_id)
        return super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def delete(self, using=None, keep_parents=False):
        with implicit_tenant_filter([self.tenant_id]):
            return super().delete(using=using, keep_parents=keep_parents)

    delete.alters_data = True


def tenant_key() -> models.UniqueConstraint:
    """The (tenant, id) key, for subclasses that declare their own Meta.constraints.

    Declared to Django as a unique constraint; in the database it becomes the primary key
    under the same name (tenancy.rls), so a migration that removes it drops that key.
    """
    return models.UniqueConstraint(
        fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_key"
    )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Global: one login may belong to several tenants through memberships."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # The tenant a person with several tenants returns to: set when they switch or accept an
    # invitation, read when a session has no choice yet (tenancy.middleware).
    last_tenant = models.ForeignKey(
        Tenant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last used tenant"),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()


class Membership(models.Model):
    """A user's role in one tenant.

    Global (allow-listed): the tenant middleware reads it before any tenant is known, to find
    which tenants the signed-in user may enter. Every selector filters it by tenant explicitly.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("tenant")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["tenant__name", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"], name="tenancy_membership_unique_user"
            )
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="tenancy_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.tenant} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.role not in Role.values:
            raise ValidationError({"role": _("Choose a valid role.")})


class AuditEvent(TenantOwned):
    """Who changed what and when, for settings, memberships and (later) business records."""

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("record type"), max_length=64)
    target_id = models.BigIntegerField(_("record id"), null=True)
    # The event's sentence in the default language when it was recorded: what the admin shows,
    # and what events recorded without parameters (before event types existed) still read.
    summary = models.CharField(_("summary"), max_length=300)
    # The named parameters of the event type's sentence (tenancy.events): the log reads the
    # sentence in the reader's language from these.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [tenant_key()]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tenancy_audit_recent_idx"),
            models.Index(
                fields=["tenant", "target_type", "target_id"], name="tenancy_audit_target_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    def text(self) -> str:
        """What happened, in the active language (see tenancy.events)."""
        from .events import event_text

        return event_text(self)

    def target_kind(self) -> str:
        """The kind of record the event is about ("Customer"), in the active language."""
        from .events import target_kind

        return target_kind(self.target_type)


class PlatformAccess(models.Model):
    """One request of a platform admin through the row-level-security bypass. Global."""

    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("platform admin access")
        verbose_name_plural = _("platform admin accesses")

    def __str__(self) -> str:
        return f"{self.user} {self.method} {self.path}"


class NumberSequence(TenantOwned):
    """A per-tenant counter for document numbers (customers, agreements, orders…).

    Numbers are handed out under a row lock in the caller's transaction, so a rolled-back
    transaction gives its numbers back: no gaps, no duplicates.
    """

    key = models.CharField(_("sequence"), max_length=40)
    prefix = models.CharField(_("prefix"), max_length=10, blank=True)
    padding = models.PositiveSmallIntegerField(_("digits"), default=6)
    next_value = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        ordering = ["key"]
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            tenant_key(),
            models.UniqueConstraint(fields=["tenant", "key"], name="tenancy_sequence_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.format(self.next_value)}"

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.padding}d}"
