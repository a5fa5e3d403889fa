"""Writing a round's units at once: COPY on Postgres, bulk inserts elsewhere.

A first round over 100k items creates 200k units; the ORM's multi-row INSERT spent most of the
run's planning binding their 2.6 million values client-side.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from pipelines.models import PipelineUnit


@dataclass
class NewUnit:
    """A unit a round creates, queued (a model instance per unit cost the planner 150 us)."""

    run_id: int
    step: str
    item_id: int | None
    key: str
    inputs: dict[str, Any]
    item_ids: list[int | None] = field(default_factory=list)
    lease_until: datetime | None = None

    def row(self) -> PipelineUnit:
        return PipelineUnit(
            run_id=self.run_id,
            step=self.step,
            item_id=self.item_id,
            item_ids=self.item_ids,
            key=self.key,
            inputs=self.inputs,
            lease_until=self.lease_until,
        )


ANALYZE_FROM = 1000  # units in one round

_COLUMNS = ("run_id", "step", "item_id", "item_ids", "key", "inputs", "lease_until")
# the other columns take their model defaults, written out so COPY does not need them
_DEFAULTS = {"state": "queued", "claimed_by": "", "attempts": 0, "computed": False, "error": ""}


def units_insert(units: list[NewUnit]) -> None:
    """Insert `units` in list order (their pks follow it), skipping any (run, key) present."""
    if connection.vendor != "postgresql":
        rows = [unit.row() for unit in units]
        PipelineUnit.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        return
    table = PipelineUnit._meta.db_table
    columns = ", ".join((*_COLUMNS, *_DEFAULTS))
    defaults = tuple(_DEFAULTS.values())
    with connection.cursor() as cursor:
        # COPY has no ON CONFLICT: through a temporary table, then one INSERT ... SELECT.
        cursor.execute(
            f"CREATE TEMP TABLE pipeline_units_new ON COMMIT DROP AS "
            f"SELECT 0 AS position, {columns} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY pipeline_units_new (position, {columns}) FROM STDIN") as copy:
            for position, unit in enumerate(units):
                copy.write_row((position, *_values(unit), *defaults))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM pipeline_units_new "
            "ORDER BY position ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE pipeline_units_new")
        if len(units) >= ANALYZE_FROM:
            # A new run's id is in no statistics yet: the planner takes it for one row and
            # answers every claim of `id IN (batch)` by scanning the run's whole index range
            # (200k units: a quarter second per claim of 100). Autovacuum's analyze comes a
            # minute later at best, or never where it is off; the claims start now.
            cursor.execute(f"ANALYZE {table}")


def _values(unit: NewUnit) -> tuple[object, ...]:
    return (
        unit.run_id,
        unit.step,
        unit.item_id,
        json.dumps(unit.item_ids),
        unit.key,
        json.dumps(unit.inputs),
        unit.lease_until,
    )
