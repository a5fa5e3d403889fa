"""Parquet tables for DuckDB and pandas: items, shapes and attributes, in a zip; with
`features`, also one `features/<step>.parquet` per derived feature table (keyed by `item_id`).

Each table is written in row groups of BATCH_ROWS as the items stream past (one pass per
table), so memory stays flat. Writer options are fixed and pyarrow writes no timestamps, so a
version exports to the same bytes for as long as the pinned pyarrow is the same.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from formats import masks
from formats.geometry import bounds, shape_area
from formats.records import ItemShapes, Label, Shape
from formats.streams import ItemSource, in_item_order
from formats.zipstream import ZipStream

BATCH_ROWS = 8192
Row = dict[str, Any]

ITEMS = pa.schema(
    [
        ("item_id", pa.int64()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("split", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("metadata", pa.string()),
    ]
)
SHAPES = pa.schema(
    [
        ("item_id", pa.int64()),
        ("shape_id", pa.string()),
        ("label", pa.string()),
        ("kind", pa.string()),
        ("points", pa.list_(pa.float64())),
        ("x1", pa.float64()),
        ("y1", pa.float64()),
        ("x2", pa.float64()),
        ("y2", pa.float64()),
        ("area", pa.float64()),
        ("occluded", pa.bool_()),
        ("rotation", pa.float64()),
        ("score", pa.float64()),
        ("rle", pa.string()),
    ]
)
ATTRIBUTES = pa.schema(
    [
        ("item_id", pa.int64()),
        ("shape_id", pa.string()),
        ("name", pa.string()),
        ("value", pa.string()),
        ("number", pa.float64()),
        ("flag", pa.bool_()),
    ]
)


def write_parquet(
    out: BinaryIO,
    *,
    labels: list[Label],
    items: ItemSource,
    features: Mapping[str, pa.Table] | None = None,
) -> None:
    """Stream items.parquet, shapes.parquet and attributes.parquet into one zip, then each of
    `features` ({step: table}) as features/<step>.parquet, by step name."""
    tables: list[tuple[str, pa.Schema, Callable[[ItemShapes], Iterator[Row]]]] = [
        ("items.parquet", ITEMS, _item_rows),
        ("shapes.parquet", SHAPES, _shape_rows),
        ("attributes.parquet", ATTRIBUTES, _attribute_rows),
    ]
    with ZipStream(out) as archive:
        for name, schema, rows in tables:
            # Parquet pages are already zstd-compressed; deflating them again gains nothing.
            with archive.member(name, compress=False) as stream:
                _write_table(stream, schema, (row for e in in_item_order(items) for row in rows(e)))
        for step in sorted(features or {}):
            with archive.member(f"features/{step}.parquet", compress=False) as stream:
                table = (features or {})[step]
                writer = _writer(stream, table.schema)
                writer.write_table(table, row_group_size=BATCH_ROWS)
                writer.close()


def _writer(stream: IO[bytes], schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        stream,
        schema,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
    )


def _write_table(stream: IO[bytes], schema: pa.Schema, rows: Iterator[Row]) -> None:
    writer = _writer(stream, schema)
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            batch = []
    if batch:
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    writer.close()


def _item_rows(entry: ItemShapes) -> Iterator[Row]:
    row = entry.item.fields()
    row["metadata"] = json.dumps(row["metadata"], sort_keys=True, ensure_ascii=False)
    yield row


def _shape_rows(entry: ItemShapes) -> Iterator[Row]:
    for shape in entry.shapes:
        box = bounds(shape)
        x1, y1, x2, y2 = box if box is not None else (None, None, None, None)
        area, rle = _area_and_rle(shape)
        yield {
            "item_id": entry.item.item_id,
            "shape_id": shape["id"],
            "label": shape["label"],
            "kind": shape["kind"],
            "points": [float(value) for value in shape.get("points") or []],
            "x1": x1,
            "y1": y1,
            "x2": x2,
            "y2": y2,
            "area": area,
            "occluded": bool(shape.get("occluded")),
            "rotation": float(shape.get("rotation") or 0.0),
            "score": shape.get("score"),
            "rle": rle,
        }


def _area_and_rle(shape: Shape) -> tuple[float | None, str | None]:
    """Area in pixels (a mask's own pixel count) and a mask's compressed COCO counts."""
    if shape["kind"] == "tag":
        return None, None
    if shape["kind"] != "mask":
        return shape_area(shape), None
    compressed = masks.compress(shape["rle"])
    area, _ = masks.area_and_bounds(compressed)
    return float(area), masks.to_json(compressed)["counts"]


def _attribute_rows(entry: ItemShapes) -> Iterator[Row]:
    for shape in entry.shapes:
        attributes = shape.get("attributes") or {}
        for name in sorted(attributes):
            value = attributes[name]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            yield {
                "item_id": entry.item.item_id,
                "shape_id": shape["id"],
                "name": name,
                "value": value if isinstance(value, str) else json.dumps(value),
                "number": float(value) if is_number else None,
                "flag": value if isinstance(value, bool) else None,
            }
