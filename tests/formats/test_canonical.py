import hashlib

import pytest

from formats.canonical import canonical_json, content_hash


def test_canonical_json_sorts_keys_and_writes_numbers_in_shortest_form() -> None:
    value = {"b": 1.0, "a": [1e21, 0.1, -0.0], "é": "x\u2028"}

    assert canonical_json(value) == '{"a":[1e+21,0.1,0],"b":1,"é":"x\u2028"}'.encode()


def test_content_hash_is_sha256_of_the_canonical_bytes_whatever_the_key_order() -> None:
    first = {"id": "s1", "points": [1.5, 2.0], "attributes": {"z": True, "a": None}}
    second = {"attributes": {"a": None, "z": True}, "points": [1.5, 2], "id": "s1"}

    assert content_hash(first) == content_hash(second)
    assert (
        content_hash(first)
        == hashlib.sha256(
            b'{"attributes":{"a":null,"z":true},"id":"s1","points":[1.5,2]}'
        ).hexdigest()
    )


def test_non_finite_numbers_have_no_canonical_form() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
