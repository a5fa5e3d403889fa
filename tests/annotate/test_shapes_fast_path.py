"""validate_shapes' fast path for plainly valid shapes accepts nothing the full checks refuse
and builds exactly the shape they build (same values, same types, same key order)."""

import json
import math
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.shapes import ShapeSchema, ShapesInvalid, _plain_normalised, validate_shapes
from projects.schema import validate_labels
from tests.formats.helpers import spoilt

LABELS = validate_labels(
    [
        {
            "name": "car",
            "kind": "box",
            "attributes": [
                {"name": "pose", "type": "select", "values": ["front", "back"]},
                {"name": "parked", "type": "checkbox"},
                {"name": "speed", "type": "number"},
                {"name": "plate", "type": "text"},
            ],
        },
        {"name": "road", "kind": "polygon"},
        {"name": "lane", "kind": "polyline"},
        {"name": "truck", "kind": "cuboid"},
        {"name": "face", "kind": "keypoints", "keypoints": ["left", "right"]},
        {"name": "sky", "kind": "mask"},
        {"name": "day", "kind": "tag", "group": "time", "group_choice": "single"},
        {"name": "night", "kind": "tag", "group": "time", "group_choice": "single"},
        {"name": "blurry", "kind": "tag"},
    ]
)
WIDTH, HEIGHT = 64, 48
SCHEMA = ShapeSchema(LABELS)
KINDS = ("box", "polygon", "polyline", "cuboid", "keypoints", "mask", "tag", "circle")

# Numbers around every bound the checks draw, plus what is not a number at all.
numbers = st.one_of(
    st.integers(min_value=-2, max_value=70),
    st.floats(min_value=-1.0, max_value=70.0),
    st.sampled_from([0, 0.0, -0.0, 48, 64, 48.0, 64.0, 64.001, -1e-9, 2**60, math.inf, -math.inf]),
    st.sampled_from([math.nan, True, False, None, "1", [1]]),
)
point_lists = st.one_of(
    st.lists(numbers, max_size=18),
    st.lists(st.floats(min_value=0, max_value=48), min_size=4, max_size=18),
    st.sampled_from([None, [], "1,2,3,4", {"x": 1}]),
)
ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda value: str(value).upper()),
    st.uuids().map(lambda value: "{" + str(value) + "}"),
    st.uuids().map(lambda value: value.hex),
    st.sampled_from(["shape-1", "", None, 7, str(uuid.UUID(int=0)) + "\n"]),
)
attribute_values = st.one_of(
    st.sampled_from(["front", "back", "side", True, False, 1, 2.5, math.nan, None, "x" * 1001]),
    st.text(max_size=5),
)
attributes = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["pose", "parked", "speed", "plate", "age"]), attribute_values, max_size=3
    ),
    st.sampled_from([[], "", 0, ["pose"]]),
)
label_names = st.sampled_from([label["name"] for label in LABELS] + ["bus", "", None, ["car"]])
label_ids = st.sampled_from([label["id"] for label in LABELS] + ["nope", 3])
rle = st.fixed_dictionaries({"size": st.just([HEIGHT, WIDTH]), "counts": st.just([WIDTH * HEIGHT])})


coordinates = st.one_of(
    st.integers(min_value=0, max_value=48), st.floats(min_value=0, max_value=48)
)


@st.composite
def valid_points(draw: st.DrawFn, label: dict) -> list | None:
    kind = label["kind"]
    if kind == "tag":
        return draw(st.sampled_from([None, []]))
    if kind in ("box", "mask"):
        x1, y1 = draw(coordinates), draw(coordinates)
        return [x1, y1, x1 + draw(st.floats(0.5, 15)), y1 + draw(st.integers(0, 0)) + 0.5]
    if kind == "keypoints":
        return [
            draw(coordinates) if i % 3 < 2 else draw(st.sampled_from([0, 1, 2])) for i in range(6)
        ]
    count = {"polygon": st.integers(3, 9), "polyline": st.integers(2, 9), "cuboid": st.just(8)}
    return draw(st.lists(coordinates, min_size=2 * draw(count[kind]), max_size=2 * 9))[
        : 2 * (16 if kind == "cuboid" else 9)
    ]


@st.composite
def shapes(draw: st.DrawFn) -> object:
    """A valid shape of a random class, then none, one or two fields spoilt or dropped."""
    label = draw(st.sampled_from(LABELS))
    shape: dict[str, object] = {"id": str(draw(st.uuids())), "kind": label["kind"]}
    shape.update(draw(st.sampled_from([{"label": label["name"]}, {"label_id": label["id"]}])))
    shape["points"] = draw(valid_points(label))
    if label["kind"] == "mask":
        shape["rle"] = draw(rle)
    if label["attributes"] and draw(st.booleans()):
        shape["attributes"] = {"pose": draw(st.sampled_from(["front", "back"])), "speed": 2}
    if draw(st.booleans()):
        shape["occluded"] = draw(st.booleans())
    if label["kind"] == "box" and draw(st.booleans()):
        shape["rotation"] = draw(st.one_of(numbers, st.sampled_from([0, 0.0, 360, -90.5])))
    spoilers = {
        "id": ids,
        "label": label_names,
        "label_id": label_ids,
        "kind": st.sampled_from(KINDS),
        "points": point_lists,
        "attributes": attributes,
        "occluded": st.sampled_from([True, False, None, 0, "yes"]),
        "rotation": st.one_of(numbers, st.sampled_from([0, 0.0, 360, -90.5])),
        "rle": rle,
        "colour": st.just("red"),
    }
    return spoilt(draw, shape, spoilers)


def _full_checks(shape: object) -> dict | None:
    out, errors = SCHEMA._checked(shape, WIDTH, HEIGHT)
    assert (out is None) == bool(errors)
    return out


def _exact(value: object) -> str:
    # json tells 1 from 1.0 and keeps key order, which == on dicts does not.
    return json.dumps(value)


@settings(max_examples=3000, deadline=None)
@given(shapes())
def test_the_fast_path_accepts_only_what_the_full_checks_accept_and_builds_the_same(shape):
    fast = _plain_normalised(shape, SCHEMA, WIDTH, HEIGHT)
    if fast is not None:
        full = _full_checks(shape)
        assert full is not None
        assert _exact(fast) == _exact(full)
        assert all(type(value) is float for value in fast["points"])


@pytest.mark.parametrize(
    "shape",
    [
        {"id": str(uuid.uuid4()), "label": "car", "kind": "box", "points": [1, 2.5, 30, 40]},
        {
            "id": str(uuid.uuid4()),
            "label_id": LABELS[0]["id"],
            "kind": "box",
            "points": [0.0, 0.0, 64.0, 48.0],
            "attributes": {"pose": "front", "speed": 3},
            "occluded": True,
            "rotation": 370,
        },
        {"id": str(uuid.uuid4()), "label": "road", "kind": "polygon", "points": [1, 1, 9, 1, 9, 9]},
        {"id": str(uuid.uuid4()), "label": "lane", "kind": "polyline", "points": [1, 1, 9, 1]},
        {"id": str(uuid.uuid4()), "label": "truck", "kind": "cuboid", "points": [5.0] * 16},
        {"id": str(uuid.uuid4()), "label": "blurry", "kind": "tag", "points": []},
    ],
)
def test_common_shapes_take_the_fast_path_and_normalise_as_the_full_checks(shape):
    fast = _plain_normalised(shape, SCHEMA, WIDTH, HEIGHT)

    assert fast is not None
    assert _exact(fast) == _exact(_full_checks(shape))


def test_a_duplicate_id_is_named_whichever_path_checked_each_copy():
    shape_id = str(uuid.uuid4())
    plain = {"id": shape_id, "label": "car", "kind": "box", "points": [1, 2, 30, 40]}
    upper = {**plain, "id": shape_id.upper()}  # the full checks take this spelling

    with pytest.raises(ShapesInvalid) as refused:
        validate_shapes([plain, upper, plain], labels=LABELS, width=WIDTH, height=HEIGHT)

    duplicate = {"id": [f"Duplicate shape id {shape_id}."]}
    assert refused.value.errors == {"shapes": {"1": duplicate, "2": duplicate}}


def test_two_choices_of_a_single_choice_group_are_refused_after_the_fast_path():
    day = {"id": str(uuid.uuid4()), "label": "day", "kind": "tag"}
    night = {"id": str(uuid.uuid4()), "label": "night", "kind": "tag"}

    with pytest.raises(ShapesInvalid) as refused:
        validate_shapes([day, night], labels=LABELS, width=WIDTH, height=HEIGHT)

    message = "'day' is already tagged: group 'time' takes one choice per image, not 'night' too."
    assert refused.value.errors == {"shapes": {"1": {"label": [message]}}}
