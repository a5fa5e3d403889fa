"""Canonical JSON and content hashes: SHA-256 over RFC 8785 (JSON Canonicalization Scheme).

Any client in any language can recompute a Loupe content hash: serialise the value with a JCS
implementation (sorted keys, shortest round-tripping numbers, no insignificant whitespace) and
take the hex SHA-256 of the UTF-8 bytes.
"""

import hashlib
from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    return rfc8785.dumps(value)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
