"""Content hashes of JSON values, recomputable by any client in any language.

`content_hash(value)` is the lowercase hex SHA-256 of the RFC 8785 (JSON Canonicalization Scheme)
serialisation of `value`: object keys sorted by UTF-16 code units, no insignificant whitespace,
numbers in ECMAScript shortest form (so 1.0 and 1 hash alike), strings minimally escaped. Any
JCS implementation (Python `rfc8785`, JavaScript `canonicalize`, Go `jcs`, ...) followed by
SHA-256 reproduces it, which is what lets a client verify a dataset version on its own.
"""

import hashlib
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (NaN and infinities are refused)."""
    return rfc8785.dumps(value)


def content_hash(value: Any) -> str:
    """Hex SHA-256 of `canonical_json(value)`."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
