"""A model query compiled once and run many times with new values: for the hottest reads (the
access check every save makes), where compiling the ORM query costs more than running it.

The queryset is built once with sentinel values in place of its parameters; the compiled SQL
and the positions of the sentinels are kept (per thread, since a compiler belongs to its
thread's connection). Each call executes that SQL with the values swapped in and builds the
instances as Django's ModelIterable does (converters, select_related objects, annotations), so
the result is exactly what the queryset would have given.

ModelColumns serves the reads no queryset can say in one statement (several models beside each
other, LEFT JOINs on conditions): the hand-written SQL selects a model's columns and gets the
same instance back.
"""

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

# Values no real parameter takes (negative primary keys are never assigned).
_SENTINEL_BASE = -7_340_000_000


class PreparedQuery(Generic[M]):
    """`build(*sentinels)` must return the queryset for those parameter values; `first(*values)`
    runs it with the real ones and answers the first instance or None."""

    def __init__(self, build: Callable[..., QuerySet[M]], arity: int) -> None:
        self._build = build
        self._sentinels = [_SENTINEL_BASE - n for n in range(arity)]
        self._local = threading.local()

    def _compiled(self) -> tuple[Any, str, list[Any], list[int | None]]:
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            queryset = self._build(*self._sentinels)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            slots = [
                self._sentinels.index(value) if value in self._sentinels else None
                for value in params
            ]
            missing = set(range(len(self._sentinels))) - {s for s in slots if s is not None}
            if missing:  # a value the SQL does not take: refuse rather than ignore it
                raise ValueError(f"parameters {sorted(missing)} do not reach the SQL")
            compiled = (compiler, sql, list(params), slots)
            self._local.compiled = compiled
        return compiled

    def first(self, *values: Any) -> M | None:
        compiler, sql, params, slots = self._compiled()
        bound = [
            value if slot is None else values[slot]
            for value, slot in zip(params, slots, strict=True)
        ]
        db = compiler.using
        with connections[db].cursor() as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        select, klass_info = compiler.select, compiler.klass_info
        model_cls = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        row = next(iter(compiler.results_iter([rows])))
        instance: M = model_cls.from_db(db, init_list, row[start:end])
        # django-stubs describes 6.0, whose populators take a fetch mode; 5.2 takes three.
        for populator in get_related_populators(klass_info, select, db):  # type: ignore[call-arg]
            populator.populate(row, instance)
        for name, position in compiler.annotation_col_map.items():
            setattr(instance, name, row[position])
        return instance


class ModelColumns(Generic[M]):
    """One model's concrete columns under a table alias, for a hand-written statement that reads
    several models at once (a LEFT JOIN the ORM cannot say, or a row that is not one model's).

    `sql` is the SELECT list, `width` its length; `build(values)` answers the instance those
    values make, converted as a queryset converts them (JSON, datetimes, SQLite's booleans), or
    None when the LEFT JOIN found no row (its primary key is NULL).
    """

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self._fields = list(model._meta.concrete_fields)
        self._alias = alias
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self._fields)
        self.width = len(self._fields)
        self._attnames = [field.attname for field in self._fields]
        self._pk_position = self._fields.index(model._meta.pk)
        self._converters: dict[str, list[tuple[int, Any, list[Any]]]] = {}

    def _converters_for(self, using: str) -> list[tuple[int, Any, list[Any]]]:
        converters = self._converters.get(using)
        if converters is None:
            connection = connections[using]
            converters = []
            for position, field in enumerate(self._fields):
                column = field.get_col(self._alias)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    converters.append((position, column, functions))
            self._converters[using] = converters
        return converters

    def build(self, values: Sequence[Any], using: str = "default") -> M | None:
        if values[self._pk_position] is None:
            return None
        row = list(values[: self.width])
        connection = connections[using]
        for position, column, functions in self._converters_for(using):
            value = row[position]
            for function in functions:
                value = function(value, column, connection)
            row[position] = value
        return self.model.from_db(using, self._attnames, row)


def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor for the hottest hand-written statements, which Postgres then parses and plans
    once per connection instead of on every run (a save's multi-join read plans in about 0.4 ms
    and runs in 0.1 ms).

    Django's own cursors bind parameters on the client and are never prepared, so the ORM's
    queries are untouched. This one binds on the server, as Django's `server_side_binding`
    cursor does, and psycopg prepares each statement it runs once it has run DATABASES OPTIONS
    "prepare_threshold" times. Where that option is None (Django's default, for poolers that
    keep no prepared statements) and on SQLite, this is the ordinary cursor. Either way it is
    wrapped like any Django cursor: errors, execute wrappers and query logging are the same.
    """
    connection = connections[using]
    options = connection.settings_dict.get("OPTIONS", {})
    if connection.vendor != "postgresql" or options.get("prepare_threshold") is None:
        return connection.cursor()
    server_binding_cursor, timestamptz_oid, text_format, register_tzloader = _postgres()
    # What DatabaseWrapper.cursor() does, with a server-binding cursor for create_cursor()'s.
    connection.ensure_connection()
    raw = connection.connection
    cursor = server_binding_cursor(raw)
    if connection.timezone != raw.adapters.get_loader(timestamptz_oid, text_format).timezone:
        register_tzloader(connection.timezone, cursor)
    connection.validate_thread_sharing()
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


@functools.cache
def _postgres() -> tuple[Any, int, Any, Any]:
    """Django's psycopg pieces, imported once and only where Postgres is used."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    return ServerBindingCursor, TIMESTAMPTZ_OID, Format.TEXT, register_tzloader
