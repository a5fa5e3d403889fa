"""Reads of the pipelines app, filtered by what the caller may see: runs, features and SQL over
a version need the reviewer role, like the version itself."""

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, QuerySet

from common.errors import Invalid, NotFound
from pipelines.models import PipelineRun, PipelineUnit, RunStatus, UnitState
from pipelines.sql import QueryResult, SqlError, SqlRefused, query
from pipelines.steps import default_registry
from projects.access import require_role
from projects.models import Role
from projects.selectors import AnyUser, project_role
from versioning.exports import version_items
from versioning.models import DatasetVersion

SQL_MAX_ROWS = 1000
SQL_TIMEOUT_S = 10.0


def run_for(user: AnyUser, run_id: int) -> PipelineRun:
    run = PipelineRun.objects.select_related("version", "job").filter(pk=run_id).first()
    role = project_role(user=user, project_id=run.version.project_id) if run else None
    if run is None or role is None:
        raise NotFound("No such pipeline run.")
    require_role(role, Role.REVIEWER)
    return run


def runs_of(*, version: DatasetVersion) -> QuerySet[PipelineRun]:
    return PipelineRun.objects.filter(version=version).select_related("job").order_by("-pk")


def run_progress(*, run: PipelineRun) -> dict[str, dict[str, int]]:
    """Units per step and state: what this run computes, and how far it got."""
    progress: dict[str, dict[str, int]] = {}
    rows = PipelineUnit.objects.filter(run=run).values_list("step", "state")
    for step, state, count in rows.annotate(n=Count("pk")).values_list("step", "state", "n"):
        progress.setdefault(step, dict.fromkeys(UnitState.values, 0))[state] = count
    return progress


def run_quarantined(*, run: PipelineRun, limit: int = 100) -> list[dict[str, Any]]:
    failures = PipelineUnit.objects.filter(run=run, state=UnitState.FAILED).order_by("pk")
    return [
        {"step": step, "item_id": item_id, "items": items, "error": error}
        for step, item_id, items, error in failures.values_list(
            "step", "item_id", "item_ids", "error"
        )[:limit]
    ]


def _latest_features(version: DatasetVersion) -> dict[str, Any]:
    run = (
        PipelineRun.objects.filter(version=version, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return dict(run.features) if run else {}


def feature_table_key(*, version: DatasetVersion, step: str) -> str | None:
    """The storage key of a per-item step's Parquet feature table for the version (its latest
    finished run): `item_id` then a column per output field. None before any run of it."""
    entry = _latest_features(version).get(step)
    if entry is None:
        if step not in default_registry:
            raise Invalid({"step": [f"Unknown step {step!r}."]})
        return None  # no finished run of it on this version yet
    if "table" not in entry:
        raise Invalid({"step": [f"{step!r} is a dataset step: its output is one value."]})
    return str(entry["table"])


def feature_rows(*, version: DatasetVersion, step: str) -> list[dict[str, Any]]:
    """A per-item step's outputs for the version's items (latest finished run), by item id."""
    key = feature_table_key(version=version, step=step)
    if key is None:
        return []
    with default_storage.open(key, "rb") as handle:
        table = pq.read_table(io.BytesIO(handle.read()))
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _items_tables(version: DatasetVersion) -> dict[str, bytes]:
    items: dict[str, list[Any]] = {
        name: [] for name in ("item_id", "sha256", "file_name", "width", "height", "split")
    }
    shapes: dict[str, list[Any]] = {
        name: []
        for name in ("item_id", "shape_id", "label", "kind", "points", "attributes", "occluded")
    }
    for entry in version_items(version)():
        record = entry.item
        for name in items:
            items[name].append(getattr(record, name))
        for shape in entry.shapes:
            shapes["item_id"].append(record.item_id)
            shapes["shape_id"].append(str(shape.get("id", "")))
            shapes["label"].append(shape.get("label"))
            shapes["kind"].append(shape.get("kind"))
            shapes["points"].append(json.dumps(shape.get("points", [])))
            shapes["attributes"].append(json.dumps(shape.get("attributes", {}), sort_keys=True))
            shapes["occluded"].append(bool(shape.get("occluded", False)))
    types = {"item_id": pa.int64(), "width": pa.int64(), "height": pa.int64()}
    out = {}
    for name, columns in (("items", items), ("shapes", shapes)):
        table = pa.table(
            {
                column: pa.array(values, type=types.get(column, pa.string()))
                if column != "occluded"
                else pa.array(values, type=pa.bool_())
                for column, values in columns.items()
            }
        )
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        out[name] = buffer.getvalue()
    return out


def _version_tables(version: DatasetVersion, directory: Path) -> dict[str, Path]:
    """The version's items and shapes tables (built once, kept in object storage by version id)
    and the feature tables of its latest finished run, copied into `directory`."""
    keys = {name: f"pipelines/sql/{version.pk}/{name}.parquet" for name in ("items", "shapes")}
    if not all(default_storage.exists(key) for key in keys.values()):
        for name, data in _items_tables(version).items():
            if not default_storage.exists(keys[name]):
                default_storage.save(keys[name], ContentFile(data))
    for step, entry in sorted(_latest_features(version).items()):
        if "table" in entry:
            keys[step] = entry["table"]
    paths = {}
    for name, key in keys.items():
        path = directory / f"{name}.parquet"
        with default_storage.open(key, "rb") as handle:
            path.write_bytes(handle.read())
        paths[name] = path
    return paths


def version_sql(*, version: DatasetVersion, sql: str, max_rows: int = SQL_MAX_ROWS) -> QueryResult:
    """One read-only SELECT over this version's tables only (no files, URLs or settings)."""
    with tempfile.TemporaryDirectory(prefix="loupe-sql-") as directory:
        tables = _version_tables(version, Path(directory))
        try:
            return query(
                sql,
                {name: str(path) for name, path in tables.items()},
                max_rows=max_rows,
                timeout_s=SQL_TIMEOUT_S,
            )
        except (SqlRefused, SqlError) as error:
            raise Invalid({"sql": [str(error)]}) from None


def version_schema(*, version: DatasetVersion) -> dict[str, list[tuple[str, str]]]:
    """The tables a query over the version can read, each with its columns and their types."""
    with tempfile.TemporaryDirectory(prefix="loupe-sql-") as directory:
        tables = _version_tables(version, Path(directory))
        first = {"items": 0, "shapes": 1}  # then the feature tables by name
        return {
            name: [(field.name, str(field.type)) for field in pq.read_schema(path)]
            for name, path in sorted(tables.items(), key=lambda t: (first.get(t[0], 2), t[0]))
        }


class VersionFeatureTables:
    """A version's feature tables for its Parquet export (installed into versioning by
    `PipelinesConfig`): each per-item step of the latest finished run, its `item_id` as int64
    like the export's items table."""

    def tables(self, version: DatasetVersion) -> dict[str, pa.Table]:
        tables = {}
        for step, entry in sorted(_latest_features(version).items()):
            if "table" not in entry:
                continue  # a dataset step: one value, no per-item table
            with default_storage.open(entry["table"], "rb") as handle:
                table = pq.read_table(io.BytesIO(handle.read()))
            item_ids = table.column("item_id").cast(pa.int64())
            tables[step] = table.set_column(0, "item_id", item_ids)
        return tables
