"""The fast path of canonical_json writes exactly the bytes of the general RFC 8785 encoder."""

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.canonical import canonical_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_any_json_value_gets_the_rfc8785_bytes(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "number",
    [
        0.0,
        -0.0,
        1.0,
        30.0,
        2.5,
        0.1,
        1e-4,
        9.9e-5,
        1e-7,
        123456.789,
        1e15,
        1e16,
        1.5e16,
        1e21,
        2.0**53,
        2.0**53 + 2,
        5e-324,
        1.7976931348623157e308,
    ],
)
def test_numbers_at_the_format_boundaries(number: float) -> None:
    assert canonical_json([number, -number]) == rfc8785.dumps([number, -number])


def test_shapes_take_the_fast_path_and_match() -> None:
    shape = {"id": "6f1c1c0e", "label": "voiture", "points": [1.0, 2.25, 30.0, 40.5], "z": "é€😀"}
    assert canonical_json(shape) == rfc8785.dumps(shape)
    assert canonical_json(shape).startswith(b'{"id":"6f1c1c0e","label":"voiture","points":[1,2.25')


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad: float) -> None:
    with pytest.raises(rfc8785.FloatDomainError):
        canonical_json({"x": bad})


def test_integers_past_2_to_the_53_are_refused_as_rfc8785_does() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"id": 2**53})
