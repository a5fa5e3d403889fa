"""The import's direct writer of stored shapes gives the very text of the sorted JSON encoder,
which the prediction digests of earlier imports were computed over."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from versioning.imports.predictions import _SORTED_JSON, _shapes_json

texts = st.one_of(
    st.text(max_size=12), st.sampled_from(["car", 'a "quoted" \\ name', "vélo", "🚗"])
)
floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([-0.0, 1e-7, 1e16])
shapes = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str) | texts,
        "label": texts,
        "kind": st.sampled_from(["box", "polygon", "tag"]) | texts,
        "points": st.lists(floats, max_size=8) | st.lists(st.integers(-5, 5), max_size=4),
        "attributes": st.just({}) | st.dictionaries(texts, st.integers() | texts, max_size=2),
        "occluded": st.booleans() | st.just(1),
    },
    optional={
        "label_id": st.none() | texts | st.just(7),
        "rotation": floats,
        "rle": st.just({"size": [2, 2], "counts": [4]}),
    },
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(shapes, max_size=4))
def test_stored_shapes_are_written_as_the_sorted_json_encoder_writes_them(shape_list):
    assert _shapes_json(shape_list) == _SORTED_JSON.encode(shape_list)


def test_a_plain_shape_is_written_directly_with_its_keys_sorted():
    shape = {
        "id": str(uuid.UUID(int=1)),
        "label": "vélo",
        "kind": "box",
        "points": [1.0, 2.5, 1e-7, 30.0],
        "attributes": {},
        "occluded": False,
        "label_id": "a1",
    }

    assert _shapes_json([shape]) == (
        '[{"attributes":{},"id":"00000000-0000-0000-0000-000000000001","kind":"box",'
        '"label":"v\\u00e9lo","label_id":"a1","occluded":false,"points":[1.0,2.5,1e-07,30.0]}]'
    )
