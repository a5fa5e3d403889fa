import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

from formats.parquet import write_parquet
from formats.records import ItemShapes
from tests.formats.helpers import export
from tests.formats.samples import LABELS, every_kind, item


def tables(data: bytes) -> dict[str, pa.Table]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: pq.read_table(io.BytesIO(archive.read(name))) for name in archive.namelist()}


def test_three_tables_with_one_row_per_item_shape_and_attribute() -> None:
    data = export(write_parquet, [every_kind(1), every_kind(2)], labels=LABELS)

    read = tables(data)

    assert list(read) == ["items.parquet", "shapes.parquet", "attributes.parquet"]
    assert read["items.parquet"].column("item_id").to_pylist() == [1, 2]
    assert (
        read["items.parquet"].column("metadata").to_pylist()[0]
        == '{"camera": "front", "exposure": 1.5}'
    )
    shapes = read["shapes.parquet"].to_pylist()
    assert len(shapes) == 16
    box, rotated, keypoints, polygon, mask, _, tag, _ = shapes[:8]
    assert (box["x1"], box["y1"], box["x2"], box["y2"], box["area"]) == (
        4.0,
        5.0,
        20.0,
        15.0,
        160.0,
    )
    assert rotated["rotation"] == 30.0 and rotated["occluded"] is True
    assert round(rotated["area"], 6) == 200.0
    assert keypoints["points"] == [10.0, 10.0, 2.0, 12.0, 20.0, 1.0, 0.0, 0.0, 0.0]
    assert polygon["area"] == 367.5
    assert mask["area"] == 150.0 and mask["rle"] == "il1?Q100000000000000000Wd0"
    assert (tag["x1"], tag["area"], tag["points"]) == (None, None, [])
    assert read["attributes.parquet"].to_pylist() == [
        {
            "item_id": 1,
            "shape_id": shapes[0]["shape_id"],
            "name": "colour",
            "value": "blue",
            "number": None,
            "flag": None,
        },
        {
            "item_id": 2,
            "shape_id": shapes[8]["shape_id"],
            "name": "colour",
            "value": "blue",
            "number": None,
            "flag": None,
        },
    ]


def test_typed_attribute_columns_and_scores() -> None:
    shape = dict(every_kind(1).shapes[0], attributes={"iscrowd": True, "speed": 3}, score=0.25)

    read = tables(export(write_parquet, [ItemShapes(item(1), [shape])], labels=LABELS))

    assert read["shapes.parquet"].column("score").to_pylist() == [0.25]
    rows = read["attributes.parquet"].to_pylist()
    assert [(r["name"], r["value"], r["number"], r["flag"]) for r in rows] == [
        ("iscrowd", "true", None, True),
        ("speed", "3", 3.0, None),
    ]


def test_row_groups_follow_the_batch_size_and_bytes_are_stable() -> None:
    entries = [every_kind(n) for n in range(1, 1201)]

    data = export(write_parquet, entries, labels=LABELS)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        shapes = pq.ParquetFile(io.BytesIO(archive.read("shapes.parquet")))
    assert shapes.metadata.num_rows == 9600
    assert [shapes.metadata.row_group(i).num_rows for i in range(shapes.num_row_groups)] == [
        8192,
        1408,
    ]
    assert data == export(write_parquet, entries, labels=LABELS)


def test_an_empty_version_still_has_its_three_tables() -> None:
    read = tables(export(write_parquet, [], labels=LABELS))

    assert [t.num_rows for t in read.values()] == [0, 0, 0]
    assert read["shapes.parquet"].schema.names[:4] == ["item_id", "shape_id", "label", "kind"]


def test_feature_tables_follow_the_three_tables_by_step_name_with_the_same_bytes() -> None:
    entries = [every_kind(1), every_kind(2)]
    blur = pa.table({"item_id": pa.array([1, 2], pa.int64()), "blur": [0.5, 2.0]})
    size = pa.table({"item_id": pa.array([2], pa.int64()), "value": ["big"]})
    features = {"zeta": size, "alpha": blur}

    data = export(write_parquet, entries, labels=LABELS, features=features)

    read = tables(data)
    assert list(read)[3:] == ["features/alpha.parquet", "features/zeta.parquet"]
    assert read["features/alpha.parquet"].equals(blur)
    assert read["features/zeta.parquet"].to_pylist() == [{"item_id": 2, "value": "big"}]
    assert export(write_parquet, entries, labels=LABELS, features=dict(features)) == data
    plain = tables(export(write_parquet, entries, labels=LABELS, features={}))
    assert list(plain) == ["items.parquet", "shapes.parquet", "attributes.parquet"]
