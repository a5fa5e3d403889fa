"""What an export job hands a codec (formats.EXPORTERS[name].write): the version's label schema
and a callable giving a fresh, item-ordered stream of ItemShapes, read in chunks so memory stays
flat as the dataset grows. Shapes come from AnnotationBlob: as they were at snapshot time."""

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from versioning.filters import ItemFilters, rows_filtered
from versioning.models import AnnotationBlob, DatasetVersion, VersionItem

try:
    from formats.records import ItemRecord, ItemShapes
except ImportError:  # pragma: no cover - formats.records arrives with the codecs' branch

    @dataclass(frozen=True)
    class ItemRecord:  # type: ignore[no-redef]
        item_id: int
        file_name: str
        sha256: str
        width: int
        height: int
        split: str = ""
        tags: tuple[str, ...] = ()
        metadata: dict[str, Any] = field(default_factory=dict)

    @dataclass(frozen=True)
    class ItemShapes:  # type: ignore[no-redef]
        item: ItemRecord
        shapes: list[dict[str, Any]]


CHUNK = 2000
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
}


def exporters() -> dict[str, Any]:
    """formats.EXPORTERS, looked up when used: {name: Exporter(write, extension, media_type)}.
    Empty until the codecs are installed."""
    return dict(getattr(importlib.import_module("formats"), "EXPORTERS", {}))


def image_file_name(sha256: str, mime: str) -> str:
    """Images are named by content hash: unique in any layout, and what `loupe pull` stores."""
    return f"{sha256}.{EXTENSIONS.get(mime, 'bin')}"


def version_items(
    version: DatasetVersion, filters: ItemFilters | None = None
) -> Callable[[], Iterable[ItemShapes]]:
    """The version's items; with `filters`, only the kept items and classes' shapes."""
    filters = filters or ItemFilters()

    def items() -> Iterator[ItemShapes]:
        # Keyset pages, not a server-side cursor: flat memory, no cursor held across queries.
        rows = (
            rows_filtered(VersionItem.objects.filter(version=version), filters)
            .order_by("item_id")
            .values_list(
                "item_id",
                "asset_sha256",
                "annotation_hash",
                "split",
                "item__asset__mime",
                "item__asset__width",
                "item__asset__height",
                "item__metadata",
            )
        )
        last = 0
        while page := list(rows.filter(item_id__gt=last)[:CHUNK]):
            yield from _with_shapes(page, classes=filters.classes)
            last = page[-1][0]

    return items


def _with_shapes(
    rows: list[tuple[Any, ...]], classes: tuple[str, ...] = ()
) -> Iterator[ItemShapes]:
    hashes = {row[2] for row in rows if row[2]}
    shapes_of = dict(
        AnnotationBlob.objects.filter(content_hash__in=hashes).values_list("content_hash", "shapes")
    )
    for item_id, sha256, digest, split, mime, width, height, metadata in rows:
        record = ItemRecord(
            item_id=item_id,
            file_name=image_file_name(sha256, mime),
            sha256=sha256,
            width=width,
            height=height,
            split=split,
            tags=(),
            metadata=metadata,
        )
        shapes = shapes_of.get(digest, []) if digest else []
        if classes:
            shapes = [shape for shape in shapes if shape.get("label") in classes]
        yield ItemShapes(item=record, shapes=shapes)
