"""The tenant query-log check: every statement on a tenant table names its tenant.

On a database distributed by ``tenant_id`` (Citus) a statement goes to one node only when every
tenant table in it is tied to a tenant id value: filtered by ``alias.tenant_id = <value>``
itself, or joined on ``tenant_id`` to a table that is (a join on the distribution column between
co-located tables). ``check_statement`` parses one SQL statement (sqlglot, PostgreSQL dialect)
and reports each occurrence of a tenant table, in every SELECT/UPDATE/DELETE scope including
subqueries and joins, that is not; and every UPDATE that sets ``tenant_id``.

``capture_statements()`` records what the code under test executes on the default connection,
with the tenant context it ran in; ``assert_tenant_routed`` checks a captured log against the
exceptions in ``ALLOWED`` — the one list of them, each with its reason.
"""

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlglot
from django.db import connection
from sqlglot import expressions as exp

from tenancy.context import current_tenant_id, platform_bypass
from tenancy.rls import tenant_models

TENANT_COLUMN = "tenant_id"


@dataclass(frozen=True)
class Allowed:
    reason: str
    pattern: re.Pattern | None = None  # statements matching it (searched in the SQL)
    platform_scope: bool = False  # statements run inside tenancy.context.platform_scope()


# The only statements on tenant tables that may go without a tenant_id filter.
ALLOWED = [
    Allowed(
        "The platform admin's explicit bypass (Django admin for platform staff, seeding, the "
        "admin's cross-tenant pages): these statements read across tenants on purpose; on Citus "
        "they are multi-shard queries, which is fine for rare back-office pages.",
        platform_scope=True,
    ),
    Allowed(
        "Migrations and the RLS/key set-up (tenancy.rls) are DDL and catalog queries, not "
        "statements on tenant rows; they are not SELECT/UPDATE/DELETE and never reach the check "
        "(listed here so the list is complete).",
        pattern=re.compile(r"^\s*(ALTER|CREATE|DROP|COMMENT)\b", re.IGNORECASE),
    ),
]

# Global tables (tenants, users, memberships, sessions, auth, content types, ...) are not
# tenant tables: the check does not look at them (they become Citus reference tables).


def tenant_tables() -> set[str]:
    return {model._meta.db_table for model in tenant_models()}


@dataclass
class Statement:
    sql: str
    tenant_id: int | None
    platform: bool


@dataclass
class _Scope:
    node: exp.Expression
    parent: "_Scope | None"
    sources: dict[str, str] = field(default_factory=dict)  # alias -> table

    def resolve(self, alias: str | None) -> "tuple[_Scope, str] | None":
        scope = self
        while scope is not None:
            if alias is None:
                if len(scope.sources) == 1:
                    return scope, next(iter(scope.sources))
            elif alias in scope.sources:
                return scope, alias
            scope = scope.parent
        return None


_SCOPE_TYPES = (exp.Select, exp.Update, exp.Delete)


def _conjuncts(node: exp.Expression | None) -> Iterator[exp.Expression]:
    if node is None:
        return
    if isinstance(node, exp.Paren | exp.Where):
        yield from _conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def _is_value(node: exp.Expression) -> bool:
    return isinstance(_unwrap(node), exp.Literal | exp.Placeholder | exp.Parameter)


def _table_sources(node: exp.Expression) -> list[exp.Table]:
    if isinstance(node, exp.Select):
        sources = []
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is not None:
            sources.append(from_.this)
        sources += [join.this for join in node.args.get("joins") or []]
    else:  # UPDATE / DELETE: the target table (Django writes no USING / FROM)
        sources = [node.this]
    return [source for source in sources if isinstance(source, exp.Table)]


def _predicates(node: exp.Expression) -> list[exp.Expression]:
    conditions = list(_conjuncts(node.args.get("where")))
    for join in node.args.get("joins") or []:
        conditions += _conjuncts(join.args.get("on"))
    return conditions


class _Classes:
    """Union-find over (scope, alias) nodes; a class is routed when it holds a value filter."""

    def __init__(self):
        self.parent: dict = {}
        self.routed: set = set()

    def find(self, key):
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
            if ra in self.routed:
                self.routed.add(rb)

    def mark(self, key):
        self.routed.add(self.find(key))

    def is_routed(self, key) -> bool:
        return self.find(key) in self.routed


def check_statement(sql: str, tables: set[str] | None = None) -> list[str]:
    """Problems of one statement: tenant-table occurrences not tied to a tenant id value, and
    UPDATEs that set tenant_id. An empty list means the statement is routed."""
    tables = tenant_tables() if tables is None else tables
    if not any(table in sql for table in tables):
        return []
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError as error:
        return [f"cannot parse: {error}"]
    if not isinstance(tree, exp.Select | exp.Update | exp.Delete | exp.Insert | exp.Union):
        return []

    scopes: dict[int, _Scope] = {}
    for node in tree.walk():
        if not isinstance(node, _SCOPE_TYPES):
            continue
        ancestor = node.parent
        while ancestor is not None and not isinstance(ancestor, _SCOPE_TYPES):
            ancestor = ancestor.parent
        scope = _Scope(node, scopes.get(id(ancestor)) if ancestor is not None else None)
        for table in _table_sources(node):
            alias = table.alias_or_name
            scope.sources[alias] = table.name
        scopes[id(node)] = scope

    classes = _Classes()
    problems: list[str] = []

    def tenant_key(scope: _Scope, column: exp.Expression):
        column = _unwrap(column)
        if not isinstance(column, exp.Column) or column.name != TENANT_COLUMN:
            return None
        found = scope.resolve(column.table or None)
        return (id(found[0]), found[1]) if found else None

    for scope in scopes.values():
        for condition in _predicates(scope.node):
            if isinstance(condition, exp.EQ):
                left = tenant_key(scope, condition.left)
                right = tenant_key(scope, condition.right)
                if left and right:
                    classes.union(left, right)
                elif left and _is_value(condition.right):
                    classes.mark(left)
                elif right and _is_value(condition.left):
                    classes.mark(right)
            elif isinstance(condition, exp.In):
                key = tenant_key(scope, condition.this)
                values = condition.expressions
                if key and values and all(_is_value(value) for value in values):
                    classes.mark(key)
        if isinstance(scope.node, exp.Update):
            for assignment in scope.node.expressions:
                target = assignment.this if isinstance(assignment, exp.EQ) else None
                if isinstance(target, exp.Column) and target.name == TENANT_COLUMN:
                    problems.append(f"UPDATE sets tenant_id on {scope.node.this.name}")

    for scope in scopes.values():
        kind = type(scope.node).__name__.upper()
        for alias, table in scope.sources.items():
            if table in tables and not classes.is_routed((id(scope), alias)):
                shown = table if alias == table else f"{table} AS {alias}"
                problems.append(f"{kind} scope: {shown} is not filtered by tenant_id")
    return problems


@contextlib.contextmanager
def capture_statements() -> Iterator[list[Statement]]:
    """Record every statement run on the default connection inside the block."""
    log: list[Statement] = []

    def record(execute, sql, params, many, context):
        log.append(Statement(sql, current_tenant_id.get(), platform_bypass.get()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield log


def allowed_by(statement: Statement) -> Allowed | None:
    for rule in ALLOWED:
        if rule.platform_scope and statement.platform:
            return rule
        if rule.pattern is not None and rule.pattern.search(statement.sql):
            return rule
    return None


def violations(log: list[Statement]) -> list[str]:
    tables = tenant_tables()
    found = []
    for statement in log:
        if allowed_by(statement):
            continue
        for problem in check_statement(statement.sql, tables):
            found.append(f"{problem}\n    {statement.sql}")
    return found


def assert_tenant_routed(log: list[Statement]) -> None:
    found = violations(log)
    assert not found, "statements not routed by tenant_id:\n" + "\n".join(found)
