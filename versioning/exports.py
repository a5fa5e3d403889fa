"""What an export job hands a codec (formats.EXPORTERS[name].write): the version's label schema
and a callable giving a fresh, item-ordered stream of ItemShapes, read in chunks so memory stays
flat as the dataset grows. Shapes come from AnnotationBlob: as they were at snapshot time.

A page's shapes are read only when a codec asks for them: as JSON (`entry.shapes`), or on
Postgres as numbers (`entry.shape_columns(...)`, formats.streams.ShapeColumns), which Postgres
extracts from the stored JSON so that a codec writing boxes makes no Python object per shape."""

import importlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import DataError, connection, transaction

from formats.records import SHAPE_KINDS, ItemRecord, ItemShapes, Shape
from formats.streams import ShapeColumns
from projects.models import Item
from storage.models import Asset
from versioning.filters import ItemFilters, rows_filtered
from versioning.models import AnnotationBlob, DatasetVersion, VersionItem

CHUNK = 1000  # items per page: 2000 held ~15 MB more at the peak of a 100k-item COCO export
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
    """A fresh, item-ordered stream of a version's ItemShapes on every call, read in pages of
    CHUNK rows from one server-side cursor by plain SQL (no ORM objects), so memory stays flat
    as the version grows. `records()` is the same stream without shapes, for a codec's pass
    that writes only the images (formats.streams.item_records). With `filters`, only the kept
    items (by split and class) and only the kept classes' shapes (versioning.filters)."""

    def __init__(self, version: DatasetVersion, filters: ItemFilters | None = None) -> None:
        self.version_id = version.pk
        self.filters = filters or ItemFilters()

    def __call__(self) -> Iterator[ItemShapes]:
        reader = _Reader.start()
        try:
            for rows, page in _linked(self._pages(), self.filters.classes, reader):
                for index, (*fields, _) in enumerate(rows):
                    yield VersionEntry(_record(fields), page, index)
        finally:
            if reader is not None:
                reader.stop()

    def records(self) -> Iterator[ItemRecord]:
        for rows in self._pages():
            for *fields, _ in rows:
                yield _record(fields)

    def _pages(self) -> Iterator[list[tuple[Any, ...]]]:
        """The version's rows joined with their items and assets, CHUNK at a time from one
        query on a server-side cursor. Keyset pages (a query per page) left the plan to
        Postgres' statistics, and a freshly written version has none: it scanned and sorted
        every remaining row for each page, quadratic in the version's size."""
        rows = rows_filtered(VersionItem.objects.filter(version_id=self.version_id), self.filters)
        page_sql, params = rows.values_list(
            "item_id", "asset_sha256", "split", "annotation_hash"
        ).query.sql_with_params()
        query = (
            "SELECT v.item_id, v.asset_sha256, v.split, a.mime, a.width, a.height,"
            f" i.metadata, v.annotation_hash FROM ({page_sql}) v"
            f" JOIN {Item._meta.db_table} i ON i.id = v.item_id"
            f" JOIN {Asset._meta.db_table} a ON a.id = i.asset_id"
            " ORDER BY v.item_id"
        )
        with connection.chunked_cursor() as cursor:
            cursor.execute(query, params)
            while page := cursor.fetchmany(CHUNK):
                yield page


class VersionEntry(ItemShapes):
    """One item of a page; its shapes are read (for the whole page at once) when first asked
    for, so a codec that reads them as numbers never parses their JSON."""

    _page: "_Page"
    _index: int

    def __init__(self, item: ItemRecord, page: "_Page", index: int) -> None:
        object.__setattr__(self, "item", item)
        object.__setattr__(self, "_page", page)
        object.__setattr__(self, "_index", index)

    @property
    def shapes(self) -> list[Shape]:
        return self._page.shapes(self._index)

    def shape_columns(self, labels: Sequence[str]) -> tuple[ShapeColumns, int] | None:
        """The page's shapes as numbers with label positions in `labels`, and this item's
        index in them; None where the database cannot say (SQLite) or the JSON has values
        Postgres cannot read as numbers (the codec then reads `shapes`)."""
        columns = self._page.columns(tuple(labels))
        return None if columns is None else (columns, self._index)


class _Page:
    """A page's annotation hashes (None: no annotations), and their shapes once read. Once a
    codec asks for a page's columns, the next page's are read ahead by `reader`."""

    def __init__(
        self, hashes: list[str | None], classes: tuple[str, ...], reader: "_Reader | None"
    ) -> None:
        self.hashes = hashes
        self.classes = classes
        self.reader = reader
        self.next: _Page | None = None
        self._texts: dict[str, Any] | None = None
        self._shapes: dict[int, list[Shape]] = {}
        self._columns: dict[tuple[str, ...], ShapeColumns | None] = {}
        self._ahead: tuple[tuple[str, ...], Future[ShapeColumns | None]] | None = None

    def shapes(self, index: int) -> list[Shape]:
        if index not in self._shapes:
            if self._texts is None:
                self._texts = _blob_texts({h for h in self.hashes if h is not None})
            content_hash = self.hashes[index]
            text = self._texts.get(content_hash) if content_hash else None
            kept = _json(text) if text else []
            if self.classes:
                kept = [shape for shape in kept if shape.get("label") in self.classes]
            self._shapes[index] = kept
        return self._shapes[index]

    def columns(self, labels: tuple[str, ...]) -> ShapeColumns | None:
        if labels not in self._columns:
            if self._ahead is not None and self._ahead[0] == labels:
                self._columns[labels] = self._ahead[1].result()
            else:
                self._columns[labels] = _shape_columns(self.hashes, labels, self.classes)
            self._ahead = None
            if self.next is not None and self.reader is not None:
                self.next.read_ahead(labels)
        return self._columns[labels]

    def read_ahead(self, labels: tuple[str, ...]) -> None:
        if self.reader is not None and self._ahead is None and labels not in self._columns:
            self._ahead = (labels, self.reader.submit(self.hashes, labels, self.classes))


class _Reader:
    """A second connection, in a thread of its own, so that Postgres extracts the next page's
    shape columns while the codec writes this page's. Only outside a transaction: another
    connection sees committed rows only (a version's rows and blobs are committed before it
    exports), and a test's transaction would hide them."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-columns")

    @classmethod
    def start(cls) -> "_Reader | None":
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return None
        return cls()

    def submit(
        self, hashes: list[str | None], labels: tuple[str, ...], classes: tuple[str, ...]
    ) -> "Future[ShapeColumns | None]":
        return self.pool.submit(_shape_columns, hashes, labels, classes)

    def stop(self) -> None:
        # The thread's connection is its own (Django's are per thread): close it there.
        self.pool.submit(connection.close)
        self.pool.shutdown(wait=True)


def _linked(
    pages: Iterator[list[tuple[Any, ...]]], classes: tuple[str, ...], reader: _Reader | None
) -> Iterator[tuple[list[tuple[Any, ...]], _Page]]:
    """The pages with their _Page, each read before the previous one is handed on and linked
    to it as `next`, so a page can have the next one's columns read ahead."""
    previous: tuple[list[tuple[Any, ...]], _Page] | None = None
    for rows in pages:
        page = _Page([row[-1] for row in rows], classes, reader)
        if previous is not None:
            previous[1].next = page
            yield previous
        previous = (rows, page)
    if previous is not None:
        yield previous


def _blob_texts(hashes: set[str]) -> dict[str, Any]:
    if not hashes:
        return {}
    table = AnnotationBlob._meta.db_table
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(hashes))
        cursor.execute(
            f"SELECT content_hash, shapes FROM {table} WHERE content_hash IN ({marks})",
            list(hashes),
        )
        return dict(cursor.fetchall())


# One row per shape as numbers (float8: item position, shape position, kind, flags, label,
# x1, y1, x2, y2), sorted by ShapeColumns (an ORDER BY in the aggregate cost Postgres more);
# formats.streams.ShapeColumns says what each means. Only a box's points are read; a point
# that is not a JSON number fails the cast, and the page is read as JSON instead.
_KIND = (
    "CASE e.s->>'kind' "
    + " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(SHAPE_KINDS))
    + " ELSE CASE WHEN jsonb_typeof(e.s) = 'object' AND e.s ? 'kind' THEN -1 ELSE -2 END END"
)
_FLAGS = (
    "CASE e.s->'occluded' WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'null' THEN 0"
    " ELSE CASE WHEN e.s ? 'occluded' THEN 2 ELSE 0 END END"
    " + CASE WHEN e.s ?| array['rotation', 'score'] THEN 2 ELSE 0 END"
    " + CASE WHEN NOT e.s ? 'attributes' OR e.s->'attributes' = '{}' THEN 0 ELSE 2 END"
)
_POINT = "CASE WHEN e.box THEN coalesce((e.p->{index})::float8, 'NaN') ELSE 0 END"
_COLUMNS = f"""
SELECT array_send(array_agg(ARRAY[
    e.n, e.i, e.kind, e.flags + CASE WHEN e.box AND jsonb_array_length(e.p) <> 4 THEN 2 ELSE 0 END,
    e.label, {", ".join(_POINT.format(index=index) for index in range(4))}
  ]))
FROM (
  SELECT p.n, e.i, {_KIND} AS kind, {_FLAGS} AS flags, e.s->>'kind' = 'box' AS box,
    coalesce(array_position(%(labels)s::jsonb[], e.s->'label'), 0) - 1 AS label,
    e.s->'points' AS p
  FROM unnest(%(hashes)s::text[]) WITH ORDINALITY AS p(hash, n)
  JOIN {AnnotationBlob._meta.db_table} b ON b.content_hash = p.hash,
    jsonb_array_elements(b.shapes) WITH ORDINALITY AS e(s, i)
  WHERE %(all)s OR jsonb_typeof(e.s) <> 'object' OR e.s->'label' = ANY(%(classes)s::jsonb[])
  OFFSET 0
) e
"""


def _shape_columns(
    hashes: list[str | None], labels: tuple[str, ...], classes: tuple[str, ...]
) -> ShapeColumns | None:
    if connection.vendor != "postgresql":
        return None
    params: dict[str, Any] = {
        "hashes": hashes,
        "labels": [json.dumps(label) for label in labels],
        "all": not classes,
        "classes": [json.dumps(name) for name in classes],
    }
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_COLUMNS, params)
            (data,) = cursor.fetchone()
    except DataError:
        return None
    return ShapeColumns.from_array(bytes(data) if data is not None else None, len(hashes))


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
