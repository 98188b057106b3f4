"""System checks: every model is tenant-owned or knowingly global, keyed by tenant, and related
to other tenant models only through the tenant-aware relation fields."""

from django.apps import apps
from django.core import checks
from django.db import models

from .fields import TenantForeignKey, TenantManyToManyField
from .models import TenantOwned

# Models that are global on purpose. Adding one here is a decision: say why beside it.
GLOBAL_MODELS = {
    "tenancy.tenant",  # what tenancy is keyed on
    "tenancy.user",  # a person may belong to several tenants
    "tenancy.membership",  # read before a tenant is known; always filtered by tenant
    "tenancy.platformaccess",  # the platform admins' own access log
    "admin.logentry",  # Django admin is for platform admins only
    "auth.permission",  # Django's own permission tables: unused by tenants (roles are ours)
    "auth.group",
    "auth.group_permissions",
    "tenancy.user_groups",
    "tenancy.user_user_permissions",
    "contenttypes.contenttype",
    "sessions.session",
    # django-allauth (docs/decisions/0010): all per person, used before a tenant is known.
    "account.emailaddress",  # a login's e-mail address(es); logins are global
    "account.emailconfirmation",  # e-mail confirmation keys of those addresses
    "mfa.authenticator",  # a person's TOTP secret and recovery codes, for every tenant alike
    "usersessions.usersession",  # a person's signed-in sessions (the "end other sessions" list)
}


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _unique_sets(model: type[models.Model]) -> list[tuple[str, list[str]]]:
    """(description, field names) of every uniqueness rule declared on the model."""
    meta = model._meta
    rules = [
        (f"field {field.name!r} unique=True", [field.name])
        for field in meta.local_fields
        if field.unique and not field.primary_key
    ]
    rules += [(f"unique_together {names!r}", list(names)) for names in meta.unique_together]
    rules += [
        (f"constraint {constraint.name!r}", list(constraint.fields))
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    return rules


@checks.register(checks.Tags.models)
def check_tenant_ownership(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return tenant_ownership_errors(apps.get_models(include_auto_created=True))


def tenant_ownership_errors(model_list) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in model_list:
        label = _label(model)
        if model._meta.proxy:
            continue
        if not issubclass(model, TenantOwned):
            errors += _global_relation_errors(model, label)
            if label not in GLOBAL_MODELS:
                errors.append(
                    checks.Error(
                        f"{label} is neither tenant-owned nor allow-listed as global.",
                        hint="Inherit tenancy.models.TenantOwned (for a many-to-many, declare a "
                        "TenantOwned 'through' model), or add it to GLOBAL_MODELS with a reason.",
                        obj=model,
                        id="tenancy.E001",
                    )
                )
            continue
        errors += _relation_errors(model, label)
        rules = _unique_sets(model)
        if not any(fields == ["tenant", "id"] for _, fields in rules):
            errors.append(
                checks.Error(
                    f"{label} lacks the unique (tenant, id) key.",
                    hint="Keep tenancy.models.tenant_key() in Meta.constraints.",
                    obj=model,
                    id="tenancy.E002",
                )
            )
        for description, fields in rules:
            if fields[0] != "tenant":
                errors.append(
                    checks.Error(
                        f"{label}: {description} does not start with tenant.",
                        hint="Uniqueness is per tenant: put 'tenant' first.",
                        obj=model,
                        id="tenancy.E003",
                    )
                )
        for index in model._meta.indexes:
            if index.fields and index.fields[0].lstrip("-") != "tenant":
                errors.append(
                    checks.Error(
                        f"{label}: index {index.name!r} does not start with tenant.",
                        obj=model,
                        id="tenancy.E004",
                    )
                )
    return errors


def _is_tenant_model(model) -> bool:
    return isinstance(model, type) and issubclass(model, TenantOwned)


def _relation_errors(model, label: str) -> list[checks.CheckMessage]:
    """Relations of a tenant model: TenantForeignKey / TenantManyToManyField exactly between
    tenant models, so that every join and related lookup also matches tenant_id."""
    errors: list[checks.CheckMessage] = []
    for field in model._meta.local_fields:
        if not isinstance(field, models.ForeignKey) or field.name == "tenant":
            continue
        to_tenant_model = _is_tenant_model(field.related_model)
        if to_tenant_model and not isinstance(field, TenantForeignKey):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} relates two tenant models with a plain "
                    f"{type(field).__name__}.",
                    hint="Use tenancy.fields.TenantForeignKey (or TenantOneToOneField): its "
                    "joins and lookups also match tenant_id, and its database key is the "
                    "composite (tenant_id, x_id) one.",
                    obj=field,
                    id="tenancy.E005",
                )
            )
        elif not to_tenant_model and isinstance(field, TenantForeignKey):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} is a TenantForeignKey to a global model.",
                    hint="TenantForeignKey is for relations between tenant models only.",
                    obj=field,
                    id="tenancy.E006",
                )
            )
    for field in model._meta.local_many_to_many:
        if _is_tenant_model(field.related_model) and not isinstance(field, TenantManyToManyField):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} relates two tenant models with a plain ManyToManyField.",
                    hint="Use tenancy.fields.TenantManyToManyField through a TenantOwned "
                    "model whose foreign keys are TenantForeignKeys.",
                    obj=field,
                    id="tenancy.E005",
                )
            )
    return errors


def _global_relation_errors(model, label: str) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{label}.{field.name}: a global model refers to the tenant model "
            f"{field.related_model._meta.label}.",
            hint="Global tables become reference tables on a database distributed by tenant "
            "and cannot refer to tenant tables (whose primary key is (tenant_id, id)).",
            obj=field,
            id="tenancy.E007",
        )
        for field in model._meta.local_fields
        if isinstance(field, models.ForeignKey) and _is_tenant_model(field.related_model)
    ]


@checks.register(checks.Tags.database)
def check_database_role(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Row-level security does not bind superusers or BYPASSRLS roles: refuse to run as one."""
    from django.db import connections

    errors: list[checks.CheckMessage] = []
    for alias in databases or []:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            name, is_super, bypass = cursor.fetchone()
        if is_super or bypass:
            errors.append(
                checks.Error(
                    f"Database role {name!r} is a superuser or has BYPASSRLS, so tenant "
                    "row-level security would not apply.",
                    hint="Connect as a role with NOSUPERUSER NOBYPASSRLS (./dev run creates one).",
                    id="tenancy.E010",
                )
            )
    return errors
