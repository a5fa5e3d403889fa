"""Helpers every exporter shares: item order, label lookups, file stems, and the numbers form of
shapes (ShapeColumns) that a source may offer beside their JSON."""

from __future__ import annotations

import posixpath
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from formats.records import ItemRecord, ItemShapes, Label

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ItemSource = Callable[[], Iterable[ItemShapes]]


def in_item_order(items: ItemSource) -> Iterator[ItemShapes]:
    """Iterate a fresh pass of `items`, refusing any that is not sorted by item id.

    Sorting here would need the whole dataset in memory; the caller (a query ordered by id)
    sorts for free, and checking keeps a careless caller from silently changing the bytes.
    """
    previous: int | None = None
    for entry in items():
        item_id = entry.item.item_id
        if previous is not None and item_id <= previous:
            raise ValueError(f"Items must come sorted by item id ({item_id} after {previous}).")
        previous = item_id
        yield entry


def item_records(items: ItemSource) -> Iterator[ItemRecord]:
    """A fresh pass over the items alone, in item order. A source may offer `records`, a
    callable giving the ItemRecords without reading shapes (an export reads the shapes of a
    version once, not once per pass); otherwise the records come from a pass over `items`."""
    records: Callable[[], Iterable[ItemRecord]] | None = getattr(items, "records", None)
    if records is None:
        yield from (entry.item for entry in in_item_order(items))
        return
    previous: int | None = None
    for record in records():
        if previous is not None and record.item_id <= previous:
            raise ValueError(
                f"Items must come sorted by item id ({record.item_id} after {previous})."
            )
        previous = record.item_id
        yield record


def label_positions(labels: list[Label]) -> dict[str, int]:
    """0-based position of each label name: the stable class index every format derives from."""
    return {label["name"]: index for index, label in enumerate(labels)}


def file_stem(file_name: str) -> str:
    """The file name without folders or extension: how YOLO and VOC pair labels with images."""
    base = posixpath.basename(file_name.replace("\\", "/"))
    stem, _ = posixpath.splitext(base)
    return stem or base


# ShapeColumns.kind beyond the SHAPE_KINDS positions.
OTHER_KIND = -1  # a kind that is no Loupe kind (or not a string, or null)
NO_KIND = -2  # the shape is not an object or has no "kind": reading it as JSON fails
# ShapeColumns.flags bits.
OCCLUDED = 1  # "occluded" is true
DETAILED = 2  # more than the columns hold: rotation, score, attributes, a non-boolean
#               "occluded", or a box whose points are not 4 numbers; read the shape's JSON


@dataclass(frozen=True)
class ShapeColumns:
    """The shapes of a run of items as numbers, one row per shape in item order, for codecs
    that write plain boxes without a Python object per shape. `starts[i]:starts[i + 1]` are
    item i's rows; `kind` is the SHAPE_KINDS position (or OTHER_KIND, NO_KIND); `label` the
    position in the label names asked for (-1: none of them); x1..y2 a box's points (0 for
    other kinds, NaN where a point is null). A row flagged DETAILED, a NO_KIND row or a
    label of -1 is only as good as its JSON: codecs read `entry.shapes` for that item.

    A source offers them on its entries as `entry.shape_columns(label_names)`, giving the
    table and the entry's item index in it, or None (versioning.exports on Postgres)."""

    starts: NDArray[np.int64]
    kind: NDArray[np.int64]
    flags: NDArray[np.int64]
    label: NDArray[np.int64]
    x1: NDArray[np.float64]
    y1: NDArray[np.float64]
    x2: NDArray[np.float64]
    y2: NDArray[np.float64]

    FIELDS = 9  # item position (1-based), shape position, kind, flags, label, x1, y1, x2, y2

    @classmethod
    def from_array(cls, data: bytes | None, items: int) -> ShapeColumns:
        """From Postgres' binary form of a float8[rows][FIELDS] array (array_send), rows in
        any order (sorted here by item and shape position); None (no rows) for items without
        shapes."""
        import numpy as np

        rows = np.zeros((0, cls.FIELDS))
        if data:
            dimensions, has_nulls, _ = struct.unpack_from(">iii", data)
            if dimensions != 2 or has_nulls:
                raise ValueError("Expected a 2-dimensional float8 array without nulls.")
            count, _, width, _ = struct.unpack_from(">iiii", data, 12)
            cell = np.dtype([("length", ">i4"), ("value", ">f8")])
            cells = np.frombuffer(data, dtype=cell, offset=28, count=count * width)
            rows = cells["value"].astype(np.float64).reshape(count, width)
            rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
        position = rows[:, 0].astype(np.int64)
        starts = np.searchsorted(position, np.arange(1, items + 2)).astype(np.int64)
        return cls(
            starts=starts,
            kind=rows[:, 2].astype(np.int64),
            flags=rows[:, 3].astype(np.int64),
            label=rows[:, 4].astype(np.int64),
            x1=np.ascontiguousarray(rows[:, 5]),
            y1=np.ascontiguousarray(rows[:, 6]),
            x2=np.ascontiguousarray(rows[:, 7]),
            y2=np.ascontiguousarray(rows[:, 8]),
        )
