from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import pipelines.builtin  # noqa: F401 - registers the built-in steps
from pipelines.dag import build_dag
from pipelines.features import feature_table, feature_tables
from pipelines.runner import MemoryStore, run
from pipelines.sql import query
from tests.pipelines.helpers import box, image_item, png_bytes


def test_outputs_flatten_to_typed_columns_sorted_by_item() -> None:
    table = feature_table(
        {
            "b": {"score": 1, "name": "x", "ok": True, "counts": {"car": 2}},
            "a": {"score": 0.5, "name": "y", "ok": False, "counts": {}},
            "c": {"score": None, "extra": [1, 2]},
        }
    )

    assert table.column_names == ["item_id", "counts", "extra", "name", "ok", "score"]
    assert table.schema.field("score").type == pa.float64()
    assert table.schema.field("ok").type == pa.bool_()
    assert table.to_pylist() == [
        {"item_id": "a", "counts": "{}", "extra": None, "name": "y", "ok": False, "score": 0.5},
        {
            "item_id": "b",
            "counts": '{"car":2}',
            "extra": None,
            "name": "x",
            "ok": True,
            "score": 1.0,
        },
        {"item_id": "c", "counts": None, "extra": "[1,2]", "name": None, "ok": None, "score": None},
    ]


def test_scalar_outputs_become_a_value_column() -> None:
    assert feature_table({"2": 7, "1": 3}).to_pylist() == [
        {"item_id": "1", "value": 3},
        {"item_id": "2", "value": 7},
    ]


def test_a_run_features_are_queryable_with_sql(tmp_path: Path) -> None:
    items = [
        image_item("a", png_bytes(8, 8, (0, 0, 0)), [box("car", [0, 0, 2, 2])]),
        image_item("b", png_bytes(8, 8, (250, 250, 250)), [box("car", [0, 0, 4, 4], "1")] * 2),
    ]
    store = MemoryStore()
    report = run(build_dag(["image_stats", "label_stats"]), items, store)
    paths = {}
    for name, table in feature_tables(report, store).items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])

    result = query(
        "SELECT s.item_id, s.brightness, l.shapes FROM image_stats s "
        "JOIN label_stats l USING (item_id) ORDER BY s.brightness DESC",
        paths,
    )

    assert result.rows == [("b", 250.0, 2), ("a", 0.0, 1)]
