"""SQL compilers that keep statements on tenant tables filtered by tenant_id.

Three things, all on the statement's base table (joins carry tenant_id through
tenancy.fields.TenantForeignKey):

- An UPDATE never sets tenant_id (Citus refuses to move a row between shards, and a row never
  changes tenant here).
- When Django rewrites an UPDATE or DELETE as ``WHERE id IN (SELECT ...)`` (a filter across a
  relation), the tenant filter of the original statement is kept on the outer statement too,
  not only inside the subquery.
- Inside ``routing.implicit_tenant_filter`` a statement on a tenant table that does not filter
  by tenant_id gets ``tenant_id = <tenant>`` (see routing.py for which statements those are).
"""

from django.core.exceptions import FieldError
from django.db.backends.postgresql import compiler as postgresql
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND, WhereNode

from .routing import implicit_tenant_ids

SQLInsertCompiler = postgresql.SQLInsertCompiler
SQLAggregateCompiler = postgresql.SQLAggregateCompiler

TENANT_COLUMN = "tenant_id"


def _is_tenant_model(model) -> bool:
    from tenancy.models import TenantOwned

    return model is not None and issubclass(model, TenantOwned)


def tenant_conditions(where: WhereNode, alias: str) -> list:
    """The lookups in ``where``'s top-level AND that pin ``alias.tenant_id`` to values."""
    if where.negated or (where.connector != AND and len(where.children) > 1):
        return []
    found = []
    for child in where.children:
        if isinstance(child, WhereNode):
            found += tenant_conditions(child, alias)
        elif (
            isinstance(child, Exact | In)
            and isinstance(child.lhs, Col)
            and child.lhs.alias == alias
            and child.lhs.target.column == TENANT_COLUMN
            and not hasattr(child.rhs, "resolve_expression")
        ):
            found.append(child)
    return found


def _implicit_condition(query, alias: str):
    tenant_ids = implicit_tenant_ids()
    if not tenant_ids:
        return None
    col = query.model._meta.get_field("tenant").get_col(alias)
    return Exact(col, tenant_ids[0]) if len(tenant_ids) == 1 else In(col, list(tenant_ids))


class _TenantRouting:
    writes = False

    def _tenant_alias(self, query=None):
        """The base table's alias if it is a tenant table (UPDATE and DELETE always have one)."""
        query = query or self.query
        if not _is_tenant_model(query.model):
            return None
        if not query.alias_map:
            # A SELECT without a table (e.g. a bare expression) has nothing to filter.
            return query.get_initial_alias() if self.writes else None
        return query.base_table

    def _add_implicit_tenant_filter(self, query) -> None:
        alias = self._tenant_alias(query)
        if alias is None or tenant_conditions(query.where, alias):
            return
        condition = _implicit_condition(query, alias)
        if condition is not None:
            query.where.add(condition, AND)


class SQLCompiler(_TenantRouting, postgresql.SQLCompiler):
    def as_sql(self, *args, **kwargs):
        if implicit_tenant_ids() and self._tenant_alias() is not None:
            # Work on a copy: the query may belong to a queryset that outlives this scope.
            self.query = self.query.clone()
            self._add_implicit_tenant_filter(self.query)
        return super().as_sql(*args, **kwargs)


class SQLDeleteCompiler(_TenantRouting, postgresql.SQLDeleteCompiler):
    writes = True

    def as_sql(self):
        self._add_implicit_tenant_filter(self.query)
        alias = self._tenant_alias()
        self._pinned = tenant_conditions(self.query.where, alias) if alias else []
        return super().as_sql()

    def _as_sql(self, query):
        # The DELETE ... WHERE id IN (subquery) rewrite: keep the tenant filter outside too.
        if query is not self.query and self._pinned:
            alias = query.get_initial_alias()
            if not tenant_conditions(query.where, alias):
                for condition in self._pinned:
                    query.where.add(condition, AND)
        return super()._as_sql(query)


class SQLUpdateCompiler(_TenantRouting, postgresql.SQLUpdateCompiler):
    writes = True

    def as_sql(self):
        if _is_tenant_model(self.query.model):
            for field, _model, _value in self.query.values:
                if field.column == TENANT_COLUMN:
                    raise FieldError(
                        f"UPDATE of {self.query.model._meta.label} would set tenant_id: "
                        "a row never changes tenant."
                    )
        return super().as_sql()

    def pre_sql_setup(self):
        alias = self._tenant_alias()
        if alias is None:
            return super().pre_sql_setup()
        self._add_implicit_tenant_filter(self.query)
        pinned = tenant_conditions(self.query.where, alias)
        result = super().pre_sql_setup()
        # Django may have replaced the WHERE clause by ``id IN (SELECT ...)``; the outer
        # UPDATE names its tenant again (the base table keeps its alias).
        if pinned and not tenant_conditions(self.query.where, self.query.base_table):
            for condition in pinned:
                self.query.where.add(condition, AND)
        return result
