"""A model query compiled once and run many times with new values: for the hottest reads (the
access check every save makes), where compiling the ORM query costs more than running it.

The queryset is built once with sentinel values in place of its parameters; the compiled SQL
and the positions of the sentinels are kept (per thread, since a compiler belongs to its
thread's connection). Each call executes that SQL with the values swapped in and builds the
instances as Django's ModelIterable does (converters, select_related objects, annotations), so
the result is exactly what the queryset would have given.
"""

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections
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
