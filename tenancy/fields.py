"""Relation fields between tenant-owned models that always match ``tenant_id`` too.

On Citus every tenant table is distributed by ``tenant_id``; a statement goes to one shard only
when every tenant table in it is tied to one tenant id, and a join between two distributed
tables must match on the distribution column. So a relation between two tenant models is
really the pair ``(tenant_id, x_id) -> (tenant_id, id)``. Django's ForeignKey knows one column;
these fields keep it (forms, admin and ``x_id`` work as before) and add ``tenant_id`` wherever
Django builds a condition from the relation:

- joins (``select_related``, filters and annotations across the relation, M2M through tables)
  via ``get_extra_restriction``: ``ON (child.x_id = parent.id AND parent.tenant_id =
  child.tenant_id)``;
- ``child.parent`` via ``get_extra_descriptor_filter``; ``parent.children`` and M2M managers
  via their ``core_filters``; ``prefetch_related`` in both directions via the descriptors.

The database constraint is the composite key that tenancy.rls adds, so Django's own
single-column constraint is off (``db_constraint=False``); Citus refuses it anyway.
Modelled on Citus's django-multitenant, which does not support current Django.
"""

from django.db import models
from django.db.models import Q
from django.db.models.expressions import ResolvedOuterRef
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
    create_forward_many_to_many_manager,
    create_reverse_many_to_one_manager,
)
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode
from django.utils.functional import cached_property

TENANT_FIELD = "tenant"
TENANT_COLUMN = "tenant_id"


def tenant_filter(instances) -> Q:
    """``tenant_id = t`` for instances of one tenant (the usual case), ``IN`` for several."""
    tenant_ids = sorted({instance.tenant_id for instance in instances})
    if len(tenant_ids) == 1:
        return Q(tenant_id=tenant_ids[0])
    return Q(tenant_id__in=tenant_ids)


def _with_tenant(queryset, instances):
    return queryset.filter(tenant_filter(instances))


class _TenantJoinMixin:
    """The join condition and the descriptor filter shared by the FK and one-to-one fields."""

    def get_extra_restriction(self, alias, related_alias):
        # alias is the referenced (parent) table's alias, related_alias this model's.
        child_tenant = self.model._meta.get_field(TENANT_FIELD)
        if alias is None:
            # exclude() across a multi-valued relation: Django pushes the condition into
            # ``NOT EXISTS (SELECT ... FROM child U1 WHERE U1.parent_id = (outer.id))`` and
            # trims the parent away. Tie the child to the outer query's tenant instead. The
            # outer model is a tenant model: it reaches this field through tenant relations
            # only (a global model may not refer to a tenant model, tenancy.E007).
            condition = Exact(child_tenant.get_col(related_alias), ResolvedOuterRef(TENANT_COLUMN))
            return WhereNode([condition], connector=AND)
        parent_tenant = self.remote_field.model._meta.get_field(TENANT_FIELD)
        condition = Exact(parent_tenant.get_col(alias), child_tenant.get_col(related_alias))
        return WhereNode([condition], connector=AND)

    def get_extra_descriptor_filter(self, instance):
        # Used by ``child.parent``: the parent lives in the child's tenant.
        return {TENANT_COLUMN: instance.tenant_id}


class TenantForwardManyToOneDescriptor(ForwardManyToOneDescriptor):
    def get_prefetch_querysets(self, instances, querysets=None):
        if querysets and len(querysets) == 1:
            querysets = [_with_tenant(querysets[0], instances)]
        elif not querysets:
            querysets = [_with_tenant(self.get_queryset(instance=instances[0]), instances)]
        return super().get_prefetch_querysets(instances, querysets)


class TenantForwardOneToOneDescriptor(ForwardOneToOneDescriptor):
    get_prefetch_querysets = TenantForwardManyToOneDescriptor.get_prefetch_querysets


class TenantReverseOneToOneDescriptor(ReverseOneToOneDescriptor):
    def get_queryset(self, *, instance):
        # ``parent.child`` for a one-to-one looks the child up through this queryset.
        return super().get_queryset(instance=instance).filter(tenant_id=instance.tenant_id)

    def get_prefetch_querysets(self, instances, querysets=None):
        if querysets and len(querysets) == 1:
            querysets = [_with_tenant(querysets[0], instances)]
        elif not querysets:
            unfiltered = super().get_queryset(instance=instances[0])
            querysets = [_with_tenant(unfiltered, instances)]
        return super().get_prefetch_querysets(instances, querysets)


def _tenant_reverse_manager(superclass, rel):
    base = create_reverse_many_to_one_manager(superclass, rel)

    class TenantRelatedManager(base):
        def __init__(self, instance):
            super().__init__(instance)
            self.core_filters[TENANT_COLUMN] = instance.tenant_id

        def __call__(self, *, manager):
            manager = getattr(self.model, manager)
            return _tenant_reverse_manager(manager.__class__, rel)(self.instance)

        def get_prefetch_querysets(self, instances, querysets=None):
            if querysets and len(querysets) == 1:
                querysets = [_with_tenant(querysets[0], instances)]
            elif not querysets:
                querysets = [_with_tenant(superclass.get_queryset(self), instances)]
            return super().get_prefetch_querysets(instances, querysets)

        def add(self, *objs, bulk=True):
            # The bulk path is one UPDATE ... WHERE id IN (...): scope it to the tenant.
            from .db_backend.routing import implicit_tenant_filter

            with implicit_tenant_filter([self.instance.tenant_id]):
                return super().add(*objs, bulk=bulk)

        add.alters_data = True

    return TenantRelatedManager


class TenantReverseManyToOneDescriptor(ReverseManyToOneDescriptor):
    @cached_property
    def related_manager_cls(self):
        return _tenant_reverse_manager(self.rel.related_model._default_manager.__class__, self.rel)


class TenantForeignKey(_TenantJoinMixin, models.ForeignKey):
    """A ForeignKey from one tenant-owned model to another; see the module docstring.

    ``db_constraint`` defaults to False: the composite ``(tenant_id, x_id)`` key added by
    tenancy.rls is the database constraint. The system check (tenancy.E005/E006) requires this
    field between tenant models and refuses it anywhere else.
    """

    forward_related_accessor_class = TenantForwardManyToOneDescriptor
    related_accessor_class = TenantReverseManyToOneDescriptor

    def __init__(self, to, on_delete, **kwargs):
        kwargs.setdefault("db_constraint", False)
        super().__init__(to, on_delete, **kwargs)


class TenantOneToOneField(_TenantJoinMixin, models.OneToOneField):
    """A OneToOneField between tenant-owned models (its unique key should lead with tenant)."""

    forward_related_accessor_class = TenantForwardOneToOneDescriptor
    related_accessor_class = TenantReverseOneToOneDescriptor

    def __init__(self, to, on_delete, **kwargs):
        kwargs.setdefault("db_constraint", False)
        super().__init__(to, on_delete, **kwargs)


def _tenant_many_to_many_manager(superclass, rel, reverse):
    base = create_forward_many_to_many_manager(superclass, rel, reverse)

    class TenantManyRelatedManager(base):
        def __init__(self, instance=None):
            super().__init__(instance)
            # The target rows belong to the instance's tenant; the join to the through table
            # carries tenant_id through its TenantForeignKey.
            self.core_filters[TENANT_COLUMN] = instance.tenant_id

        def __call__(self, *, manager):
            manager = getattr(self.model, manager)
            return _tenant_many_to_many_manager(manager.__class__, rel, reverse)(
                instance=self.instance
            )

        def get_prefetch_querysets(self, instances, querysets=None):
            if querysets and len(querysets) == 1:
                querysets = [_with_tenant(querysets[0], instances)]
            elif not querysets:
                querysets = [_with_tenant(superclass.get_queryset(self), instances)]
            return super().get_prefetch_querysets(instances, querysets)

    return TenantManyRelatedManager


class TenantManyToManyDescriptor(ManyToManyDescriptor):
    @cached_property
    def related_manager_cls(self):
        related_model = self.rel.related_model if self.reverse else self.rel.model
        return _tenant_many_to_many_manager(
            related_model._default_manager.__class__, self.rel, reverse=self.reverse
        )


class TenantManyToManyField(models.ManyToManyField):
    """A ManyToManyField between tenant-owned models through a TenantOwned ``through`` model
    whose two foreign keys are TenantForeignKeys (so both joins match tenant_id)."""

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, TenantManyToManyDescriptor(self.remote_field, reverse=False))

    def contribute_to_related_class(self, cls, related):
        super().contribute_to_related_class(cls, related)
        if not self.remote_field.hidden and not related.related_model._meta.swapped:
            setattr(
                cls,
                related.accessor_name,
                TenantManyToManyDescriptor(self.remote_field, reverse=True),
            )
