"""Feature tables: per-item step outputs as Arrow tables (Parquet columns, SQL tables).

One row per item, sorted by item id: `item_id`, then one column per field of a dict output
(sorted by name), or a single `value` column for other outputs. Numbers, strings and booleans keep
their type; nested values (lists, dicts) and columns of mixed types become canonical JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from formats.canonical import canonical_json
from pipelines.inputs import ItemId
from pipelines.runner import RunReport, Store
from pipelines.steps import JsonValue


def feature_table(outputs_by_item: Mapping[ItemId, JsonValue]) -> pa.Table:
    item_ids = sorted(outputs_by_item)
    rows = [_fields(outputs_by_item[item_id]) for item_id in item_ids]
    names = sorted({name for row in rows for name in row})
    columns: dict[str, pa.Array] = {"item_id": pa.array(item_ids, type=pa.string())}
    for name in names:
        columns[name] = _column([row.get(name) for row in rows])
    return pa.table(columns)


def feature_tables(report: RunReport, store: Store) -> dict[str, pa.Table]:
    """A table per per-item step of a finished run, read back from the store by the run's keys.
    Quarantined units are absent (their rows are missing, not null)."""
    tables = {}
    for step_name, keys in report.item_keys.items():
        outputs = {item_id: store.get(key) for item_id, key in keys.items()}
        tables[step_name] = feature_table(
            {item_id: output for item_id, output in outputs.items() if output is not None}
        )
    return tables


def _fields(output: JsonValue) -> dict[str, Any]:
    if isinstance(output, dict):
        return {str(name): value for name, value in output.items() if name != "item_id"}
    return {"value": output}


def _column(values: list[Any]) -> pa.Array:
    present = [value for value in values if value is not None]
    kinds = {type(value) for value in present}
    if kinds <= {int, float} and not kinds <= {int}:
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if len(kinds) <= 1 and not kinds & {list, dict}:
        return pa.array(values)
    return pa.array(
        [None if value is None else canonical_json(value).decode("utf-8") for value in values],
        type=pa.string(),
    )
