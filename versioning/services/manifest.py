"""What both ways of snapshotting share: the manifest's canonical bytes and the version id
they give, how the rows are stored (in full or as a delta), the stats, the stored manifest."""

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from types import NoneType
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from formats.canonical import canonical_json
from versioning.rows import Row, StoredRow

ROW_BATCH = 5000
Progress = Callable[[int, int | None], None]


def class_counts_of(shapes: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(str(shape.get("label", "")) for shape in shapes))


@dataclass
class Manifested:
    """A snapshot's manifest, its canonical bytes and the version id they give."""

    manifest: dict[str, Any]
    canonical: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self.canonical = manifest_canonical(self.manifest)

    @property
    def version_id(self) -> str:
        """content_hash(manifest): SHA-256 over its RFC 8785 bytes."""
        return hashlib.sha256(self.canonical).hexdigest()


@dataclass
class RowsPlan:
    """How a new version's rows are stored: against `base_id` (a delta) or in full (None)."""

    base_id: str | None = None
    delta: list[StoredRow] = field(default_factory=list)  # the rows of a delta, when in Python


MANIFEST_KEYS = ["filters", "items", "schema_hash"]  # sorted, as RFC 8785 orders them
_SAFE_INTEGER = 2**53


def manifest_canonical(manifest: dict[str, Any]) -> bytes:
    """canonical_json(manifest), the items written by one json.dumps: their rows hold only
    integer ids, strings and nulls, which json.dumps writes as RFC 8785 does (no float to
    reformat, no key to sort), so the per-value walk of the general fast path is skipped."""
    items = manifest.get("items")
    plain = sorted(manifest) == MANIFEST_KEYS and isinstance(items, list)
    if plain and items:
        ids = [row[0] for row in items]
        plain = {type(item_id) for item_id in ids} == {int}
        plain = plain and min(ids) > -_SAFE_INTEGER and max(ids) < _SAFE_INTEGER
        plain = plain and {type(value) for row in items for value in row[1:]} <= {str, NoneType}
    if not plain:
        return canonical_json(manifest)
    text = json.dumps(items, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return b"".join(
        (
            b'{"filters":',
            canonical_json(manifest["filters"]),
            b',"items":',
            text.encode("utf-8"),
            b',"schema_hash":',
            canonical_json(manifest["schema_hash"]),
            b"}",
        )
    )


def _stats_of(
    *,
    rows: list[Row],
    annotated: int,
    per_class: dict[str, int],
    per_annotator: dict[int, int],
) -> dict[str, Any]:
    names = dict(
        get_user_model().objects.filter(pk__in=list(per_annotator)).values_list("pk", "username")
    )
    splits = Counter(split for *_, split in rows)
    return {
        "items": len(rows),
        "splits": dict(sorted(splits.items())),
        "annotated_items": annotated,
        "shapes": sum(per_class.values()),
        "shapes_per_class": dict(sorted(per_class.items())),
        "annotators": {names[pk]: count for pk, count in sorted(per_annotator.items())},
    }


def _batches(iterable: Any, size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def manifest_store(*, version_id: str, canonical: bytes) -> str:
    """Content-addressed: an existing key already holds these bytes."""
    key = f"manifests/{version_id}.json"
    if not default_storage.exists(key):
        default_storage.save(key, ContentFile(canonical, name=key))
    return key
