"""Selectors whose statement is built once per process and run with each call's values.

Django builds a queryset's SQL anew every time one is evaluated: ``filter()`` resolves each
lookup, the compiler lists every selected column of every related table and quotes each name.
For the small reads of a detail page that is most of their cost: the order page's header (the
order and six related tables) took 2.4 ms of Python to build for a read the database answers in
0.2 ms (docs/performance.md, decision 0029). A selector whose statement has the same shape on
every call, only its values changing, can be built and compiled once::

    @precompiled("tenant_id", "order_id")
    def _order_photos(*, tenant_id, order_id):
        return OrderPhoto.objects.filter(tenant_id=tenant_id, order_id=order_id).order_by("id")

    _order_photos(tenant_id=tenant.pk, order_id=order.pk)  # -> list of OrderPhoto

The first call builds the queryset with stand-in values (integers no record has), compiles it,
and notes where each stand-in sits among the statement's parameters; every call then runs that
SQL with its own values through Django's own result machinery (model instances, select_related,
converters, prefetches), so it returns exactly what ``list(queryset)`` would. The statement goes
through the connection's cursor like any other (query counting, the tenant checks of the test
suite and row-level security all see it).

The builder must be a function of its arguments only (no clock, no request, no settings read
at call time), its arguments integers, each used as a bound parameter of the statement (an
argument that does not reach the parameters, or whose stand-in shows in the SQL text, is refused
when compiling), and the shape the same for every value (no ``IN`` list of varying length).
"""

import copy
import functools
import logging
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

from .db_backend.routing import implicit_tenant_filter

logger = logging.getLogger(__name__)

# Stand-ins: far below any id, count or amount the application stores (bigint's lower half).
_STAND_IN_BASE = -(2**62)

# The statements built so far, by builder (a module attribute, looked up on each call, so a test
# can swap in an empty one); None for a builder whose statement does not bind its arguments.
_statements: dict[Callable, "_Compiled | None"] = {}
# Every decorated builder, with its argument names (tests check that each one compiles).
registered: dict[Callable, tuple[str, ...]] = {}


class NotPrecompilable(Exception):
    """The builder's statement does not take each argument as a bound parameter."""


class _Compiled:
    def __init__(self, queryset: QuerySet, names: tuple[str, ...], stand_ins: dict[str, int]):
        self.queryset = queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.compiler = compiler
        self.params = list(params)
        self.positions = {}
        for name in names:
            stand_in = stand_ins[name]
            found = [
                index
                for index, param in enumerate(self.params)
                if type(param) is int and param == stand_in
            ]
            if not found or str(stand_in) in self.sql:
                raise NotPrecompilable(f"{name!r} is not a bound parameter of the statement")
            self.positions[name] = found

    def run(self, values: dict[str, int]) -> list:
        params = list(self.params)
        for name, found in self.positions.items():
            for index in found:
                params[index] = values[name]
        statement = (self.sql, tuple(params))
        compiler = copy.copy(self.compiler)
        # This thread's connection (a connection object belongs to the thread that opened it).
        compiler.connection = connections[self.queryset.db]
        compiler.as_sql = lambda *args, **kwargs: statement
        queryset = self.queryset._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


def compile_statement(build: Callable[..., QuerySet], names: tuple[str, ...]) -> _Compiled:
    """Build and compile ``build``'s statement with stand-in values; NotPrecompilable when an
    argument does not reach its parameters."""
    stand_ins = {name: _STAND_IN_BASE - n for n, name in enumerate(names)}
    # Compiled outside any implicit tenant routing: that would put a real tenant id into the
    # statement every later call reuses.
    with implicit_tenant_filter([]):
        return _Compiled(build(**stand_ins), names, stand_ins)


def precompiled(*names: str) -> Callable:
    """Decorate a queryset builder taking the keyword arguments ``names`` (integers): calling
    the result returns the list of the queryset's rows, from SQL built on the first call. A
    builder whose statement cannot be reused (see the module's docstring) is evaluated as a
    plain queryset on every call: the same rows, without the saving (and a warning logged)."""

    def decorate(build: Callable[..., QuerySet]) -> Callable[..., list]:
        registered[build] = names

        @functools.wraps(build)
        def run(**values) -> list:
            if set(values) != set(names):
                raise TypeError(f"{build.__qualname__}() takes exactly {', '.join(names)}")
            for name, value in values.items():
                if type(value) is not int:
                    raise TypeError(f"{name} must be an int, not {value!r}")
            statements = _statements
            if build not in statements:
                try:
                    statements[build] = compile_statement(build, names)
                except NotPrecompilable as exc:
                    logger.warning("%s is run as a plain queryset: %s", build.__qualname__, exc)
                    statements[build] = None
            compiled = statements[build]
            if compiled is None:
                return list(build(**values))
            return compiled.run(values)

        run.build = build  # the plain queryset builder (tests, callers that need a queryset)
        return run

    return decorate
