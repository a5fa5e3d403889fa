"""Items of a version as the engine sees them, with their bytes read from object storage.

Images come from the asset's storage key in `default_storage`; shapes from versioning's
`AnnotationBlob` (as they were when snapshotted). Blobs steps produce (thumbnails) are written
once under their sha256.
"""

from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from pipelines.inputs import Item, ItemLoader
from storage.models import object_key
from versioning.models import AnnotationBlob, VersionItem

Row = tuple[int, str, str | None, str]  # item id, asset sha256, annotation hash, split


def blob_key(sha256: str) -> str:
    return f"pipelines/blobs/{sha256[:2]}/{sha256}"


def _blob_sink(sha256: str, data: bytes, media_type: str) -> None:
    key = blob_key(sha256)
    if not default_storage.exists(key):
        default_storage.save(key, ContentFile(data))


class ObjectStorageLoader(ItemLoader):
    """The engine's loader over object storage; keeps the last decoded image (one decode serves
    consecutive steps of an item)."""

    def __init__(self) -> None:
        super().__init__(_blob_sink)


def _image_bytes(sha256: str) -> Any:
    def load() -> bytes:
        with default_storage.open(object_key(sha256), "rb") as handle:
            data: bytes = handle.read()
        return data

    return load


def _shapes(digest: str, cache: dict[str, list[dict[str, Any]]]) -> Any:
    def load() -> list[dict[str, Any]]:
        if digest not in cache:
            blob = AnnotationBlob.objects.filter(content_hash=digest).values_list(
                "shapes", flat=True
            )
            shapes = blob.first()
            if shapes is None:
                raise LookupError(f"No stored shapes for annotation {digest[:12]}.")
            cache[digest] = list(shapes)
        return cache[digest]

    return load


def items_from_rows(rows: Iterable[Row], *, preload_shapes: bool = False) -> list[Item]:
    rows = list(rows)
    cache: dict[str, list[dict[str, Any]]] = {}
    if preload_shapes:
        hashes = {row[2] for row in rows if row[2]}
        blobs = AnnotationBlob.objects.filter(content_hash__in=hashes)
        cache.update(blobs.values_list("content_hash", "shapes"))
    return [
        Item(
            item_id=str(item_id),
            image=sha256,
            annotation=digest or None,
            split=split or "",
            load_image_bytes=_image_bytes(sha256),
            load_shapes=_shapes(digest, cache) if digest else None,
        )
        for item_id, sha256, digest, split in rows
    ]


def version_rows(version_id: str, item_ids: Iterable[int] | None = None) -> list[Row]:
    rows = VersionItem.objects.filter(version_id=version_id)
    if item_ids is not None:
        rows = rows.filter(item_id__in=list(item_ids))
    return list(
        rows.order_by("item_id").values_list("item_id", "asset_sha256", "annotation_hash", "split")
    )
