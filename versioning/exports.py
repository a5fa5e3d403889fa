"""What an export job hands a codec (formats.EXPORTERS[name].write): the version's label schema
and a callable giving a fresh, item-ordered stream of ItemShapes, read in chunks so memory stays
flat as the dataset grows. Shapes come from AnnotationBlob: as they were at snapshot time."""

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from projects.models import Item
from storage.models import Asset
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


class VersionItems:
    """A fresh, item-ordered stream of a version's ItemShapes on every call, read in keyset
    pages of CHUNK rows by plain SQL (no ORM objects, one query per page for rows, image
    sizes and shapes), so memory stays flat as the version grows. `records()` is the same
    stream without shapes, for a codec's pass that writes only the images
    (formats.streams.item_records). With `filters`, only the kept items (by split and class)
    and only the kept classes' shapes (versioning.filters)."""

    def __init__(self, version: DatasetVersion, filters: ItemFilters | None = None) -> None:
        self.version_id = version.pk
        self.filters = filters or ItemFilters()

    def __call__(self) -> Iterator[ItemShapes]:
        classes = self.filters.classes
        for page in self._pages(with_shapes=True):
            for *fields, shapes in page:
                kept = _json(shapes) if shapes else []
                if classes:
                    kept = [shape for shape in kept if shape.get("label") in classes]
                yield ItemShapes(item=_record(fields), shapes=kept)

    def records(self) -> Iterator[ItemRecord]:
        for page in self._pages(with_shapes=False):
            for fields in page:
                yield _record(fields)

    def _pages(self, *, with_shapes: bool) -> Iterator[list[tuple[Any, ...]]]:
        shapes = ", b.shapes" if with_shapes else ""
        blobs = (
            f" LEFT JOIN {AnnotationBlob._meta.db_table} b ON b.content_hash = v.annotation_hash"
            if with_shapes
            else ""
        )
        # The page is cut from the version's rows first (an index range scan that stops after
        # CHUNK rows) and only then joined: with the join under the LIMIT, Postgres misjudging
        # a freshly written version's size joined and sorted every remaining row per page.
        query = (
            "SELECT v.item_id, v.asset_sha256, v.split, a.mime, a.width, a.height,"
            f" i.metadata{shapes} FROM ({{page}}) v"
            f" JOIN {Item._meta.db_table} i ON i.id = v.item_id"
            f" JOIN {Asset._meta.db_table} a ON a.id = i.asset_id{blobs}"
            " ORDER BY v.item_id"
        )
        last = 0
        with connection.cursor() as cursor:
            while True:
                page_sql, params = self._page_rows(last)
                cursor.execute(query.format(page=page_sql), params)
                page = cursor.fetchall()
                if not page:
                    return
                yield page
                last = page[-1][0]

    def _page_rows(self, last: int) -> tuple[str, tuple[Any, ...]]:
        """The next CHUNK version rows after `last` kept by the filters, as SQL."""
        rows = rows_filtered(
            VersionItem.objects.filter(version_id=self.version_id, item_id__gt=last), self.filters
        )
        page = rows.order_by("item_id").values_list(
            "item_id", "asset_sha256", "split", "annotation_hash"
        )[:CHUNK]
        return page.query.sql_with_params()


def version_items(
    version: DatasetVersion, filters: ItemFilters | None = None
) -> Callable[[], Iterable[ItemShapes]]:
    return VersionItems(version, filters)


def _json(value: Any) -> Any:
    """A JSON column as Django's JSONField reads it (Postgres hands jsonb over as text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _record(fields: list[Any] | tuple[Any, ...]) -> ItemRecord:
    item_id, sha256, split, mime, width, height, metadata = fields
    return ItemRecord(
        item_id=item_id,
        file_name=image_file_name(sha256, mime),
        sha256=sha256,
        width=width,
        height=height,
        split=split,
        tags=(),
        metadata={} if metadata in ("{}", None) else _json(metadata),
    )
