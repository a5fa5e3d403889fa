"""COCO's column path (formats.coco_boxes, for sources offering ShapeColumns) writes the bytes of
its dict path: the source here builds the columns from the same shapes, as Postgres does."""

import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formats.coco import write_coco
from formats.records import SHAPE_KINDS, ItemShapes
from formats.streams import DETAILED, NO_KIND, OCCLUDED, OTHER_KIND, ShapeColumns
from tests.formats.samples import LABELS, every_kind, item, shape

NAMES = [label["name"] for label in LABELS]


@dataclass(frozen=True)
class Offered(ItemShapes):
    """An item that also offers its page's columns, as versioning.exports' entries do."""

    page: list[ItemShapes] = field(default_factory=list)
    index: int = 0

    def shape_columns(self, labels: Sequence[str]) -> tuple[ShapeColumns, int]:
        assert list(labels) == NAMES
        return columns_of(self.page, labels), self.index


_TABLES: dict[int, tuple[list[ItemShapes], ShapeColumns]] = {}


def columns_of(page: list[ItemShapes], labels: Sequence[str]) -> ShapeColumns:
    """The page's ShapeColumns by the rules versioning.exports' SQL follows."""
    if id(page) in _TABLES and _TABLES[id(page)][0] is page:
        return _TABLES[id(page)][1]
    rows: list[list[float]] = []
    for position, entry in enumerate(page, start=1):
        for number, one in enumerate(entry.shapes, start=1):
            kind = one.get("kind") if isinstance(one, dict) else None
            code = SHAPE_KINDS.index(kind) if kind in SHAPE_KINDS else OTHER_KIND
            if not isinstance(one, dict) or "kind" not in one:
                code = NO_KIND
                one = {}
            flags = OCCLUDED if one.get("occluded") is True else 0
            if not isinstance(one.get("occluded"), bool | None):
                flags |= DETAILED
            if "rotation" in one or "score" in one or one.get("attributes", {}) != {}:
                flags |= DETAILED
            points = [0.0] * 4
            if kind == "box":
                given = one.get("points") or []
                if len(given) != 4:
                    flags |= DETAILED
                points = [math.nan if v is None else float(v) for v in (given + [None] * 4)[:4]]
            label = labels.index(one["label"]) if one.get("label") in labels else -1
            rows.append([position, number, code, flags, label, *points])
    array = np.array(rows, dtype=">f8").reshape(-1, ShapeColumns.FIELDS)
    header = np.array([2, 0, 701, len(rows), 1, ShapeColumns.FIELDS, 1], dtype=">i4").tobytes()
    cells = np.zeros(array.size, dtype=[("length", ">i4"), ("value", ">f8")])
    cells["length"], cells["value"] = 8, array.ravel()
    # Postgres hands the rows over in any order; ShapeColumns sorts them.
    shuffled = cells.reshape(-1, ShapeColumns.FIELDS)[::-1].tobytes() if rows else b""
    table = ShapeColumns.from_array(header + shuffled if rows else None, len(page))
    _TABLES[id(page)] = (page, table)
    return table


def offered(entries: list[ItemShapes], page_size: int) -> list[ItemShapes]:
    out: list[ItemShapes] = []
    for start in range(0, len(entries), page_size):
        page = entries[start : start + page_size]
        out += [Offered(e.item, e.shapes, page, index) for index, e in enumerate(page)]
    return out


def both(entries: list[ItemShapes], page_size: int = 7) -> tuple[bytes, bytes]:
    by_dicts, by_columns = io.BytesIO(), io.BytesIO()
    write_coco(by_dicts, labels=LABELS, items=lambda: iter(entries))
    write_coco(by_columns, labels=LABELS, items=lambda: iter(offered(entries, page_size)))
    return by_dicts.getvalue(), by_columns.getvalue()


def boxes(item_id: int, corners: list[list[float]], **extra: Any) -> ItemShapes:
    shapes = [
        shape(item_id * 100 + n, ("car", "person")[n % 2], "box", points, **extra)
        for n, points in enumerate(corners)
    ]
    return ItemShapes(item(item_id), shapes)


def test_plain_boxes_with_awkward_numbers_are_written_as_the_dict_path_writes_them() -> None:
    rng = random.Random(8785)
    awkward = [0.0, 0.125, 2.675, 1.005, 0.1 + 0.2, 1225.125, 12.345, 640.0, 1e-7, 99.995]
    entries = []
    for item_id in range(1, 60):
        corners = []
        for _ in range(rng.randrange(0, 6)):
            x1 = rng.choice(
                [rng.uniform(0, 600), rng.choice(awkward), round(rng.uniform(0, 600), 3)]
            )
            y1 = rng.choice([rng.uniform(0, 400), rng.choice(awkward), float(rng.randrange(400))])
            x2 = x1 + rng.choice([rng.uniform(0.01, 40), 40.5, 0.005, 1.125])
            y2 = y1 + rng.choice([rng.uniform(0.01, 40), 30.25, 0.015, 2.675])
            corners.append([x1, y1, x2, y2])
        entries.append(boxes(item_id, corners, occluded=rng.random() < 0.3))

    by_dicts, by_columns = both(entries)

    assert by_columns == by_dicts
    document = json.loads(by_columns)
    assert len(document["annotations"]) == sum(len(e.shapes) for e in entries)
    assert [a["id"] for a in document["annotations"]] == list(
        range(1, 1 + len(document["annotations"]))
    )


def test_shapes_the_columns_do_not_describe_are_written_by_the_dict_path_in_place() -> None:
    entries = [
        boxes(1, [[1.0, 2.0, 3.0, 4.0]]),
        every_kind(2),  # rotation, attributes, keypoints, a polygon, a mask, tags...
        boxes(3, [[1.0, 2.0, 3.0, 4.0]], score=0.5),
        boxes(4, [[5.5, 6.0, 7.25, 8.0], [1e13, 1.0, 2e13, 3.0], [-1.5, -2.0, -0.001, 0.0]]),
        boxes(5, [[2.0, 2.0, 4.0, 4.0]], attributes={"iscrowd": True}),
        ItemShapes(item(6), []),
        boxes(7, [[0.5, 0.5, 1.5, 1.5]], occluded=1),
        every_kind(8),
        boxes(9, [[0.5, 0.5, 1.5, 1.5], [3.0, 4.0, 5.0, 6.0]]),
    ]

    for page_size in (1, 2, 4, 100):
        by_dicts, by_columns = both(entries, page_size)
        assert by_columns == by_dicts
    annotations = json.loads(by_columns)["annotations"]
    assert [a["image_id"] for a in annotations][-2:] == [9, 9]
    assert annotations[-1]["id"] == len(annotations)


def test_a_box_whose_points_are_not_four_numbers_fails_as_the_dict_path_does() -> None:
    broken = boxes(1, [[1.0, 2.0, 3.0]])

    errors = []
    for items in (lambda: iter([broken]), lambda: iter(offered([broken], 1))):
        try:
            write_coco(io.BytesIO(), labels=LABELS, items=items)
        except ValueError as error:
            errors.append(str(error))

    assert errors == ["not enough values to unpack (expected 4, got 3)"] * 2


def test_an_image_is_written_as_its_dict_would_be() -> None:
    from dataclasses import replace

    from formats.coco import _image, _image_text
    from formats.jsontext import dumps

    base = item(7)
    records = [
        base,
        replace(base, tags=(), metadata={}),
        replace(base, split='a "quoted"\\ split\n', file_name="é/ü 😀.png", tags=("x", "y")),
        replace(base, metadata={"z": 1, "a": [1.5, None, {"b": True}]}, width=True),
        replace(base, item_id=2**70, height=0),
    ]

    assert [_image_text(record) for record in records] == [dumps(_image(r)) for r in records]
