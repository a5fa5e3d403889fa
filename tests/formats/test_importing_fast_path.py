"""check_shape's fast path for plainly valid shapes passes only what the full checks pass and
returns exactly what they return (the shape less its score, and the score)."""

import json
import math
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.importing import Schema, _fully_checked, _plainly_valid, check_shape
from formats.records import FormatError
from tests.formats.helpers import spoilt
from tests.formats.samples import LABELS

WIDTH, HEIGHT = 64, 48
SCHEMA = Schema(LABELS)
KINDS = ("box", "polygon", "polyline", "cuboid", "keypoints", "mask", "tag", "circle")

numbers = st.one_of(
    st.integers(min_value=-2, max_value=70),
    st.floats(min_value=-1.0, max_value=70.0),
    st.sampled_from([0, -0.0, -0.01, -0.011, 64.01, 64.02, 48.01, 2**60, math.inf, -math.inf]),
    st.sampled_from([math.nan, True, False, None, "1", [1]]),
)
coordinates = st.one_of(
    st.integers(min_value=0, max_value=48), st.floats(min_value=0, max_value=48)
)
point_counts = {
    "box": st.just(4),
    "mask": st.just(4),
    "tag": st.just(0),
    "keypoints": st.just(9),
    "polygon": st.integers(6, 18).map(lambda n: n - n % 2),
    "polyline": st.integers(4, 18).map(lambda n: n - n % 2),
    "cuboid": st.just(16),
}
spoilers = {
    "id": st.one_of(
        st.uuids().map(lambda value: str(value).upper()),
        st.uuids().map(lambda value: value.hex),
        st.sampled_from(["shape-1", "", None, 7, str(uuid.UUID(int=0)) + "\n"]),
    ),
    "label": st.sampled_from([label["name"] for label in LABELS] + ["bus", "", None, ["car"]]),
    "kind": st.sampled_from(KINDS),
    "points": st.one_of(st.lists(numbers, max_size=18), st.sampled_from([None, "1,2", {"x": 1}])),
    "attributes": st.sampled_from(
        [None, {}, [], "", {"colour": "red"}, {"surface": "x"}, {"z": 1}]
    ),
    "score": st.one_of(numbers, st.floats(0, 1)),
    "rle": st.just({"size": [HEIGHT, WIDTH], "counts": [WIDTH * HEIGHT]}),
    "rotation": numbers,
    "colour": st.just("red"),
}


@st.composite
def shapes(draw: st.DrawFn) -> object:
    """A valid shape of a random class, then none, one or two fields spoilt or dropped."""
    label = draw(st.sampled_from(LABELS))
    count = draw(point_counts[label["kind"]])
    points = draw(st.lists(coordinates, min_size=count, max_size=count))
    if label["kind"] == "keypoints":
        points = [
            value if i % 3 < 2 else draw(st.sampled_from([0, 1, 2]))
            for i, value in enumerate(points)
        ]
    shape: dict[str, object] = {
        "id": str(draw(st.uuids())),
        "label": label["name"],
        "kind": label["kind"],
        "points": points,
    }
    if label["kind"] == "mask":
        shape["rle"] = draw(spoilers["rle"])
    if draw(st.booleans()):
        shape["score"] = draw(st.floats(0, 1))
    return spoilt(draw, shape, spoilers)


def _full(shape: object) -> tuple | None:
    try:
        return _fully_checked(shape, SCHEMA, WIDTH, HEIGHT, location="x")
    except FormatError:
        return None


@settings(max_examples=2000, deadline=None)
@given(shapes())
def test_the_fast_path_passes_only_what_the_full_checks_pass_and_returns_the_same(shape):
    if _plainly_valid(shape, SCHEMA, WIDTH, HEIGHT):
        full = _full(shape)
        assert full is not None
        # json tells 1 from 1.0 and keeps key order, which == on dicts does not.
        assert json.dumps(check_shape(shape, SCHEMA, WIDTH, HEIGHT, location="x")) == json.dumps(
            full
        )


@pytest.mark.parametrize(
    "shape",
    [
        {"id": str(uuid.uuid4()), "label": "car", "kind": "box", "points": [-0.01, 0, 64.01, 48]},
        {
            "id": str(uuid.uuid4()),
            "label": "car",
            "kind": "box",
            "points": [1, 2.5, 30, 40],
            "attributes": {"colour": "red"},
            "occluded": True,
            "score": 0.75,
        },
        {"id": str(uuid.uuid4()), "label": "road", "kind": "polygon", "points": [1, 1, 9, 1, 9, 9]},
        {"id": str(uuid.uuid4()), "label": "lane", "kind": "polyline", "points": [1, 1, 9, 1]},
        {"id": str(uuid.uuid4()), "label": "crate", "kind": "cuboid", "points": [5.0] * 16},
        {"id": str(uuid.uuid4()), "label": "sunny", "kind": "tag", "points": [], "score": None},
    ],
)
def test_common_shapes_take_the_fast_path_and_come_back_as_the_full_checks_return_them(shape):
    assert _plainly_valid(shape, SCHEMA, WIDTH, HEIGHT)
    assert json.dumps(check_shape(shape, SCHEMA, WIDTH, HEIGHT, location="x")) == json.dumps(
        _full(shape)
    )
