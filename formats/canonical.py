"""Content hashes of JSON values, recomputable by any client in any language.

`content_hash(value)` is the lowercase hex SHA-256 of the RFC 8785 (JSON Canonicalization Scheme)
serialisation of `value`: object keys sorted by UTF-16 code units, no insignificant whitespace,
numbers in ECMAScript shortest form (so 1.0 and 1 hash alike), strings minimally escaped. Any
JCS implementation (Python `rfc8785`, JavaScript `canonicalize`, Go `jcs`, ...) followed by
SHA-256 reproduces it, which is what lets a client verify a dataset version on its own.

Saves hash every document, so the common case takes a fast path: for values whose keys are
ASCII and whose numbers print alike in Python and ECMAScript, the standard library's compact
sorted `json.dumps` writes exactly the JCS bytes, about 20 times faster than a general encoder.
Anything else (a non-ASCII key, 1e-7, 1e16, integers past 2**53) takes `rfc8785`.
"""

import hashlib
import json
from typing import Any

import rfc8785

# Python's repr and ECMAScript's Number::toString both print the shortest round-tripping digits;
# they differ only in when they switch to exponent notation (Python below 1e-4 and from 1e16,
# ECMAScript below 1e-6 and from 1e21). Between these bounds the text is the same.
_PLAIN_FLOATS = (1e-4, 1e16)
_SAFE_INTEGER = 2**53


class _NeedsGeneralEncoder(Exception):
    pass


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (NaN and infinities are refused)."""
    try:
        text = json.dumps(
            _fast_form(value),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
        return text.encode("utf-8")
    except (_NeedsGeneralEncoder, UnicodeEncodeError):
        return rfc8785.dumps(value)


def content_hash(value: Any) -> str:
    """Hex SHA-256 of `canonical_json(value)`."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _fast_form(value: Any) -> Any:
    """`value` with integral floats as ints, or _NeedsGeneralEncoder where json.dumps differs."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) >= _SAFE_INTEGER:
            raise _NeedsGeneralEncoder
        return value
    if isinstance(value, float):
        return _fast_float(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) and key.isascii() for key in value):
            raise _NeedsGeneralEncoder  # JCS sorts by UTF-16 units, Python by code points
        return {key: _fast_form(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fast_form(item) for item in value]
    raise _NeedsGeneralEncoder


def _fast_float(value: float) -> float | int:
    if value != value or value in (float("inf"), float("-inf")):
        raise _NeedsGeneralEncoder  # rfc8785 refuses it with its own error
    low, high = _PLAIN_FLOATS
    if value.is_integer() and abs(value) < high:
        # ECMAScript prints 30.0 as "30" and -0.0 as "0". Below 1e16 neighbouring doubles are at
        # most 2 apart, so the shortest digits of an integral double are the integer itself.
        return int(value)
    if not low <= abs(value) < high:
        raise _NeedsGeneralEncoder
    return value
