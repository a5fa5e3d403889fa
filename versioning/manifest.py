"""A manifest's canonical bytes (RFC 8785) and the version id they hash to.

`formats.canonical.canonical_json` takes its json.dumps fast path for manifests (ASCII keys,
integer ids, hex digests, split names), so 100k items serialise in a fraction of a second.
"""

import hashlib
from typing import Any

from formats.canonical import canonical_json


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return canonical_json(manifest)


def manifest_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
