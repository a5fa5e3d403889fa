"""The Postgres `Store`: step outputs in `PipelineOutput`, one row per content key, first wins.

Reads go through a local cache; `prefetch` loads many keys in a few queries and remembers which
are absent, so a planner walking thousands of items issues a query per chunk, not per key.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from formats.canonical import content_hash
from pipelines.models import PipelineOutput

CHUNK = 10_000


class PostgresStore:
    def __init__(self, step_of: Mapping[str, str] | None = None, *, buffered: bool = False) -> None:
        self._buffered = buffered  # puts wait for `flush` (one INSERT, one commit per batch)
        self._pending: dict[str, PipelineOutput] = {}
        self._cache: dict[str, Any] = {}
        self._hashes: dict[str, str] = {}  # output_hash as stored, for prefetched keys
        self._absent: set[str] = set()
        self._step_of = dict(step_of or {})
        self.step = ""  # the step whose outputs `put` writes, when `step_of` does not name it
        self.puts = 0

    def prefetch(self, keys: Iterable[str]) -> None:
        wanted = sorted({key for key in keys if key not in self._cache and key not in self._absent})
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = _stored(chunk)
            found = set()
            for key, output, digest in rows:
                self._cache[key], self._hashes[key] = output, digest
                found.add(key)
            self._absent.update(key for key in chunk if key not in found)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def get(self, key: str) -> Any:
        if key in self._cache:
            return self._cache[key]
        if key in self._absent:
            return None
        row = PipelineOutput.objects.filter(key=key).values_list("output", flat=True).first()
        if row is None:
            return None  # not remembered: another worker may store it any moment
        self._cache[key] = row
        return row

    def output_hash(self, key: str) -> str | None:
        """The stored output's hash (`output_hash` column) of a prefetched or put key: a
        planner walking 100k stored outputs reads their hashes instead of re-serialising."""
        return self._hashes.get(key)

    def put(self, key: str, output: Any) -> None:
        """Idempotent: a key already stored keeps its first value (`ignore_conflicts`)."""
        self.puts += 1
        self._pending[key] = PipelineOutput(
            key=key,
            step=self._step_of.get(key, self.step),
            output=output,
            output_hash=content_hash(output),
        )
        self._hashes[key] = self._pending[key].output_hash
        self._absent.discard(key)
        self._cache[key] = output
        if not self._buffered:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            rows = list(self._pending.values())
            if connection.vendor == "postgresql":
                _insert(rows)
            else:
                PipelineOutput.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
            self._pending.clear()


def _insert(rows: list[PipelineOutput]) -> None:
    """One statement for any number of outputs, first writer wins: four array parameters
    unnested server-side (the ORM's bulk INSERT binds and sends every value separately)."""
    table = PipelineOutput._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, step, output, output_hash, created_at) "
            "SELECT key, step, output::jsonb, output_hash, now() "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS new (key, step, output, output_hash) ON CONFLICT (key) DO NOTHING",
            [
                [row.key for row in rows],
                [row.step for row in rows],
                [json.dumps(row.output) for row in rows],
                [row.output_hash for row in rows],
            ],
        )


def _stored(keys: list[str]) -> Iterable[tuple[str, Any, str]]:
    """(key, output, output_hash) of the stored ones among `keys`. On Postgres one array
    parameter: the ORM's `IN (%s, ...)` spends longer binding 10,000 placeholders client-side
    than the database spends answering."""
    if connection.vendor != "postgresql":
        return PipelineOutput.objects.filter(key__in=keys).values_list(
            "key", "output", "output_hash"
        )
    table = PipelineOutput._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key, output::text, output_hash FROM {table} WHERE key = ANY(%s)", [keys]
        )
        return [(key, json.loads(output), digest) for key, output, digest in cursor.fetchall()]
