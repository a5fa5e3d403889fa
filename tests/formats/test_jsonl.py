import io
import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.jsonl import read_jsonl, write_jsonl
from formats.records import FormatError, ItemShapes
from tests.formats.helpers import export
from tests.formats.samples import LABELS, every_kind, item


def test_header_then_one_sorted_line_per_item() -> None:
    data = export(write_jsonl, [every_kind(1), every_kind(2)], labels=LABELS)

    lines = data.decode().splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0]) == {"format": "loupe-jsonl", "version": 1, "labels": LABELS}
    first = json.loads(lines[1])
    assert list(first) == sorted(first)
    assert first["item_id"] == 1
    assert first["shapes"] == every_kind(1).shapes
    assert lines[1].startswith('{"file_name":"img_1.jpg","height":48,"item_id":1,"metadata":')


def test_every_kind_round_trips_exactly() -> None:
    entries = [every_kind(1), every_kind(2)]

    imported = list(
        read_jsonl(io.BytesIO(export(write_jsonl, entries, labels=LABELS)), labels=LABELS)
    )

    assert [i.file_name for i in imported] == ["img_1.jpg", "img_2.jpg"]
    assert [i.sha256 for i in imported] == [e.item.sha256 for e in entries]
    assert [i.shapes for i in imported] == [e.shapes for e in entries]


def test_scores_move_beside_the_shapes() -> None:
    entry = every_kind(1)
    scored = [dict(entry.shapes[0], score=0.5)] + entry.shapes[1:]

    data = export(write_jsonl, [ItemShapes(entry.item, scored)], labels=LABELS)
    [imported] = read_jsonl(io.BytesIO(data), labels=LABELS)

    assert imported.shapes == entry.shapes
    assert imported.scores == {entry.shapes[0]["id"]: 0.5}


def test_export_twice_gives_the_same_bytes() -> None:
    entries = [every_kind(n) for n in range(1, 6)]

    assert export(write_jsonl, entries, labels=LABELS) == export(
        write_jsonl, entries, labels=LABELS
    )


coordinate = st.floats(min_value=0, max_value=64, allow_nan=False, allow_infinity=False)
text = st.text(max_size=12)


@st.composite
def shapes(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["box", "keypoints", "polygon", "polyline", "tag", "cuboid"]))
    label = {"box": "car", "keypoints": "person", "polygon": "road", "polyline": "lane",
             "tag": "sunny", "cuboid": "crate"}[kind]  # fmt: skip
    count = {"box": 0, "keypoints": 0, "polygon": draw(st.integers(3, 8)) * 2,
             "polyline": draw(st.integers(2, 8)) * 2, "tag": 0, "cuboid": 16}[kind]  # fmt: skip
    points = draw(st.lists(coordinate.map(lambda v: min(v, 48.0)), min_size=count, max_size=count))
    attributes: dict[str, Any] = {}
    if kind == "box":
        x1, y1 = draw(coordinate.map(lambda v: min(v, 40.0))), draw(st.floats(0, 40))
        points = [x1, y1, x1 + draw(st.floats(0.5, 20)), y1 + draw(st.floats(0.5, 8))]
        attributes = draw(
            st.fixed_dictionaries(
                {}, optional={"colour": st.sampled_from(["red", "blue"]), "iscrowd": st.booleans()}
            )
        )
    if kind == "keypoints":
        points = [
            v
            for _ in range(3)
            for v in (
                draw(st.floats(0, 48)),
                draw(st.floats(0, 48)),
                float(draw(st.integers(0, 2))),
            )
        ]
    if kind == "polygon":
        attributes = draw(st.fixed_dictionaries({}, optional={"surface": text}))
    shape: dict[str, Any] = {
        "id": str(draw(st.uuids())),
        "label": label,
        "kind": kind,
        "points": points,
        "attributes": attributes,
        "occluded": draw(st.booleans()),
    }
    if kind == "box" and draw(st.booleans()):
        shape["rotation"] = draw(st.floats(0.001, 359.999))
    return shape


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(shapes(), max_size=5), min_size=1, max_size=4),
    st.dictionaries(
        text, st.one_of(text, st.integers(), st.floats(allow_nan=False, allow_infinity=False))
    ),
)
def test_any_document_round_trips_exactly(
    documents: list[list[dict[str, Any]]], metadata: dict[str, Any]
) -> None:
    entries = [
        ItemShapes(replace(item(n + 1), metadata=metadata), document)
        for n, document in enumerate(documents)
    ]
    data = export(write_jsonl, entries, labels=LABELS)

    imported = list(read_jsonl(io.BytesIO(data), labels=LABELS))

    assert [i.shapes for i in imported] == documents
    assert data == export(write_jsonl, entries, labels=LABELS)


def jsonl(*lines: object) -> io.BytesIO:
    header = {"format": "loupe-jsonl", "version": 1, "labels": []}
    text = "\n".join(
        json.dumps(line) if not isinstance(line, str) else line for line in (header, *lines)
    )
    return io.BytesIO(text.encode())


def item_line(*shapes: dict[str, Any]) -> dict[str, Any]:
    return {
        "file_name": "a.jpg",
        "sha256": None,
        "width": 100,
        "height": 50,
        "shapes": list(shapes),
    }


def box(**overrides: Any) -> dict[str, Any]:
    shape = {"id": str(uuid.UUID(int=1)), "label": "car", "kind": "box", "points": [1, 2, 3, 4],
             "attributes": {}, "occluded": False}  # fmt: skip
    shape.update(overrides)
    return shape


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            io.BytesIO(b'{"format": "coco"}\n'),
            'items.jsonl, line 1: Expected a {"format": "loupe-jsonl"} header.',
        ),
        (
            io.BytesIO(b'{"format": "loupe-jsonl", "version": 2}\n'),
            "items.jsonl, line 1: Unsupported version 2.",
        ),
        (
            jsonl("{oops"),
            "items.jsonl, line 2: Malformed JSON: "
            "Expecting property name enclosed in double quotes (column 2).",
        ),
        (jsonl([1, 2]), "items.jsonl, line 2: Expected an item object with a file_name."),
        (
            jsonl(item_line(box(label="tractor"))),
            "items.jsonl, line 2: shapes[0].label: Unknown category 'tractor'.",
        ),
        (
            jsonl(item_line(box(kind="polygon"))),
            "items.jsonl, line 2: shapes[0].kind: Class 'car' takes box shapes.",
        ),
        (
            jsonl(item_line(box(points=[1, 2, 3]))),
            "items.jsonl, line 2: shapes[0]: Wrong number of points for a box.",
        ),
        (
            jsonl(item_line(box(points=[1, 2, 300, 4]))),
            "items.jsonl, line 2: shapes[0]: Coordinates outside the 100x50 image.",
        ),
        (
            jsonl(item_line(box(id="nope"))),
            "items.jsonl, line 2: shapes[0].id: A shape id must be a UUID.",
        ),
        (
            jsonl(item_line(box(points="1,2,3,4"))),
            "items.jsonl, line 2: shapes[0].points: Expected a list of numbers, got '1,2,3,4'.",
        ),
        (
            # 10**400 parses to an int no float holds: refused, never an OverflowError
            jsonl(item_line(box(points=[1, 2, 10**400, 4]))),
            "items.jsonl, line 2: shapes[0].points: Expected a list of numbers, got "
            + repr([1, 2, 10**400, 4])[:80]
            + ".",
        ),
    ],
)
def test_malformed_lines_are_refused_with_their_line(content: io.BytesIO, message: str) -> None:
    with pytest.raises(FormatError) as error:
        list(read_jsonl(content, labels=LABELS))

    assert str(error.value) == message


def test_shapes_as_loupe_stores_them_with_their_class_id_round_trip() -> None:
    entry = every_kind(1)
    stored = [{**shape, "label_id": f"id-{shape['label']}"} for shape in entry.shapes]
    entries = [replace(entry, shapes=stored)]

    (imported,) = read_jsonl(io.BytesIO(export(write_jsonl, entries, labels=LABELS)), labels=LABELS)

    assert imported.shapes == stored


def test_an_unknown_shape_field_is_named() -> None:
    entry = every_kind(1)
    entries = [replace(entry, shapes=[{**entry.shapes[0], "colour": "red"}])]
    data = export(write_jsonl, entries, labels=LABELS)

    with pytest.raises(FormatError, match="Unknown shape fields: colour"):
        list(read_jsonl(io.BytesIO(data), labels=LABELS))
